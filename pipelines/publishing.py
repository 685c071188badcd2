"""Publishing: what the hub staged, as CKAN organizations and datasets (plan, then apply)."""

from __future__ import annotations

from dataclasses import dataclass, field

from catalog.committee import Committee
from catalog.packages import PooledFiles, StagedFile, member_dataset, pooled_dataset
from catalog.publication import DesiredDataset, Plan, apply, ensure_organization, plan, published_packages
from connectors.objectstore import ObjectStore
from pipelines.dashboards import dashboard_slug
from pipelines.gathering import manifest_key
from pipelines.packs import EnabledPack
from pipelines.pooling import pooled_key
from pipelines.staging import staged_key


@dataclass
class Publication:
    organizations_created: list[str] = field(default_factory=list)
    plan: dict = field(default_factory=dict)
    withheld: list[str] = field(default_factory=list)  # personal data without exemption


def desired_datasets(store: ObjectStore, committee: Committee, packs: list[EnabledPack], superset_url: str):
    desired: list[DesiredDataset] = []
    archive: list[str] = []
    withheld: list[str] = []
    for member in committee.members:
        manifest = store.get_json(manifest_key(member.slug), default={"datasets": {}})
        for name, entry in sorted(manifest["datasets"].items()):
            if entry.get("status") == "archived":
                archive.append(name)
                continue
            files = []
            blocked = False
            for resource in sorted(entry["resources"]):
                report = store.get_json(staged_key(member.slug, name, resource, "json"))
                if report is None:
                    continue  # not tabular or not staged (its failure is reported upstream)
                if report["decision"] != "publish":
                    blocked = True
                    continue
                errors = None
                if report.get("validation"):
                    errors = store.get_bytes(staged_key(member.slug, name, resource, "errors.csv"))
                files.append(StagedFile(
                    slug=resource, report=report,
                    csv=store.get_bytes(staged_key(member.slug, name, resource, "csv")),
                    parquet=store.get_bytes(staged_key(member.slug, name, resource, "parquet")),
                    errors_csv=errors,
                ))
            if blocked:
                withheld.append(name)
                continue
            if files:
                desired.append(member_dataset(member, name, entry, files))
    for pack in packs:
        state = store.get_json(pooled_key(pack.name, "state.json"))
        if state and state["rows"]:
            dashboards = tuple((committee.member(lead.member).name,
                                f"{superset_url}/superset/dashboard/{dashboard_slug(pack.name, lead.member)}/")
                               for lead in committee.leads)
            desired.append(pooled_dataset(committee, PooledFiles(
                pack=pack.name, title=pack.pack.title, description=pack.pack.description, tags=pack.pack.tags,
                conforms_to=pack.schema_reference,
                csv=store.get_bytes(pooled_key(pack.name, f"{pack.name}.csv")),
                parquet=store.get_bytes(pooled_key(pack.name, f"{pack.name}.parquet")),
                sources_csv=store.get_bytes(pooled_key(pack.name, "sources.csv")),
                members=tuple(m for m, info in state["members"].items() if info["rows"]),
                dashboards=dashboards,
            )))
    return desired, archive, withheld


def publish(store: ObjectStore, committee: Committee, ckan, packs: list[EnabledPack],
            superset_url: str = "") -> Publication:
    result = Publication()
    if ensure_organization(ckan, committee.slug, committee.name, committee.description,
                           {"kind": "committee"}):
        result.organizations_created.append(committee.slug)
    for member in committee.members:
        extras = {"siren": member.siren, "kind": member.kind, **({"insee": member.insee} if member.insee else {})}
        if ensure_organization(ckan, member.slug, member.name,
                               f"{member.name}, membre du {committee.name}.", extras):
            result.organizations_created.append(member.slug)
    desired, archive, withheld = desired_datasets(store, committee, packs, superset_url)
    # Withheld datasets that were public before are archived too: personal data found
    # later must not stay online.
    published = published_packages(ckan, [d.name for d in desired] + archive + withheld)
    todo: Plan = plan(desired, published, archive=[*archive, *withheld])
    apply(todo, ckan)
    result.plan = todo.summary()
    result.withheld = withheld
    return result
