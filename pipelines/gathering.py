"""Gathering one member: list every source, land every resource, keep the bookkeeping.

Plain Python (no Dagster) so it can be tested and run alone; the `raw` asset calls it.
Like ckanext-harvest's gather/fetch stages, but errors are recorded per object instead
of aborting: one broken source, dataset or resource never stops the others, and what
failed is retried on the next run. The member's manifest (`raw/<member>/manifest.json`)
is the harvest bookkeeping: each dataset's remote record, status, and latest landings.

Sources are listed one after the other (a few pages each); resources are landed by a
small pool of threads, since a landing mostly waits on the network. Workers only return
landings or failures: the manifest is written by the calling thread alone.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import PurePosixPath

from catalog.committee import Member, Source
from catalog.naming import dataset_slug, resource_slug, slugify
from connectors.changes import detect_change
from connectors.deletions import DEFAULT_GRACE, Presence, reconcile
from connectors.handoffs import Bucket, DatasetEntry, Failure, Landing, Manifest, layout
from connectors.http import Fetched, FetchError, FetchPolicy, mask_url, origin_of
from connectors.landing import confirmed_by_listing, declared_facts, land_bytes, land_drop, land_resource
from connectors.portals import ckan, files, hubeau, opendatasoft, udata
from connectors.portals.listing import ListingProblem, ProblemSink
from connectors.records import RemoteDataset, RemoteResource

ARCHIVE_AFTER = DEFAULT_GRACE  # 7 days, as udata
DEFAULT_WORKERS = 8


@dataclass
class MemberGathering:
    member: str
    datasets: int = 0
    landed: int = 0  # resources whose bytes changed (new raw object or new provenance)
    unchanged: int = 0
    missing: list[str] = field(default_factory=list)  # datasets gone upstream in this run
    archived: list[str] = field(default_factory=list)  # datasets archived in this run
    reached_twice: list[str] = field(default_factory=list)  # same dataset by two paths: landed once
    failures: list[Failure] = field(default_factory=list)


# How each API expects its key (CKAN's API token, udata's X-API-KEY, Opendatasoft's Apikey).
API_KEY_HEADERS = {
    "ckan": ("Authorization", "{key}"),
    "udata": ("X-API-KEY", "{key}"),
    "opendatasoft": ("Authorization", "Apikey {key}"),
}


def source_policy(source: Source, base: FetchPolicy | None = None) -> FetchPolicy:
    """The fetch policy of one source: the hub's limits, its credentials, its allow-list."""
    headers = {}
    if source.credentials_env and os.environ.get(source.credentials_env):
        name, template = API_KEY_HEADERS.get(source.type, ("Authorization", "{key}"))
        headers[name] = template.format(key=os.environ[source.credentials_env])
    allow = frozenset()
    # The source's own origins (scheme, host, port), not its hosts: an intranet portal
    # allowed on one port cannot send the hub to another service of the same machine.
    if source.allow_private_network and source.url:
        allow = frozenset({origin_of(source.url)})
    if source.allow_private_network and source.files:
        allow = frozenset(origin_of(f.url) for f in source.files)
    if source.allow_private_network:
        allow |= {origin_of(origin) for origin in source.private_origins}
    return replace(base or FetchPolicy(), allow_private_origins=allow, headers=headers)


def list_source(
    store: Bucket,
    member: Member,
    source: Source,
    on_problem: ProblemSink,
    policy: FetchPolicy | None = None,
) -> Iterable[RemoteDataset]:
    """The datasets one source offers, as remote records; bad items go to `on_problem`."""
    policy = policy or source_policy(source)
    match source.type:
        case "files":
            return files.list_datasets(source.files)
        case "inbox":
            return _inbox_datasets(store, member.slug)
        case "ckan":
            return ckan.list_datasets(
                source.url, policy, organization=source.organization, tags=source.tags, on_problem=on_problem
            )
        case "opendatasoft":
            return opendatasoft.list_datasets(source.url, policy, publisher=source.organization, tags=source.tags)
        case "udata":
            return udata.list_datasets(
                source.url, policy, organization=source.organization, tags=source.tags, on_problem=on_problem
            )
        case "dcat":
            # Imported here: rdflib takes 30 ms of the start of every `tdh run`, and few
            # members publish a DCAT catalogue.
            from connectors.portals import dcat

            return dcat.list_datasets(source.url, policy, on_problem=on_problem)
        case "hubeau":
            return hubeau.list_datasets(source.url, source.stations, days=source.days)
    raise ValueError(f"unknown source type {source.type!r}")


