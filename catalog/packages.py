"""From what the hub gathered to CKAN packages with DCAT-AP metadata.

Field names are those of the hub's scheming schema (deploy/local/ckan/hub_dataset.yaml,
ckanext-dcat's names), which the catalogue serialises as DCAT-AP 3 (`/dataset/<name>.jsonld`,
`/catalog.ttl`; euro_dcat_ap_3 and the hub's profile, deploy/local/ckan/ckanext-hub), the
form data.gouv.fr harvests. Every value that DCAT-AP takes from a vocabulary is given as
its IRI: publisher from the SIREN, commune from the INSEE COG, frequency, language, schema.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import polars as pl

from catalog.committee import Committee, Member
from catalog.communes import spatial_coverage
from catalog.naming import resource_id, slugify
from catalog.publication import DesiredDataset, DesiredResource
from catalog.themes import group_name, theme_iri
from catalog.vocabularies import EU_FREQUENCY, FRENCH, frequency_iri

LICENCES = {  # CKAN licence ids for the licences French collectivities use, as sources spell them
    "etalab-2.0": "etalab-2.0", "lov2": "etalab-2.0", "licence ouverte": "etalab-2.0",
    "licence ouverte v2.0": "etalab-2.0", "licence ouverte / open licence version 2.0": "etalab-2.0",
    "fr-lo": "etalab-2.0", "odbl": "odc-odbl", "odc-odbl": "odc-odbl", "odbl-1.0": "odc-odbl",
    "cc-by": "cc-by", "cc-by-4.0": "cc-by", "cc0": "cc-zero", "cc-zero": "cc-zero", "cc0-1.0": "cc-zero",
}
DEFAULT_LICENCE = "etalab-2.0"
LOCAL_AUTHORITY = "http://purl.org/adms/publishertype/LocalAuthority"
UNKNOWN_FREQUENCY = EU_FREQUENCY + "UNKNOWN"  # the vocabulary's own answer when nobody said


@dataclass(frozen=True)
class Rendering:
    """One file the hub wrote: its sha256, and how to read its bytes. They are read only
    when they must be uploaded, so publishing what CKAN already holds reads nothing."""

    sha256: str
    read: Callable[[], bytes] = field(compare=False, repr=False)

    @classmethod
    def of(cls, data: bytes) -> Rendering:
        return cls(hashlib.sha256(data).hexdigest(), lambda: data)


@dataclass(frozen=True)
class StagedFile:
    """One staged resource, ready to publish: its report and its renderings."""

    slug: str
    report: dict  # its "rows" say how many rows the DataStore gets, without reading them
    csv: Rendering
    parquet: Rendering
    errors_csv: Rendering | None = None


def licence_id(value: str | None) -> str:
    """CKAN's id for a known licence; an unknown one is kept as the source wrote it (never
    relabelled as another licence); none at all is Licence Ouverte, the French default."""
    if not value or not value.strip():
        return DEFAULT_LICENCE
    return LICENCES.get(value.strip().lower(), value.strip())


def siren_iri(siren: str) -> str:
    """The public page of a SIREN in the French directory of companies and public bodies."""
    return f"https://annuaire-entreprises.data.gouv.fr/entreprise/{siren}"


def _identified(siren: str | None) -> dict:
    """An agent's IRI and identifier from its SIREN, when it has one."""
    return {"uri": siren_iri(siren), "identifier": siren} if siren else {}


def publisher(member: Member) -> list[dict]:
    return [{"name": member.name, "email": member.contact, "type": LOCAL_AUTHORITY, **_identified(member.siren)}]


