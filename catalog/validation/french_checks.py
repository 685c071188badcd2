"""The French custom checks SCDL schemas declare (`custom_checks`, from Validata).

Semantics follow Validata's documentation: a check on a column absent from
the file is skipped (the `required` rule reports the column), empty cells are
skipped, except for `one-of-required` whose point is emptiness. Newer
Validata names (`siret`, `siren`, `nomenclature-acte`) are accepted too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import polars as pl

from catalog.validation import checksums
from catalog.validation.cells import Cells
from catalog.validation.messages import identifier, quoted
from catalog.validation.rules import Check, HeaderIssue
from catalog.validation.schema import CustomCheck, TableSchema

# Top level of the ACTES nomenclature (préfecture transmission of local acts),
# lower case and without accents as compared.
ACTES_MATTERS = frozenset(
    {
        "commande publique",
        "urbanisme",
        "domaine et patrimoine",
        "fonction publique",
        "institutions et vie politique",
        "libertes publiques et pouvoirs de police",
        "finances locales",
        "domaines de competences par themes",
        "autres domaines de competences",
    }
)
_COMPARISONS: dict[str, tuple[Callable[[pl.Expr, pl.Expr], pl.Expr], str]] = {
    ">": (lambda a, b: a > b, "strictement supérieure à"),
    ">=": (lambda a, b: a >= b, "supérieure ou égale à"),
    "<": (lambda a, b: a < b, "strictement inférieure à"),
    "<=": (lambda a, b: a <= b, "inférieure ou égale à"),
    "==": (lambda a, b: a == b, "égale à"),
    "!=": (lambda a, b: a != b, "différente de"),
}
_NUMERIC = frozenset({"integer", "number", "year"})
_TEMPORAL = frozenset({"date", "datetime"})


Outcome = list[Check | HeaderIssue]


def checks_for(check: CustomCheck, cells: Mapping[str, Cells], schema: TableSchema) -> Outcome | None:
    """The checks a custom check declares, or None when the hub does not know it."""
    build = _BUILDERS.get(check.name)
    if build is None:
        return None
    return build(check.params, cells, schema)


def _siret(params: dict[str, Any], cells: Mapping[str, Cells], schema: TableSchema) -> Outcome:
    return _identifier(params, cells, schema, "french-siret-value", "SIRET", 14, checksums.siret_valid)


def _siren(params: dict[str, Any], cells: Mapping[str, Cells], schema: TableSchema) -> Outcome:
    return _identifier(params, cells, schema, "french-siren-value", "SIREN", 9, checksums.siren_valid)


def _identifier(
    params: dict[str, Any],
    cells: Mapping[str, Cells],
    schema: TableSchema,
    rule: str,
    noun: str,
    digits: int,
    is_valid: Callable[[pl.Expr], pl.Expr],
) -> Outcome:
    column = params.get("column")
    if column not in cells:
        return []
    cell = cells[column]
    message = identifier(schema.get_field(column), noun, digits)
    failed = cell.present & ~is_valid(cell.text).fill_null(False)
    return [Check(column, rule, failed, pl.lit(message), cell.text)]


def _insee_commune(params: dict[str, Any], cells: Mapping[str, Cells], schema: TableSchema) -> Outcome:
    column = params.get("column")
    if column not in cells:
        return []
    cell = cells[column]
    label = schema.get_field(column).label
    message = (
        f"{label} : code commune INSEE invalide ; 5 caractères attendus, "
        "département puis numéro de commune (ex. 01001, 2A004, 97411)"
    )
    failed = cell.present & ~checksums.insee_commune_shape(cell.text).fill_null(False)
    return [Check(column, "code-commune-insee", failed, pl.lit(message), cell.text)]


def _one_of_required(params: dict[str, Any], cells: Mapping[str, Cells], schema: TableSchema) -> Outcome:
    first = params.get("column1", params.get("column"))
    second = params.get("column2")
    present = [name for name in (first, second) if name in cells]
    names = f"{quoted(first)} ou {quoted(second)}"
    if not present:
        message = f"Colonnes {names} absentes : au moins l'une des deux doit figurer dans le fichier"
        return [HeaderIssue(f"{first}, {second}", "one-of-required", message)]
    failed = pl.lit(True)
    for name in present:
        failed = failed & cells[name].missing
    labels = " ou ".join(_label(schema, name) for name in (first, second))
    message = f"Au moins une des colonnes {names} doit être renseignée ({labels})"
    value = pl.lit(None, dtype=pl.String)
    return [Check(present[0], "one-of-required", failed, pl.lit(message), value)]


def _label(schema: TableSchema, name: str) -> str:
    return schema.get_field(name).label if name in schema.field_names else name


def _compare_columns(params: dict[str, Any], cells: Mapping[str, Cells], schema: TableSchema) -> Outcome:
    left, right, op = params.get("column"), params.get("column2"), params.get("op")
    if left not in cells or right not in cells or op not in _COMPARISONS:
        return []
    compare, relation = _COMPARISONS[op]
    a, b = _comparable(schema, left, cells), _comparable(schema, right, cells)
    both = cells[left].present & cells[right].present & a.is_not_null() & b.is_not_null()
    failed = both & ~compare(a, b).fill_null(True)
    left_label, right_label = schema.get_field(left).label, schema.get_field(right).label
    message = pl.format(
        f"{left_label} ({{}}) doit être {relation} {right_label} ({{}})",
        cells[left].text,
        cells[right].text,
    )
    return [Check(left, "compare-columns-value", failed, message, cells[left].text)]


def _comparable(schema: TableSchema, name: str, cells: Mapping[str, Cells]) -> pl.Expr:
    """The value to compare: typed for numbers and dates, else the text read as a number."""
    kind = schema.get_field(name).type
    cell = cells[name]
    if kind in _NUMERIC:
        return cell.value.cast(pl.Float64)
    if kind in _TEMPORAL:
        return cell.value.cast(pl.Datetime("us", "UTC")) if kind == "date" else cell.value
    return cell.text.str.strip_chars().cast(pl.Float64, strict=False)


def _sum_columns(params: dict[str, Any], cells: Mapping[str, Cells], schema: TableSchema) -> Outcome:
    total_column, parts = params.get("column"), list(params.get("columns") or ())
    if total_column not in cells or not any(part in cells for part in parts):
        return []
    present_parts = [part for part in parts if part in cells]
    values = [_comparable(schema, name, cells) for name in [total_column, *present_parts]]
    all_filled = pl.all_horizontal(value.is_not_null() for value in values)
    difference = values[0] - pl.sum_horizontal(values[1:])
    failed = all_filled & (difference.abs() > 1e-9)
    labels = ", ".join(schema.get_field(part).label for part in present_parts)
    message = f"{schema.get_field(total_column).label} doit être égal à la somme de : {labels}"
    return [Check(total_column, "sum-columns-value", failed, pl.lit(message), cells[total_column].text)]


def _cohesive_columns(params: dict[str, Any], cells: Mapping[str, Cells], schema: TableSchema) -> Outcome:
    names = [params.get("column"), *(params.get("othercolumns") or ())]
    present = [name for name in names if name in cells]
    if not present:
        return []
    filled = [~cells[name].missing for name in present]
    failed = pl.any_horizontal(filled) & ~pl.all_horizontal(filled)
    listed = ", ".join(quoted(name) for name in present)
    message = f"Les colonnes {listed} doivent être toutes renseignées ou toutes vides"
    return [Check(present[0], "cohesive-columns-value", failed, pl.lit(message), cells[present[0]].text)]


def _year_interval(params: dict[str, Any], cells: Mapping[str, Cells], schema: TableSchema) -> Outcome:
    column = params.get("column")
    if column not in cells:
        return []
    cell = cells[column]
    first = cell.text.str.extract(r"^([0-9]{4})/[0-9]{4}$", 1).cast(pl.Int32)
    second = cell.text.str.extract(r"^[0-9]{4}/([0-9]{4})$", 1).cast(pl.Int32)
    ok = (first < second).fill_null(False)
    year_only = str(params.get("allow-year-only", "")).lower() in ("true", "yes")
    if year_only:
        ok = ok | cell.text.str.contains(r"^[0-9]{4}$")
    expected = "une année (AAAA) ou une période" if year_only else "une période"
    message = (
        f"{schema.get_field(column).label} : {expected} AAAA/AAAA attendue, "
        "la seconde année postérieure à la première (ex. 2017/2018)"
    )
    return [Check(column, "year-interval-value", cell.present & ~ok, pl.lit(message), cell.text)]


def _actes_nomenclature(params: dict[str, Any], cells: Mapping[str, Cells], schema: TableSchema) -> Outcome:
    column = params.get("column")
    if column not in cells:
        return []
    cell = cells[column]
    prefix = cell.text.str.extract(r"^([^/]*)/", 1)
    plain = prefix.str.to_lowercase().str.normalize("NFD").str.replace_all(r"\p{M}", "")
    ok = plain.is_in(list(ACTES_MATTERS)).fill_null(False) & ~cell.text.str.contains("/ ", literal=True)
    message = (
        f"{schema.get_field(column).label} : doit commencer par une matière de la nomenclature "
        "ACTES suivie d'une oblique sans espace (ex. Finances locales/Subventions)"
    )
    return [Check(column, "nomenclature-actes-value", cell.present & ~ok, pl.lit(message), cell.text)]


_BUILDERS: dict[str, Callable[[dict[str, Any], Mapping[str, Cells], TableSchema], Outcome]] = {
    "french-siret-value": _siret,
    "siret": _siret,
    "french-siren-value": _siren,
    "siren": _siren,
    "code-commune-insee": _insee_commune,
    "one-of-required": _one_of_required,
    "compare-columns-value": _compare_columns,
    "sum-columns-value": _sum_columns,
    "cohesive-columns-value": _cohesive_columns,
    "year-interval-value": _year_interval,
    "nomenclature-actes-value": _actes_nomenclature,
    "nomenclature-acte": _actes_nomenclature,
}