def _inbox_datasets(store: Bucket, member: str) -> Iterable[RemoteDataset]:
    """Small communes drop files under inbox/<member>/: each file is one dataset."""
    for obj in store.list(layout.inbox_prefix(member)):
        name = PurePosixPath(obj.key).name
        stem, _, ext = name.rpartition(".")
        yield RemoteDataset(
            remote_id=slugify(stem or name),
            title=(stem or name).replace("_", " ").capitalize(),
            description=f"Fichier déposé dans la boîte de dépôt par la commune ({name}).",
            uri=f"s3://{store.bucket}/{obj.key}",
            resources=(
                RemoteResource(
                    url=f"s3://{store.bucket}/{obj.key}",
                    name=name,
                    format=(ext or "bin").upper(),
                    size=obj.size,
                    checksum=obj.etag,
                ),
            ),
        )


@dataclass(frozen=True)
class _Listed:
    """One dataset as a source listed it."""

    source: int  # index of the source in the member's configuration
    remote: RemoteDataset


@dataclass(frozen=True)
class _Job:
    """One resource to land, with what the manifest knew of it."""

    dataset: str
    resource: str
    remote: RemoteResource
    policy: FetchPolicy | None  # None: an inbox drop, read from the hub's own store
    previous: dict | None  # the last landing, as connectors.landing compares it
    build: Callable[[], bytes] | None = None  # bytes the connector builds (Hub'Eau), not one fetch


def gather_member(
    store: Bucket,
    member: Member,
    now: datetime | None = None,
    *,
    workers: int = DEFAULT_WORKERS,
    policy: FetchPolicy | None = None,
) -> MemberGathering:
    """List the member's sources, land what changed, mark what vanished; write the manifest.

    `workers` resources are landed at a time (1: one after the other). `policy` holds the
    hub's fetch limits (timeouts, retries, byte cap); each source adds its credentials and
    allow-list to it. `now` is the run's time, injectable to test the grace period.
    """
    now = now or datetime.now(UTC)
    stamp = now.isoformat(timespec="seconds")
    manifest = Manifest.read(store, member.slug)
    known = manifest.datasets
    report = MemberGathering(member=member.slug)
    policies = {index: source_policy(source, policy) for index, source in enumerate(member.sources)}

    listed, fully_listed = _list_sources(store, member, policies, report, stamp)
    jobs: list[_Job] = []
    seen: set[str] = set()
    identities = _Identities(known)
    for item in listed:
        record = _remote_record(item.remote)
        slug = identities.claim(member.slug, item.remote.remote_id, record)
        if slug is None:
            report.reached_twice.append(dataset_slug(member.slug, item.remote.remote_id))
            continue
        seen.add(slug)
        source = member.sources[item.source]
        override = source.datasets.get(item.remote.remote_id)
        entry = known.setdefault(slug, DatasetEntry(first_seen=stamp, status_since=stamp))
        if entry.status != "present":
            entry.status_since = stamp
        entry.remote, entry.source, entry.status, entry.last_seen = record, item.source, "present", stamp
        entry.errors = []
        entry.override = override.model_dump(by_alias=True) if override else None
        for resource in item.remote.resources:
            rslug = resource_slug(resource.key)
            drop = source.type == "inbox"
            fetch_policy = None if drop else policies[item.source]
            build = _station_csv(source, item.remote, policies[item.source], now) if source.type == "hubeau" else None
            previous = entry.resources.get(rslug)
            jobs.append(_Job(slug, rslug, resource, fetch_policy, previous.as_record() if previous else None, build))
    report.datasets = len(seen)

    for job, outcome in zip(jobs, _land_all(store, member.slug, jobs, workers, now), strict=True):
        if isinstance(outcome, Failure):  # recorded, retried next run; the previous landing is kept
            report.failures.append(outcome)
            known[job.dataset].errors.append(outcome)
            continue
        known[job.dataset].resources[job.resource] = outcome
        if outcome.changed:
            report.landed += 1
        else:
            report.unchanged += 1

    _reconcile(known, seen, fully_listed, len(member.sources), now, report)
    manifest.gathered_at, manifest.failures = stamp, report.failures
    manifest.write(store)
    return report