def member_dataset(member: Member, name: str, entry: dict, files: list[StagedFile],
                   theme: str | None = None, frequency: str | None = None) -> DesiredDataset:
    """`theme`, `frequency`: the pack's, for a dataset pooled as one (the committee's theme wins)."""
    remote = entry["remote"]
    override = entry.get("override") or {}
    source = remote.get("uri") or remote["remote_id"]
    fields = {
        "title": remote["title"],
        "notes": remote.get("description") or remote["title"],  # required by DCAT-AP schema
        "owner_org": member.slug,
        "license_id": licence_id(override.get("licence") or remote.get("licence")),
        "private": override.get("access") == "members",
        # The hub's name: unique in the catalogue, where two members' own ids may be equal.
        "identifier": name,
        "provenance": f"Recueilli par le hub auprès de {member.name} ({source}).",
        "frequency": frequency_iri(remote.get("frequency")) or frequency_iri(frequency) or UNKNOWN_FREQUENCY,
        "language": [FRENCH],
    }
    if member.insee:
        fields["spatial_coverage"] = [spatial_coverage(member.insee, member.name)]
    if period := _temporal(remote, files):
        fields["temporal_coverage"] = [period]
    conforms = [f.report["validation"].get("conforms_to") or f.report["validation"]["schema"]
                for f in files if f.report.get("validation")]
    if conforms:
        fields["conforms_to"] = sorted(set(conforms))
    fields["publisher"] = publisher(member)
    fields["contact"] = [{"name": member.name, "email": member.contact}]
    fields.update(themed(override.get("theme") or theme))
    tags = tuple(sorted({_tag(t) for t in remote.get("tags", ()) if _tag(t)}))
    return DesiredDataset(name=name, fields=fields, tags=tags, resources=_resources(name, files))


@dataclass(frozen=True)
class PooledFiles:
    """What the hub pooled for one pack, ready to publish."""

    pack: str
    title: str
    description: str
    tags: tuple[str, ...]
    conforms_to: str  # the schema's IRI (catalog.vocabularies.schema_iri)
    rows: int
    csv: Rendering
    parquet: Rendering
    sources_csv: Rendering  # every file offered, included or excluded with its reason
    sources_rows: int
    members: tuple[str, ...]
    dashboards: tuple[tuple[str, str], ...] = ()  # (lead's name, dashboard URL)
    theme: str | None = None  # the pack's EU data theme
    frequency: str | None = None  # the pack's update frequency (EU code or word)
    temporal: dict | None = None  # {"start", "end"}: the period the members' included files cover


def committee_coverage(committee: Committee, frequency: str | None, members: Iterable[str] | None = None) -> dict:
    """The DCAT-AP fields of a dataset the committee publishes for `members` (all when None):
    the committee as publisher, the members' communes as its places, French, its frequency."""
    chosen = committee.members if members is None else [committee.member(slug) for slug in members]
    return {
        "publisher": [{"name": committee.name, "type": LOCAL_AUTHORITY, **_identified(committee.siren)}],
        "frequency": frequency_iri(frequency) or UNKNOWN_FREQUENCY,
        "language": [FRENCH],
        "spatial_coverage": [spatial_coverage(m.insee, m.name) for m in chosen if m.insee],
    }


def pooled_dataset_name(committee: Committee, pack: str) -> str:
    return f"{committee.slug}-{pack.replace('_', '-')}"


def pooled_dataset(committee: Committee, pooled: PooledFiles) -> DesiredDataset:
    name = pooled_dataset_name(committee, pooled.pack)
    names = ", ".join(committee.member(m).name for m in pooled.members)
    boards = "".join(f"\n- {lead} : {url}" for lead, url in pooled.dashboards)
    notes = f"{pooled.description}\n\nCollectivités réunies : {names}."
    if boards:
        # A blank line before the list: CKAN's Markdown needs it to draw a list.
        notes += f"\n\nTableaux de bord des chefs de file (accès réservé) :\n{boards}"
    fields = {
        "title": pooled.title,
        "notes": notes,
        "owner_org": committee.slug,
        "license_id": DEFAULT_LICENCE,
        "private": False,
        "identifier": name,
        "conforms_to": [pooled.conforms_to],
        "provenance": ("Table mutualisée par le hub à partir des fichiers conformes au schéma publiés par chaque "
                       "membre ; la ressource « sources » dit quels fichiers sont inclus ou exclus, et pourquoi."),
        **committee_coverage(committee, pooled.frequency, pooled.members),
        **({"temporal_coverage": [pooled.temporal]} if pooled.temporal else {}),
        **themed(pooled.theme),
    }
    files = [StagedFile(slug=pooled.pack, report={"name": pooled.title, "rows": pooled.rows}, csv=pooled.csv,
                        parquet=pooled.parquet)]
    resources = _resources(name, files)
    sources = pooled.sources_csv
    resources.append(_resource(name, "sources/csv", "Sources : fichiers inclus et exclus", "CSV",
                               f"{pooled.pack}_sources.csv", sources, "text/csv",
                               "Chaque fichier proposé par un membre : inclus (nombre de lignes) ou exclu (motif).",
                               lambda: pl.read_csv(io.BytesIO(sources.read()), infer_schema=False),
                               pooled.sources_rows))
    return DesiredDataset(name=name, fields=fields, tags=tuple(sorted({_tag(t) for t in pooled.tags})),
                          resources=resources)


