"""Publishing: what the hub staged, as CKAN organizations and datasets (plan, then apply).

Deciding reads only bookkeeping: manifests, staged reports and pooled states, which record
the sha256 of each file; a file's bytes are read only when it must be uploaded, so a run
with nothing new reads no staged file and writes nothing. CKAN is called for `workers`
datasets at a time, each dataset's steps in order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

from catalog.access import Sharing, committee_users, share_with_members
from catalog.committee import Committee, Member
from catalog.governance import Governance, dataset_governance, governance_fields
from catalog.packages import (
    PooledFiles,
    Rendering,
    StagedFile,
    member_dataset,
    pooled_dataset,
    pooled_dataset_name,
)
from catalog.packs import Pack
from catalog.publication import (
    DesiredDataset,
    Plan,
    apply,
    ensure_groups,
    ensure_organizations,
    in_parallel,
    plan_against_catalogue,
)
from catalog.themes import theme_group
from connectors.handoffs import Bucket, DatasetEntry, Downloads, Manifest, PooledState, StagedReport, layout
from pipelines.dashboards import dashboard_slug
from pipelines.packs import EnabledPack

# CKAN's worker budget: requests in flight at once. Two per gunicorn worker of the local
# stack's CKAN (2): one is served while the other travels (docs/benchmarks.md).
DEFAULT_WORKERS = 4


@dataclass
class Publication:
    organizations_created: list[str] = field(default_factory=list)
    groups_created: list[str] = field(default_factory=list)
    plan: dict = field(default_factory=dict)
    withheld: list[str] = field(default_factory=list)  # personal data without exemption
    sharing: Sharing = field(default_factory=Sharing)  # members-only datasets' readers (catalog/access.py)
    stopped: list[str] = field(default_factory=list)  # members left out: undecided personal data


@dataclass
class _MemberDatasets:
    desired: list[DesiredDataset] = field(default_factory=list)
    archive: list[str] = field(default_factory=list)
    withheld: list[str] = field(default_factory=list)
    undecided: bool = False  # a dataset with personal data the committee has not decided on


def desired_datasets(store: Bucket, committee: Committee, packs: list[EnabledPack], superset_url: str,
                     workers: int = 1, members: list[str] | None = None, pooled: bool = True,
                     stopped: list[str] | None = None):
    """What CKAN should hold, what to archive, what is withheld: the datasets of `members`
    (all when None), read `workers` at a time, and the pooled datasets when `pooled`.
    Given a `stopped` list, a member with personal data nobody decided on is left out
    altogether (its datasets stay in CKAN as they are) and named there."""
    desired: list[DesiredDataset] = []
    archive: list[str] = []
    withheld: list[str] = []
    chosen = [m for m in committee.members if members is None or m.slug in members]
    by_name = {pack.name: pack.pack for pack in packs}
    found_all = in_parallel(partial(_member_datasets, store, by_name, committee.governance), chosen, workers)
    for member, found in zip(chosen, found_all, strict=True):
        if stopped is not None and found.undecided:
            stopped.append(member.slug)
            continue
        desired += found.desired
        archive += found.archive
        withheld += found.withheld
    if not pooled:
        return desired, archive, withheld
    # A pack the committee no longer enables, or whose table became empty, leaves the
    # catalogue: its pooled dataset is archived (the pooled states say which packs ran).
    enabled = {pack.name for pack in packs}
    archive += [pooled_dataset_name(committee, name) for name in layout.pooled_packs(store) if name not in enabled]
    for pack in packs:
        state = PooledState.read(store, pack.name)
        if state and not state.rows:
            archive.append(pooled_dataset_name(committee, pack.name))
        downloads = Downloads.read(store, pack.name) if state and state.rows else None
        if downloads:  # None until the downloads step wrote them: the dataset waits for them
            dashboards = tuple((committee.member(lead.member).name,
                                f"{superset_url}/superset/dashboard/{dashboard_slug(pack.name, lead.member)}/")
                               for lead in committee.leads)
            desired.append(governed(committee.governance, pooled_dataset(committee, PooledFiles(
                pack=pack.name, title=pack.pack.title, description=pack.pack.description, tags=pack.pack.tags,
                conforms_to=pack.schema_reference, rows=downloads.rows,
                csv=_rendering(store, layout.download_key(pack.name, "csv"), downloads.csv_sha256),
                parquet=_rendering(store, layout.download_key(pack.name, "parquet"), downloads.parquet_sha256),
                sources_csv=_rendering(store, layout.sources_key(pack.name), state.sources_sha256),
                sources_rows=sum(len(part.sources) for part in state.members.values()),
                members=tuple(state.with_rows()),
                dashboards=dashboards, theme=pack.pack.theme, frequency=pack.pack.frequency,
                temporal=downloads.temporal,
            ))))
    return desired, archive, withheld


def governed(governance: Governance | None, dataset: DesiredDataset) -> DesiredDataset:
    """The dataset with its governance fields (purpose, legal basis, retention, verdict)."""
    dataset.fields.update(governance_fields(governance))
    return dataset


def _member_datasets(store: Bucket, packs: dict[str, Pack], governance: Governance | None,
                     member: Member) -> _MemberDatasets:
    found = _MemberDatasets()
    manifest = Manifest.read(store, member.slug)
    # One listing says which resources were staged, rather than a lookup per resource.
    staged = {obj.key for obj in store.list(layout.staged_prefix(member.slug))}
    for name, entry in sorted(manifest.datasets.items()):
        if entry.status == "archived":
            found.archive.append(name)
            continue
        files = []
        blocked = False
        for resource in sorted(entry.resources):
            if layout.staged_key(member.slug, name, resource, "json") not in staged:
                continue  # not tabular or not staged (its failure is reported upstream)
            report = StagedReport.read_listed(store, member.slug, name, resource)
            if report.decision != "publish":
                blocked = True
                found.undecided = found.undecided or report.decision == "blocked"
                continue
            files.append(_staged_file(store, member.slug, name, resource, report))
        if blocked:
            found.withheld.append(name)
            continue
        if files:
            pack = packs.get((entry.override or {}).get("pooled_as"))
            dataset = member_dataset(member, name, entry.as_dict(), files, pack and pack.theme, pack and pack.frequency)
            dataset.fields.update(_governance(member, entry, governance))
            found.desired.append(dataset)
    return found


def _governance(member: Member, entry: DatasetEntry, default: Governance | None) -> dict:
    """The dataset's governance fields, as the committee file says now (its entry under
    `datasets:`, found by source and remote id, over the committee's default)."""
    remote_id, source = entry.remote["remote_id"], entry.source
    override = (member.sources[source].datasets.get(remote_id)
                if isinstance(source, int) and source < len(member.sources) else None)
    return dataset_governance(default, override.governance if override else None,
                              override.personal_data_exemption if override else None)


