"""Small committees of their own for end-to-end tests: test-named communes that read
their inbox, and the committee file the hub reads while a test runs."""

import os
from contextlib import contextmanager
from pathlib import Path

from ckanapi import RemoteCKAN, errors
from stdnum import luhn

from connectors.handoffs import layout
from connectors.objectstore import ObjectStore
from pipelines.runner import DEMO_COMMITTEE
from tests.ckan_cleanup import purge_dataset
from tests.conftest import stack_setting


def inbox_commune(slug: str, insee: str, datasets: dict | None = None) -> dict:
    """A commune of Morbihan with a valid SIREN, whose files arrive in its inbox."""
    base = "2156" + "0" + insee[2:]
    return {"slug": slug, "name": f"Commune test {insee}", "kind": "commune", "insee": insee,
            "siren": base + luhn.calc_check_digit(base), "contact": "test@hub.invalid",
            "sources": [{"type": "inbox", **({"datasets": datasets} if datasets else {})}]}


@contextmanager
def committee_file(path: Path):
    """The hub reads this committee file inside the block, the previous one afterwards."""
    previous = os.environ.get("HUB_COMMITTEE_FILE")
    os.environ["HUB_COMMITTEE_FILE"] = str(path)
    try:
        yield path
    finally:
        if previous is None:
            os.environ.pop("HUB_COMMITTEE_FILE")
        else:
            os.environ["HUB_COMMITTEE_FILE"] = previous
        restore_member_partitions(Path(previous) if previous else DEMO_COMMITTEE)


def restore_member_partitions(committee: Path) -> None:
    """`tdh run` made the instance's member partitions the test committee's: give them back
    to the committee the hub reads again (the demo's), as `make demo` left them."""
    if not os.environ.get("DAGSTER_HOME"):
        return  # an ephemeral instance: nothing outlives the test
    import dagster as dg

    from catalog.committee import load_committee
    from pipelines.defs.partitions import sync_members

    with dg.DagsterInstance.get() as instance:
        sync_members(instance, [member.slug for member in load_committee(committee).members])


def remove_committee(committee: dict, datasets: list[str], store: ObjectStore, prefixes: list[str] = ()) -> None:
    """What a test committee left: its CKAN datasets (by name: the search index may lag a
    second behind) and organizations, its members' inbox, raw and staged objects, and the
    other object prefixes named."""
    members = [m["slug"] for m in committee["members"]]
    ckan = RemoteCKAN(stack_setting("HUB_CKAN_URL"), apikey=stack_setting("HUB_CKAN_TOKEN"))
    for name in datasets:
        purge_dataset(ckan, name)
    for org in [committee["slug"], *members]:
        try:
            ckan.action.organization_purge(id=org)
        except errors.NotFound:
            pass
    for prefix in [*(f"{p}/{m}/" for p in ("inbox", "raw", "staged") for m in members), *prefixes]:
        for obj in list(store.list(prefix)):
            store.remove(obj.key)
    store.remove(layout.settled_key(committee["slug"]))  # what a `tdh run` recorded