def _temporal(remote: dict, files: list[StagedFile]) -> dict | None:
    """The period the files' own dates cover (staging computes it, catalog/temporal.py),
    else what the source declares, else the day the source last changed a file that has
    no date column: the state it describes (an inventory of car parks, say)."""
    periods = [f.report["temporal"] for f in files if f.report.get("temporal")]
    if periods:
        return {"start": min(p["start"] for p in periods), "end": max(p["end"] for p in periods)}
    if remote.get("temporal_start") or remote.get("temporal_end"):
        return {"start": remote.get("temporal_start"), "end": remote.get("temporal_end")}
    if day := str(remote.get("modified") or "")[:10]:
        return {"start": day, "end": day}
    return None


def _resources(name: str, files: list[StagedFile]) -> list[DesiredResource]:
    resources = []
    for f in files:
        label = f.report.get("name") or f.slug
        base = label.rsplit(".", 1)[0] if label.lower().endswith((".csv", ".xlsx", ".ods", ".json")) else label
        stem = slugify(base).replace("-", "_") or f.slug  # download names people recognise
        parquet = f.parquet
        resources.append(_resource(name, f"{f.slug}/csv", f"{base} (CSV)", "CSV", f"{stem}.csv", f.csv,
                                   "text/csv", _csv_description(f.report) + _conformity(f.report),
                                   lambda p=parquet: pl.read_parquet(io.BytesIO(p.read())), f.report.get("rows", 0)))
        resources.append(_resource(name, f"{f.slug}/parquet", f"{base} (Parquet)", "Parquet",
                                   f"{stem}.parquet", f.parquet, "application/vnd.apache.parquet",
                                   "Même contenu, typé, pour l'analyse (Parquet, zstd)."))
        if f.errors_csv is not None:
            resources.append(_resource(name, f"{f.slug}/errors", f"{base} : rapport de validation", "CSV",
                                       f"{stem}_validation.csv", f.errors_csv, "text/csv",
                                       "Une ligne par erreur : ligne, colonne, valeur, règle, message."))
    return resources


def _csv_description(report: dict) -> str:
    validation = report.get("validation")
    if validation:  # staging wrote it as the schema does (catalog/validation/rendering.py)
        return (f"Fichier au format du schéma {validation['schema']} : noms, ordre et formats de ses champs,"
                " UTF-8, virgule.")
    return "Fichier normalisé : UTF-8, virgule, dates ISO."


def _conformity(report: dict) -> str:
    """The validation summary, where people read it: the resource's description."""
    validation = report.get("validation")
    if not validation:
        return ""
    schema = f"{validation['schema']} {validation.get('version') or ''}".strip()
    if validation["valid"]:
        return f" Conforme au schéma {schema}."
    errors = validation["errors"]
    plural = "s" if errors > 1 else ""
    return f" Non conforme au schéma {schema} : {errors} erreur{plural} (voir le rapport de validation)."


def _resource(dataset: str, role: str, title: str, fmt: str, filename: str, file: Rendering, mimetype: str,
              description: str, table: Callable[[], pl.DataFrame] | None = None, rows: int = 0) -> DesiredResource:
    return DesiredResource(id=resource_id(dataset, role), name=title, format=fmt, filename=filename,
                           sha256=file.sha256, content=file.read, description=description,
                           mimetype=mimetype, table=table, rows=rows)


def themed(theme: str | None) -> dict:
    """The dataset's EU theme: its CKAN group (browsing by theme) and its IRI (dcat:theme)."""
    if not theme:
        return {"groups": []}  # a theme removed leaves its group
    return {"groups": [{"name": group_name(theme)}], "theme": [theme_iri(theme)]}


def _tag(text: str) -> str:
    # CKAN tags: alphanumerics, spaces, - _ . only; accents are fine.
    return "".join(c for c in text if c.isalnum() or c in " -_.").strip()[:100]
