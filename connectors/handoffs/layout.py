"""Where everything lives in the hub's bucket: every key the stages write or read.

    inbox/<member>/<file>                         files a member drops (read by gathering)
    raw/<member>/<sha256>.<ext>                   landed bytes, content-addressed, immutable
    raw/<member>/manifest.json                    the member's gathering bookkeeping (Manifest)
    staged/<member>/<dataset>/<resource>.<suffix> parquet, csv, errors.csv and the report (json)
    pooled/<pack>/membres/<member>.parquet        one member's part of a pooled table
    pooled/<pack>/<pack>.{parquet,csv}            the pooled table as single downloads
    pooled/<pack>/sources.csv                     every file offered to the pack, and its fate
    pooled/<pack>/state.json                      which parts make the table (PooledState)
    pooled/<pack>/downloads.json                  which table the downloads hold (Downloads)
    dashboards/<lead>/<pack>.json                 the Superset bundle last imported for a lead
    dashboards/<committee>.leads.json             the leads a committee had at its last run
    settled/<committee>.json                      what `tdh run`'s last run left settled (pipelines.settled)

The first part of a key is the stage (and the Dagster asset) that writes it. Keys are built
with `object_key`, so a part that is not a plain slug is refused before anything is written.
"""

from __future__ import annotations

from collections.abc import Iterator

from connectors.handoffs.bucket import Bucket
from connectors.objectstore import extension_for, object_key

INBOX = "inbox/"
POOLED = "pooled/"
STATE = "state.json"


def inbox_prefix(member: str) -> str:
    return object_key("inbox", member) + "/"


def inbox_key(member: str, filename: str) -> str:
    return object_key("inbox", member, filename)


def inbox_member(key: str) -> str | None:
    """The member whose inbox holds `key`; None for a file outside any member's folder."""
    parts = key.split("/")
    return parts[1] if len(parts) >= 3 and parts[0] == "inbox" and parts[1] else None


def raw_prefix(member: str) -> str:
    return object_key("raw", member) + "/"


def raw_key(member: str, sha256: str, format_or_name: str) -> str:
    """Landed bytes under their digest: the same bytes land once, whatever their URL."""
    return object_key("raw", member, f"{sha256}.{extension_for(format_or_name)}")


def manifest_key(member: str) -> str:
    return object_key("raw", member, "manifest.json")


def staged_prefix(member: str) -> str:
    return object_key("staged", member) + "/"


def staged_key(member: str, dataset: str, resource: str, suffix: str) -> str:
    """`suffix`: parquet, csv, errors.csv, or json for the staging report."""
    return object_key("staged", member, dataset, f"{resource}.{suffix}")


def pooled_prefix(pack: str) -> str:
    return object_key("pooled", pack) + "/"


def part_key(pack: str, member: str) -> str:
    return object_key("pooled", pack, "membres", f"{member}.parquet")


def download_key(pack: str, suffix: str) -> str:
    """`suffix`: parquet or csv."""
    return object_key("pooled", pack, f"{pack}.{suffix}")


def sources_key(pack: str) -> str:
    return object_key("pooled", pack, "sources.csv")


def pooled_state_key(pack: str) -> str:
    return object_key("pooled", pack, STATE)


def downloads_key(pack: str) -> str:
    return object_key("pooled", pack, "downloads.json")


def pooled_packs(store: Bucket) -> Iterator[str]:
    """The packs that have been pooled in this bucket (those with a state), by name."""
    for obj in store.list(POOLED):
        parts = obj.key.split("/")
        if len(parts) == 3 and parts[2] == STATE:
            yield parts[1]


def dashboard_key(lead: str, pack: str) -> str:
    return object_key("dashboards", lead, f"{pack}.json")


def lead_access_key(lead: str) -> str:
    """What the lead's Superset access was last made of (a digest): an unchanged one is not
    written again. Beside the committees' lists, never among a lead's pack records."""
    return object_key("dashboards", f"{lead}.access.json")


def leads_key(committee: str) -> str:
    return object_key("dashboards", f"{committee}.leads.json")


def settled_key(committee: str) -> str:
    return object_key("settled", f"{committee}.json")
