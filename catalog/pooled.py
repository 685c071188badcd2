"""Pooled tables: one per pack, merging every member's files of the pack's schema.

As schema.data.gouv.fr consolidates: only files valid against the schema join; their
rows are brought to the schema's fields and types, plus who sent them (`membre`,
`collectivite`), from which dataset (`jeu_source`) and when the bytes landed
(`recu_le`); on a duplicated primary key the most recently landed file wins. Every
file offered is listed with its verdict (the pooled dataset's "sources" resource).

A member only speaks for itself: rows whose tenancy column names another commune or
organisation are left out (and counted), or one member could overwrite another's
figures and reach another lead's dashboard.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import polars as pl

from catalog.validation import TableSchema
from catalog.validation.validator import match_columns

POLARS_TYPES = {
    "string": pl.String(), "integer": pl.Int64(), "number": pl.Float64(), "boolean": pl.Boolean(),
    "date": pl.Date(), "datetime": pl.Datetime("us", "UTC"), "year": pl.Int64(),
}
HUB_TYPES = {"membre": pl.String(), "collectivite": pl.String(), "jeu_source": pl.String(),
             "recu_le": pl.Datetime("us", "UTC")}


class PoolingError(ValueError):
    """A member file that cannot join the pooled table; says which file, row and column."""


@dataclass(frozen=True)
class Contributor:
    """Who sends a file, and the code its rows must carry in the tenancy column."""

    member: str
    name: str
    code: str | None  # INSEE code or SIREN, by the pack's tenancy kind (None: the member has none)


@dataclass(frozen=True)
class Offered:
    """A staged file offered to a pack, and what staging concluded about it."""

    member: str
    dataset: str
    file: str
    landed_at: str  # ISO 8601, when these bytes first landed
    decision: str  # publish | blocked (personal data, undecided) | withheld (by the committee)
    validation: dict | None
    access: str = "open"


@dataclass(frozen=True)
class SourceLine:
    """One row of the pooled dataset's sources resource."""

    membre: str
    jeu_de_donnees: str
    fichier: str
    recu_le: str
    statut: str  # inclus | exclu
    lignes: int
    motif: str

    def as_dict(self) -> dict:
        return asdict(self)


def table_columns(schema: TableSchema) -> dict[str, pl.DataType]:
    """The pooled table's columns: the schema's fields with their types, then the hub's."""
    return {f.name: POLARS_TYPES.get(f.type, pl.String()) for f in schema.fields} | HUB_TYPES


def exclusion(offered: Offered, schema: TableSchema, who: Contributor) -> str | None:
    """Why a file does not join the pooled table, in words its producer reads; None if it does."""
    if who.code is None:
        # Rows are shared out by commune or organisation code: a member without one (an
        # EPCI in a pack by INSEE code) could speak for any commune, so it is not pooled.
        return "membre sans code (INSEE ou SIREN) : ce pack répartit les lignes par ce code"
    if offered.access == "members":
        return "jeu réservé aux membres : il n'entre pas dans une table publique"
    if offered.decision == "withheld":
        return "jeu retenu par le comité (withhold) : il n'entre pas dans une table publique"
    if offered.decision != "publish":
        return "données personnelles sans exemption : fichier retenu"
    if not offered.validation or (offered.validation["schema"], offered.validation.get("version")) != (
            schema.name, schema.version):
        return f"fichier non validé contre le schéma du pack ({schema.name} {schema.version or ''})".strip()
    if not offered.validation["valid"]:
        errors = offered.validation["errors"]
        return (f"non conforme au schéma {offered.validation['schema']} {offered.validation.get('version') or ''}"
                f" : {errors} erreur{'s' if errors > 1 else ''} (voir le rapport de validation du jeu)")
    return None


def conform(frame: pl.DataFrame, schema: TableSchema, offered: Offered, who: Contributor) -> pl.DataFrame:
    """Bring one valid file to the schema's fields and types, or say precisely why it cannot."""
    origin = f"{offered.dataset}/{offered.file}"
    found = match_columns(schema, frame.columns)
    columns = []
    for field_ in schema.fields:
        dtype = POLARS_TYPES.get(field_.type, pl.String())
        if field_.name not in found:
            columns.append(pl.Series(field_.name, [None] * frame.height, dtype=dtype))
            continue
        column = frame[found[field_.name]]
        if column.dtype == dtype:  # staging already typed it: nothing to cast, nothing lost
            columns.append(column.alias(field_.name))
            continue
        cast = _cast(column, dtype)
        lost = (cast.is_null() & column.is_not_null()).arg_true()
        if len(lost):
            row = int(lost[0]) + 1
            raise PoolingError(f"{origin}: row {row}, column {field_.name}: {column[row - 1]!r} is not a {dtype}")
        columns.append(cast.alias(field_.name))
    # The landing time is parsed once, not once per row.
    landed = pl.Series([offered.landed_at]).str.to_datetime(time_zone="UTC").cast(HUB_TYPES["recu_le"])[0]
    return pl.DataFrame(columns).with_columns(
        pl.lit(who.member).alias("membre"), pl.lit(who.name).alias("collectivite"),
        pl.lit(offered.dataset).alias("jeu_source"), pl.lit(landed, dtype=HUB_TYPES["recu_le"]).alias("recu_le"),
    )


def _cast(column: pl.Series, dtype: pl.DataType) -> pl.Series:
    if column.dtype == pl.String():
        text = column.str.strip_chars()
        if dtype == pl.Date():
            return text.str.to_date("%Y-%m-%d", strict=False)
        if isinstance(dtype, pl.Datetime):
            return text.str.to_datetime(strict=False, time_zone="UTC", time_unit="us")
        if dtype == pl.Boolean():
            lowered = text.str.to_lowercase()
            return pl.select(pl.when(lowered.is_in(["true", "1", "oui", "vrai"])).then(True)
                             .when(lowered.is_in(["false", "0", "non", "faux"])).then(False)
                             .otherwise(None).alias(column.name)).to_series()
    if isinstance(dtype, pl.Datetime) and isinstance(column.dtype, pl.Datetime):
        zoned = column if column.dtype.time_zone else column.dt.replace_time_zone("UTC")
        return zoned.dt.convert_time_zone("UTC").dt.cast_time_unit("us")
    if dtype == pl.String():
        if column.dtype == pl.Date():
            return column.dt.strftime("%Y-%m-%d")
        return column.cast(pl.String())
    return column.cast(dtype, strict=False)


def own_rows(frame: pl.DataFrame, column: str, kind: str, code: str) -> tuple[pl.DataFrame, int]:
    """Keep the rows about the member itself; returns them and how many were left out."""
    values = frame[column].cast(pl.String).str.strip_chars()
    mine = values.str.slice(0, 9) == code if kind == "siret" else values == code
    kept = frame.filter(mine.fill_null(False))
    return kept, frame.height - kept.height


def newest_first_wins(parts: list[pl.DataFrame], primary_key: tuple[str, ...],
                      columns: dict[str, pl.DataType]) -> pl.DataFrame:
    """Concatenate; on a duplicated key keep the row of the most recently landed file."""
    if not parts:
        return pl.DataFrame(schema=columns)
    key = list(primary_key)
    # One stable sort by key then landing time; the last row of each run of equal keys is
    # the newest (a sort, a hash-unique and a second sort would copy the table three times).
    merged = pl.concat(parts, how="vertical").sort([*key, "recu_le"], maintain_order=True)
    last_of_key = pl.any_horizontal([pl.col(c).ne_missing(pl.col(c).shift(-1)) for c in key])
    return merged.filter(last_of_key | (pl.int_range(pl.len()) == pl.len() - 1))
