"""Every dashboard of every lead, looked at in a real headless browser (tests/browser.py).

Each lead of the committee file logs in through Superset's login form as its own user;
the dashboards it is shown are discovered through the REST API with that same session
(not from slugs written here), and each one is opened and must show: no chart error,
every chart drawn, no JavaScript exception, a French UI. Needs the dashboards that the
demo graph publishes (`make demo`; under `make test`, tests/e2e runs the graph first).

Screenshots go to a temporary folder; with HUB_SCREENSHOTS=1 they replace the committed
docs/img/superset-<slug>[-<lead>].png (so a routine run never rewrites them).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Route, sync_playwright

from catalog.committee import load_committee
from pipelines.dashboards import lead_user_password
from tests.browser import SupersetBrowser, chromium_path
from tests.conftest import PROJECT_DIR, stack_setting

DOCS_IMG = PROJECT_DIR / "docs" / "img"
# Words of Superset's own French UI (top menu), and their English originals.
FRENCH_MENU = ("Tableaux de bord", "Paramètres")
ENGLISH_MENU = ("Dashboards", "Settings")


def _leads() -> list[str]:
    committee = load_committee(stack_setting("HUB_COMMITTEE_FILE"))
    return [lead.member for lead in committee.leads]


def _screenshot(tmp_path: Path, slug: str, lead: str) -> Path:
    folder = DOCS_IMG if os.environ.get("HUB_SCREENSHOTS") == "1" else tmp_path
    name = slug if slug.endswith(f"-{lead}") else f"{slug}-{lead}"  # per-lead slugs name the lead already
    return folder / f"superset-{name}.png"


def test_every_lead_dashboard_draws_every_chart_in_french(tmp_path):
    leads = _leads()
    assert leads, "the committee file names no lead: nothing to look at"
    url, admin_password = stack_setting("HUB_SUPERSET_URL"), stack_setting("HUB_SUPERSET_PASSWORD")
    problems: list[str] = []
    looked = 0
    for lead in leads:
        with SupersetBrowser(url, f"lead-{lead}", lead_user_password(admin_password, lead)) as browser:
            boards = browser.dashboards()
            if not boards:
                problems.append(f"lead {lead}: no dashboard to open (has the demo graph run? `make demo`)")
            for board in boards:
                slug = board.get("slug") or str(board["id"])
                look = browser.look(slug, _screenshot(tmp_path, slug, lead))
                looked += 1
                where = f"lead {lead}, dashboard {slug} ({look.screenshot})"
                problems += [f"{where}: chart error: {e}" for e in look.errors]
                problems += [f"{where}: chart not drawn: {t}" for t in look.not_drawn]
                problems += [f"{where}: JavaScript error: {e}" for e in look.page_errors]
                problems += [f"{where}: {n}" for n in look.notes]
                if not look.charts:
                    problems.append(f"{where}: no chart on the page")
                if look.locale != "fr" or not any(w in look.navbar for w in FRENCH_MENU) \
                        or any(w in look.navbar for w in ENGLISH_MENU):
                    problems.append(f"{where}: UI not in French (locale {look.locale!r}, menu {look.navbar!r})")
                # Empty charts are not errors (a lead may have no row for a theme yet): say so.
                for title in look.empty:
                    print(f"{where}: empty chart (no row): {title}")
    assert looked > 0, "no dashboard looked at"
    assert not problems, "\n".join(problems)


def test_login_page_is_french_even_for_an_english_browser():
    """French comes from the server (BABEL_DEFAULT_LOCALE, and the language pack the Public
    role may fetch), not from the visitor's browser language."""
    url = stack_setting("HUB_SUPERSET_URL").rstrip("/")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True)
        try:
            page = browser.new_page(locale="en-US")
            page.goto(f"{url}/login/")
            button = page.wait_for_selector('[data-test="login-button"]')
            page.wait_for_load_state("networkidle")
            assert button.inner_text().strip() == "Se connecter"
            assert "Mot de passe" in page.inner_text("body")
        finally:
            browser.close()


def test_the_browser_check_sees_a_failed_chart_and_an_empty_one():
    """The check itself: chart-data answers are altered in the browser (nothing changes in
    Superset): the first chart's fails with HTTP 500, the others' return no row."""
    lead = _leads()[0]
    url, admin_password = stack_setting("HUB_SUPERSET_URL"), stack_setting("HUB_SUPERSET_PASSWORD")
    with SupersetBrowser(url, f"lead-{lead}", lead_user_password(admin_password, lead)) as browser:
        boards = browser.dashboards()
        assert boards, f"lead {lead}: no dashboard to open (has the demo graph run? `make demo`)"
        board = boards[0]
        chart_ids = sorted(c["id"] for c in browser.api(f"/api/v1/dashboard/{board['id']}/charts")["result"])
        assert len(chart_ids) >= 2, "this check needs a dashboard with two charts"

        def alter(route: Route) -> None:
            form_data = parse_qs(urlsplit(route.request.url).query).get("form_data", ["{}"])[0]
            chart_id = json.loads(form_data).get("slice_id")
            if chart_id == chart_ids[0]:
                route.fulfill(status=500, json={"message": "injected failure"})
            elif chart_id is not None:
                response = route.fetch()
                body = response.json()
                for result in body["result"]:
                    result.update(data=[], rowcount=0)
                route.fulfill(response=response, json=body)
            else:
                route.continue_()

        browser.context.route("**/api/v1/chart/data**", alter)
        look = browser.look(board["id"])
    failed = {c.chart_id: c for c in look.charts}
    assert failed[chart_ids[0]].error and "injected failure" in failed[chart_ids[0]].error
    assert len(look.errors) == 1
    assert all(failed[i].empty and not failed[i].error for i in chart_ids[1:])
    assert not look.not_drawn
