import hashlib
import time

import requests

from catalog.naming import resource_id
from catalog.publication import DesiredDataset, DesiredResource, apply, ensure_organization, plan, published_packages
from tests.ckan_cleanup import purge_dataset
from tests.conftest import stack_setting


def test_status_lists_the_hub_plugins(ckan):
    extensions = ckan.action.status_show()["extensions"]
    assert {"datastore", "dcat", "scheming_datasets"} <= set(extensions)


def test_solr_is_a_real_lucene_9():
    info = requests.get(stack_setting("HUB_SOLR_URL") + "/admin/info/system", params={"wt": "json"}, timeout=10).json()
    assert info["lucene"]["lucene-spec-version"].startswith("9.")


def test_publish_search_download_and_converge(ckan, unique):
    org = f"tdh-test-{unique}"
    name = f"{org}-volumes"
    assert ensure_organization(ckan, org, "Commune de test", "Organisation de test.", {"insee": "56046"})
    assert not ensure_organization(ckan, org, "Commune de test", "Organisation de test.", {"insee": "56046"})
    data = f"code_insee,volume\n56046,12.5\n# {unique}\n".encode()
    dataset = DesiredDataset(
        name=name,
        fields={"title": f"Volumes d'eau {unique}", "notes": "Volumes mensuels.", "owner_org": org,
                "license_id": "etalab-2.0", "private": False},
        tags=("eau",),
        resources=[DesiredResource(id=resource_id(name, "csv"), name="Volumes (CSV)", format="CSV",
                                   filename="volumes.csv", sha256=hashlib.sha256(data).hexdigest(),
                                   content=lambda: data, mimetype="text/csv")],
    )
    try:
        apply(plan([dataset], published_packages(ckan, [name])), ckan)
        published = time.monotonic()
        found = _searched(ckan, f"title:{unique}")  # goes through Solr
        assert [p["name"] for p in found] == [name]
        assert time.monotonic() - published < 5  # Solr's soft commit: searchable within about a second
        resource = ckan.action.package_show(id=name)["resources"][0]
        assert resource["id"] == resource_id(name, "csv")
        download = requests.get(resource["url"], headers={"Authorization": stack_setting("HUB_CKAN_TOKEN")}, timeout=10)
        assert download.content == data

        again = plan([dataset], published_packages(ckan, [name]))
        assert again.unchanged == [name] and not again.upload  # a re-run writes nothing

        jsonld = requests.get(f"{stack_setting('HUB_CKAN_URL')}/dataset/{name}.jsonld", timeout=10)
        assert "dcat:Dataset" in jsonld.text or "Dataset" in jsonld.text
    finally:
        purge_dataset(ckan, name)
        ckan.action.organization_purge(id=org)


def _searched(ckan, query: str, patience: float = 10.0) -> list[dict]:
    """The catalogue indexes without committing (ckan.search.solr_commit = false): what it
    indexed is searchable after Solr's next soft commit, within about a second."""
    deadline = time.monotonic() + patience
    while not (found := ckan.action.package_search(q=query)["results"]) and time.monotonic() < deadline:
        time.sleep(0.1)
    return found
