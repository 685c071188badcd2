"""A demo dataset's preview as a commune's agent sees it (named to run after test_demo.py):
the resource page of Crach's water volumes, opened in headless Chromium in French, shows
the DataStore table the hub filled in the same request that created the dataset
(`hub_dataset_create`), with its rows, searchable.

The page's screenshot goes to a temporary folder; with HUB_SCREENSHOTS=1 it replaces
docs/img/ckan-apercu-ressource.png."""

import os

from ckanapi import RemoteCKAN
from playwright.sync_api import sync_playwright

from tests.browser import chromium_path
from tests.conftest import PROJECT_DIR, stack_setting

DATASET = "crach-volumes-eau"


def test_a_demo_resource_page_previews_its_rows_in_french(tmp_path):
    url = stack_setting("HUB_CKAN_URL")
    ckan = RemoteCKAN(url, apikey=stack_setting("HUB_CKAN_TOKEN"))
    package = ckan.action.package_show(id=DATASET)
    resource = next(r for r in package["resources"] if r.get("datastore_active"))
    rows = ckan.action.datastore_search(resource_id=resource["id"], limit=1)
    folder = PROJECT_DIR / "docs" / "img" if os.environ.get("HUB_SCREENSHOTS") == "1" else tmp_path
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="fr-FR").new_page()
            page.goto(f"{url}/dataset/{DATASET}/resource/{resource['id']}")
            preview = page.frame_locator("iframe").first
            # DataTables draws the rows once the DataStore answered.
            preview.locator("table tbody tr td").first.wait_for(timeout=30_000)
            cells = preview.locator("table tbody tr td").all_inner_texts()
            framed = preview.locator("body").inner_text()
            text = page.inner_text("body")
            page.screenshot(path=str(folder / "ckan-apercu-ressource.png"), full_page=True)
        finally:
            browser.close()
    assert rows["total"] > 0
    first = rows["records"][0]
    assert str(first["code_insee"]) in cells, cells[:20]  # the table's rows, not an empty frame
    assert "Rechercher" in framed or "Recherche" in framed, framed[:500]  # DataTables in French
    assert "Aperçu" in text or "Explorer" in text or "Télécharger" in text, text[:500]