def _station_csv(source: Source, remote: RemoteDataset, policy: FetchPolicy, now: datetime) -> Callable[[], bytes]:
    """How to build the CSV of one followed Hub'Eau station (its dataset's remote id is its code)."""
    station = next(s for s in source.stations if s.code == remote.remote_id)
    window = hubeau.Window.ending(source.window_end or now, source.days)
    return partial(hubeau.station_csv, source.url, station, policy, window=window)


def _list_sources(
    store: Bucket,
    member: Member,
    policies: dict[int, FetchPolicy],
    report: MemberGathering,
    stamp: str,
) -> tuple[list[_Listed], set[int]]:
    """Every dataset the sources list, and which sources were listed completely.

    A listing that breaks half-way (source down, next-page loop...) keeps the datasets it
    gave before breaking: they are landed, but the source's other datasets are not judged
    missing on so partial a view.
    """
    listed: list[_Listed] = []
    fully_listed: set[int] = set()
    for index, source in enumerate(member.sources):

        def left_out(problem: ListingProblem) -> None:
            where = mask_url(problem.source_url)
            report.failures.append(
                Failure("dataset", where, _naming(where, f"{problem.item}: {problem.reason}"), stamp)
            )

        try:
            for remote in list_source(store, member, source, left_out, policies[index]):
                listed.append(_Listed(index, remote))
        except Exception as exc:  # one source down never stops the member's other sources
            where = mask_url(source.url) if source.url else f"{source.type} source #{index}"
            report.failures.append(Failure("source", where, _naming(where, _reason(exc)), stamp))
            continue
        fully_listed.add(index)
    return listed, fully_listed


class _Identities:
    """Which hub dataset a listed remote dataset is, across paths and across runs.

    The same dataset can be reached by two paths (a member's CKAN and its copy on
    data.gouv.fr): its URI and aliases (`same_as`) tie them. The first path listed wins;
    a dataset known from an earlier run keeps its slug when reached by another path.
    """

    def __init__(self, known: dict[str, DatasetEntry]):
        self.claimed: set[str] = set()  # slugs and aliases taken in this run
        self.known_aliases: dict[str, str] = {}
        for slug, entry in known.items():
            for alias in _aliases(entry.remote or {}):
                self.known_aliases.setdefault(alias, slug)

    def claim(self, member: str, remote_id: str, record: dict) -> str | None:
        """The slug of the dataset `remote_id` (`record` as the manifest keeps it), or None
        when this run already has it by another path."""
        aliases = _aliases(record)
        slug = dataset_slug(member, remote_id)
        if slug in self.claimed or aliases & self.claimed:
            return None
        earlier = next((self.known_aliases[a] for a in sorted(aliases) if a in self.known_aliases), None)
        if earlier is not None and earlier != slug:
            if earlier in self.claimed:
                return None
            slug = earlier
        self.claimed |= aliases | {slug}
        return slug


def _remote_record(remote: RemoteDataset) -> dict:
    """The remote dataset as the manifest keeps it: its URLs masked, as in every record
    that may be shown."""
    # Shallow copies, not dataclasses.asdict: its deep copies were a third of the time of
    # a gathering with nothing to land.
    record = {name: getattr(remote, name) for name in RemoteDataset.__dataclass_fields__}
    record.update(
        uri=mask_url(remote.uri) if remote.uri else None,
        tags=list(remote.tags),
        themes=list(remote.themes),
        same_as=[mask_url(alias) for alias in remote.same_as],
        resources=[{**vars(resource), "url": mask_url(resource.url)} for resource in remote.resources],
    )
    return record


def _aliases(remote: dict) -> set[str]:
    return {alias for alias in (remote.get("uri"), *(remote.get("same_as") or ())) if alias}


