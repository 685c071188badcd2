"""Pooled tables: one table per common schema, merging every member's files.

Like udata's schema consolidation: each member's conformant file is read, brought to the
common columns, concatenated, and deduplicated on the primary key. Each commune only contributes rows about itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


class PoolingError(ValueError):
    """A member file that cannot join the pooled table; says which file and column."""


@dataclass(frozen=True)
class PooledTable:
    name: str  # object key part, warehouse table name, CKAN dataset suffix
    title: str
    description: str
    columns: dict[str, pl.DataType]
    primary_key: tuple[str, ...]
    tags: tuple[str, ...] = ()


WATER_VOLUMES = PooledTable(
    name="water_volumes",
    title="Eau potable : volumes mensuels distribués et facturés (toutes communes)",
    description=(
        "Volumes d'eau potable mis en distribution et facturés, par commune et par mois, "
        "réunis depuis les fichiers de chaque commune membre. Le rendement du réseau "
        "(indicateur P104.3) est volume facturé / volume distribué."
    ),
    columns={
        "code_insee": pl.String(),
        "commune": pl.String(),
        "mois": pl.Date(),
        "volume_distribue_m3": pl.Float64(),
        "volume_facture_m3": pl.Float64(),
    },
    primary_key=("code_insee", "mois"),
    tags=("eau", "rendement", "réseau"),
)

POOLED_TABLES = {t.name: t for t in (WATER_VOLUMES,)}


def conform(frame: pl.DataFrame, table: PooledTable, origin: str, member: str) -> pl.DataFrame:
    """Bring one member file to the pooled columns, or say precisely why it cannot."""
    missing = [c for c in table.columns if c not in frame.columns]
    if missing:
        raise PoolingError(f"{origin}: missing column(s) {', '.join(missing)} for {table.name}")
    columns = []
    for name, dtype in table.columns.items():
        column = frame[name]
        if column.dtype != dtype:
            # Polars 2 no longer casts text to dates: parse ISO dates explicitly.
            if dtype == pl.Date() and column.dtype == pl.String():
                cast = column.str.to_date("%Y-%m-%d", strict=False)
            else:
                cast = column.cast(dtype, strict=False)
            lost = (cast.is_null() & column.is_not_null()).arg_true()
            if len(lost):
                row = int(lost[0]) + 1
                raise PoolingError(
                    f"{origin}: row {row}, column {name}: {column[row - 1]!r} is not a {dtype}"
                )
            column = cast
        columns.append(column.alias(name))
    return pl.DataFrame(columns).with_columns(pl.lit(member).alias("member"))


def own_rows(frame: pl.DataFrame, insee: str | None, origin: str) -> pl.DataFrame:
    """A commune speaks for itself only: rows about another commune are refused, or one
    member could overwrite another's figures (and reach another lead's dashboard)."""
    if insee is None or "code_insee" not in frame.columns:
        return frame
    foreign = (frame["code_insee"] != insee).arg_true()
    if len(foreign):
        row = int(foreign[0]) + 1
        raise PoolingError(f"{origin}: row {row}, column code_insee: {frame['code_insee'][row - 1]!r} "
                           f"is not this member's commune ({insee})")
    return frame


def pool(parts: list[pl.DataFrame], table: PooledTable) -> pl.DataFrame:
    """Concatenate conformed parts; on a duplicated key the last part wins (parts come in
    committee order, then by dataset name: a member's newer file should replace the old)."""
    if not parts:
        return pl.DataFrame(schema={**table.columns, "member": pl.String()})
    merged = pl.concat(parts, how="vertical")
    return merged.unique(subset=list(table.primary_key), keep="last", maintain_order=True).sort(
        list(table.primary_key)
    )