def _staged_file(store: Bucket, member: str, dataset: str, resource: str, report: StagedReport) -> StagedFile:
    digests = report.written_sha256 or {}

    def rendering(suffix: str) -> Rendering:
        key = layout.staged_key(member, dataset, resource, suffix)
        return _rendering(store, key, digests.get(key))

    return StagedFile(slug=resource, report=report.as_dict(), csv=rendering("csv"), parquet=rendering("parquet"),
                      errors_csv=rendering("errors.csv") if report.validation else None)


def _rendering(store: Bucket, key: str, sha256: str | None) -> Rendering:
    """A stored file known by the sha256 its writer recorded, read only to be uploaded.
    Files written before writers recorded digests are read now to compute theirs."""
    if sha256 is None:
        return Rendering.of(store.get_bytes(key))
    return Rendering(sha256, partial(store.get_bytes, key))


KINDS = {"commune": "Commune", "epci": "Intercommunalité", "departement": "Département", "region": "Région",
         "syndicat": "Syndicat", "autre": "Collectivité"}


def organization_description(member: Member, committee: Committee) -> str:
    """What a reuser reads on the organization's page: who publishes, its codes, whom to ask."""
    codes = ", ".join(filter(None, [f"code INSEE {member.insee}" if member.insee else "", f"SIREN {member.siren}"]))
    return (f"{KINDS[member.kind]} de {member.name} ({codes}), membre du {committee.name}. "
            f"Ses jeux de données sont recueillis par le hub du comité depuis ses propres sources. "
            f"Contact données : {member.contact}.")


def publish(store: Bucket, committee: Committee, ckan, packs: list[EnabledPack],
            superset_url: str = "", workers: int = DEFAULT_WORKERS, members: list[str] | None = None,
            pooled: bool = True, stop_undecided: bool = False) -> Publication:
    """Bring CKAN in line with the datasets of `members` (all when None) and, when `pooled`,
    with the committee's organization and pooled datasets. A member partition publishes its
    own datasets (`members=[slug], pooled=False`); the committee step the pooled ones
    (`members=[]`). With `stop_undecided`, a member with personal data nobody decided on is
    left as it stands in CKAN (`result.stopped`), the others published."""
    result = Publication()
    organizations = [(committee.slug, committee.name, committee.description, {"kind": "committee"})] if pooled else []
    for member in committee.members:
        if members is not None and member.slug not in members:
            continue
        extras = {"siren": member.siren, "kind": member.kind, **({"insee": member.insee} if member.insee else {})}
        organizations.append((member.slug, member.name, organization_description(member, committee), extras))
    result.organizations_created = ensure_organizations(ckan, organizations, workers)
    desired, archive, withheld = desired_datasets(store, committee, packs, superset_url, workers, members, pooled,
                                                  result.stopped if stop_undecided else None)
    # The EU themes the datasets name, as CKAN groups (catalog/themes.py).
    themes = sorted({g["name"].upper() for d in desired for g in d.fields.get("groups", [])})
    result.groups_created = ensure_groups(ckan, [theme_group(code) for code in themes])
    # Withheld datasets that were public before are archived too: personal data found
    # later must not stay online.
    todo: Plan = plan_against_catalogue(ckan, desired, archive=[*archive, *withheld], workers=workers)
    apply(todo, ckan, workers)
    result.plan = todo.summary()
    result.sharing = share_members_only(ckan, committee, desired, todo)
    result.withheld = withheld
    return result


def share_members_only(ckan, committee: Committee, desired: list[DesiredDataset], todo: Plan) -> Sharing:
    """Every user of the committee's organizations reads its members-only datasets, and
    nobody else: set on each of them every run, since users come and go between runs."""
    failed = {line.split(":", 1)[0] for line in todo.failed}
    private = [d.name for d in desired if d.fields.get("private") and d.name not in failed]
    if not private:
        return Sharing()
    readers = committee_users(ckan, [committee.slug, *(m.slug for m in committee.members)])
    return share_with_members(ckan, private, readers)