def _land_all(store: Bucket, member: str, jobs: list[_Job], workers: int, now: datetime) -> list[Landing | Failure]:
    """Each job's landing record or failure, in the order of `jobs`. What the listing
    confirms is settled here; only what needs a request or a read goes to the workers."""
    stamp = now.isoformat(timespec="seconds")

    def land(job: _Job) -> Landing | Failure:
        try:
            if job.build is not None:
                landing = _land_built(store, member, job, job.build(), now)
            elif job.policy is None:
                landing = land_drop(
                    store,
                    member=member,
                    dataset=job.dataset,
                    resource=job.resource,
                    remote=job.remote,
                    previous=job.previous,
                    now=now,
                )
            else:
                landing = land_resource(
                    store,
                    member=member,
                    dataset=job.dataset,
                    resource=job.resource,
                    remote=job.remote,
                    policy=job.policy,
                    previous=job.previous,
                    now=now,
                )
            return landing
        except Exception as exc:  # one resource never stops the others
            where = mask_url(job.remote.url)
            return Failure("resource", where, _naming(where, _reason(exc)), stamp, dataset=job.dataset)

    outcomes: list[Landing | Failure | None] = []
    pending: list[int] = []
    for job in jobs:
        confirmed = confirmed_by_listing(job.previous, job.remote, now)
        outcomes.append(confirmed)
        if confirmed is None:
            pending.append(len(outcomes) - 1)
    if workers <= 1 or len(pending) <= 1:
        landed = [land(jobs[i]) for i in pending]
    else:
        with ThreadPoolExecutor(max_workers=min(workers, len(pending)), thread_name_prefix=f"land-{member}") as pool:
            landed = list(pool.map(land, [jobs[i] for i in pending]))
    for index, outcome in zip(pending, landed, strict=True):
        outcomes[index] = outcome
    return outcomes


def _land_built(store: Bucket, member: str, job: _Job, data: bytes, now: datetime) -> Landing:
    """Land the bytes a connector built from several requests, as a fetched file is landed.

    There is nothing to ask conditionally: the bytes are built on every run, then their
    size and sha256 decide, so identical bytes are unchanged and write nothing.
    """
    url = job.remote.url
    built = Fetched(url=url, final_url=url, status=200, body=data, content_type=None, etag=None, last_modified=None)
    verdict = detect_change(job.previous, built)
    if verdict.changed:
        key, digest, _ = land_bytes(store, member, data, job.remote.format, verdict.sha256)
    else:
        key, digest = job.previous["key"], job.previous["sha256"]
    stamp = now.astimezone(UTC).isoformat(timespec="seconds")
    return Landing(
        member=member,
        dataset=job.dataset,
        resource=job.resource,
        source_url=mask_url(url),
        fetched_at=stamp,
        http_status=200,
        etag=None,
        last_modified=None,
        size=len(data),
        sha256=digest,
        key=key,
        format=job.remote.format,
        changed=verdict.changed,
        name=job.remote.name,
        declared=declared_facts(job.remote),
        detected_by=verdict.reason,
        checked_at=stamp,
    )


def _reconcile(
    known: dict[str, DatasetEntry], seen: set[str], fully_listed: set[int], sources: int, now: datetime,
    report: MemberGathering,
) -> None:
    """Vanished upstream: missing now, archived after the grace period, never deleted.

    Judged per source, and only for a source listed completely in this run, or one outage
    would mark all its datasets missing. A dataset of a source no longer configured is
    judged too: nothing lists it any more.
    """
    judged = {
        slug: _presence(entry)
        for slug, entry in known.items()
        if (entry.source or 0) in fully_listed or (entry.source or 0) >= sources
    }
    for slug, presence in reconcile(judged, seen & judged.keys(), now, ARCHIVE_AFTER).items():
        entry = known[slug]
        if presence.status == "missing" and entry.status != "missing":
            report.missing.append(slug)
        if presence.status == "archived" and entry.status != "archived":
            report.archived.append(slug)
        entry.status, entry.status_since = presence.status, presence.since.isoformat(timespec="seconds")


def _presence(entry: DatasetEntry) -> Presence:
    return Presence(
        status=entry.status or "present",
        since=datetime.fromisoformat(entry.status_since or entry.first_seen),
        last_seen=datetime.fromisoformat(entry.last_seen) if entry.last_seen else None,
    )


def _reason(exc: Exception) -> str:
    if isinstance(exc, FetchError):
        return str(exc)
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f" ({frame.filename.rsplit('/', 1)[-1]}:{frame.lineno})" if frame else ""
    return f"{type(exc).__name__}: {exc}{where}"


def _naming(where: str, why: str) -> str:
    """The cause, naming the URL (or source) it is about when it does not already."""
    return why if where in why else f"{where}: {why}"


# --- What the committee sends to a member's contact ---------------------------------------

_WHAT = {"source": "source", "dataset": "jeu de données", "resource": "fichier"}


@dataclass
class MemberReport:
    """The last gathering of one member, as its contact should hear of it.

    Sent only when there is something to act on (`needs_sending`): a failure, a dataset
    gone from the member's sources, or one archived by this gathering. The text is in
    French, the language of the members; causes are quoted as the hub recorded them.
    """

    member: str
    name: str
    contact: str
    gathered_at: str | None
    failures: list[dict]  # what, where (masked URL), why, when, dataset, title
    missing: list[dict]  # dataset, title, since, last_seen
    archived: list[dict]  # dataset, title, since, last_seen

    @property
    def needs_sending(self) -> bool:
        return bool(self.failures or self.missing or any(a["since"] == self.gathered_at for a in self.archived))

    @property
    def subject(self) -> str:
        problems = len(self.failures) + len(self.missing)
        when = (self.gathered_at or "jamais")[:10]
        return f"Collecte des données de {self.name} du {when} : {problems} point(s) à vérifier"

    def text(self) -> str:
        grace = ARCHIVE_AFTER.days
        lines = [f"À : {self.contact}", f"Objet : {self.subject}", "", "Bonjour,", ""]
        if self.gathered_at is None:
            return "\n".join([*lines, "Les sources de votre collectivité n'ont pas encore été collectées."])
        lines.append(f"Voici le bilan de la collecte du {self.gathered_at} pour {self.name}.")
        if not self.needs_sending:
            lines.append("Tout a été collecté sans erreur : aucune action n'est nécessaire.")
        if self.failures:
            lines += ["", "Ce qui n'a pas pu être collecté (nouvelle tentative à la prochaine collecte) :"]
            for failure in self.failures:
                about = f" (jeu de données « {failure['title']} »)" if failure.get("title") else ""
                lines.append(
                    f"- {_WHAT.get(failure['what'], failure['what'])} {failure['where']}{about}, "
                    f"le {failure['when']} : {failure['why']}"
                )
        if self.missing:
            lines += ["", f"Jeux de données absents de vos sources (archivés après {grace} jours d'absence) :"]
            lines += [f"- « {m['title']} » ({m['dataset']}), absent depuis le {m['since']}" for m in self.missing]
        if self.archived:
            lines += ["", "Jeux de données archivés (retirés du catalogue, conservés par le comité) :"]
            lines += [f"- « {a['title']} » ({a['dataset']}), archivé le {a['since']}" for a in self.archived]
        return "\n".join(lines)

    def as_dict(self) -> dict:
        return {**asdict(self), "needs_sending": self.needs_sending, "subject": self.subject, "text": self.text()}


def member_report(member: Member, manifest: Manifest) -> MemberReport:
    """The report of `member`'s last gathering, from its manifest (`gathered_at` None: never gathered)."""
    datasets = manifest.datasets

    def title(slug: str | None) -> str | None:
        entry = datasets.get(slug) if slug else None
        return entry.title if entry else None

    def gone(status: str) -> list[dict]:
        return [
            {"dataset": slug, "title": entry.title, "since": entry.status_since, "last_seen": entry.last_seen}
            for slug, entry in sorted(datasets.items())
            if entry.status == status
        ]

    return MemberReport(
        member=member.slug,
        name=member.name,
        contact=member.contact,
        gathered_at=manifest.gathered_at,
        failures=[{**failure.as_dict(), "title": title(failure.dataset)} for failure in manifest.failures],
        missing=gone("missing"),
        archived=gone("archived"),
    )
