"""Benchmark: validate generated SCDL subventions rows, the hub against frictionless.

    .venv/bin/python benchmarks/validate.py                 # 1,000,000 rows
    .venv/bin/python benchmarks/validate.py --rows 100000 --frictionless-rows 20000

Generates a CSV of N rows conforming to the SCDL subventions schema 2.1.1
(benchmarks/data, copied from schema.data.gouv.fr), with a share of damaged rows (bad dates, SIRETs,
amounts, enums, bounds, missing values...). Times, in the same run:
- the hub: polars reads the CSV as text, then `catalog.validation.validate`;
- the baseline: frictionless with the two Validata custom checks the schema
  declares (SIRET through python-stdnum as Validata does, one-of-required),
  on the first `--frictionless-rows` rows; when that is fewer than N, its
  time is extrapolated linearly to N (frictionless streams row by row, so
  its cost is linear) and the output says so.
On that common slice both must report the same errors (row, field, kind),
else the script exits with status 1.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import frictionless
import polars as pl
from frictionless import errors as frictionless_errors
from stdnum import luhn
from stdnum.fr import siret as stdnum_siret

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from catalog.validation import load_schema, validate  # noqa: E402

SCHEMA = PROJECT / "benchmarks" / "data" / "scdl_subventions_schema_v2.1.1.json"

# Our rule -> the error type frictionless (plus the Validata checks below) reports.
FAMILY = {
    "type": "type-error",
    "required": "constraint-error",
    "pattern": "constraint-error",
    "enum": "constraint-error",
    "minimum": "constraint-error",
    "maximum": "constraint-error",
    "minLength": "constraint-error",
    "maxLength": "constraint-error",
    "unique": "unique-error",
    "primary-key": "primary-key",
    "blank-row": "blank-row",
    "missing-column": "missing-label",
    "extra-column": "extra-label",
    "french-siret-value": "french-siret-value",
    "one-of-required": "one-of-required",
}


class SiretError(frictionless_errors.CellError):
    type = "french-siret-value"
    title = "Numéro SIRET invalide"
    description = "Validata's french-siret-value, with python-stdnum"
    template = "SIRET invalide : {cell}"


class OneOfRequiredError(frictionless_errors.RowError):
    type = "one-of-required"
    title = "Une des deux colonnes requise"
    description = "Validata's one-of-required"
    template = "Une des deux colonnes doit être renseignée"


class FrenchSiretValue(frictionless.Check):
    """Validata's check, row by row as Validata runs it."""

    Errors = [SiretError]

    def __init__(self, column: str):
        super().__init__()
        self.column = column

    def validate_row(self, row):
        value = row[self.column]
        if value and not stdnum_siret.is_valid(value):
            yield SiretError.from_row(row, note="", field_name=self.column)


class OneOfRequired(frictionless.Check):
    Errors = [OneOfRequiredError]

    def __init__(self, first: str, second: str):
        super().__init__()
        self.first, self.second = first, second

    def validate_row(self, row):
        if not row[self.first] and not row[self.second]:
            yield OneOfRequiredError.from_row(row, note="")


def valid_sirets(count: int, rng: random.Random) -> list[str]:
    sirets = []
    while len(sirets) < count:
        siren = luhn.calc_check_digit(body := "".join(rng.choice("0123456789") for _ in range(8)))
        head = body + siren + "".join(rng.choice("0123456789") for _ in range(4))
        sirets.append(head + luhn.calc_check_digit(head))
    return sirets


def generate(rows: int, invalid_share: float, seed: int) -> pl.DataFrame:
    """N subventions rows, vectorised; a share of them damaged in one field each."""
    rng = random.Random(seed)
    attribuants = valid_sirets(200, rng)
    beneficiaires = valid_sirets(5000, rng)
    index = pl.int_range(rows, dtype=pl.Int64)
    hashed = index.hash(seed)

    def pick(values: list[str], salt: int) -> pl.Expr:
        return pl.lit(pl.Series(values)).gather((index * 7919 + salt).hash(seed) % len(values))

    day = pl.date(2018, 1, 1) + pl.duration(days=hashed % 1800)
    frame = pl.select(
        nomAttribuant=pick(["Région Bretagne", "Ville de Poitiers", "Commune de Crach"], 1),
        idAttribuant=pick(attribuants, 2),
        dateConvention=day.dt.to_string("%Y-%m-%d"),
        referenceDecision=pl.format("DEL-{}", index),
        nomBeneficiaire=pl.format("Association {}", hashed % 50_000),
        idBeneficiaire=pl.when(hashed % 10 != 0).then(pick(beneficiaires, 3)),
        # An association without SIRET gives its RNA number (one-of-required).
        rnaBeneficiaire=pl.when(hashed % 10 == 0).then(pl.format("W{}", hashed % 900_000_000 + 100_000_000)),
        objet=pick(["Animations climat-énergie dans les lycées", "Fête de la musique", "Soutien au club"], 4),
        montant=((hashed % 10_000_000) / 100).cast(pl.String),
        nature=pick(["aide en numéraire", "aide en nature", "aide en numéraire;aide en nature"], 5),
        conditionsVersement=pick(["unique", "échelonné", "autre"], 6),
        datesPeriodeVersement=day.dt.to_string("%Y-%m-%d"),
        idRAE=pl.when(hashed % 3 == 0).then((hashed % 90_000 + 10_000).cast(pl.String)),
        notificationUE=pick(["oui", "non"], 7),
        pourcentageSubvention=(((hashed % 100) + 1) / 100).cast(pl.String),
        dispositifAide=pl.lit(None, dtype=pl.String),
    )
    defects = {
        "dateConvention": "10/05/2019",
        "idAttribuant": "12000123400023",
        "idBeneficiaire": "13579246800043",
        "montant": "45000,50",
        "notificationUE": "Non",
        "pourcentageSubvention": "1.5",
        "nature": "aide",
        "nomBeneficiaire": None,
        "datesPeriodeVersement": "2019/05/20",
        "objet": "x" * 300,
        "rnaBeneficiaire": None,
    }
    damaged = (index.hash(seed + 1) % 1_000_000) < int(invalid_share * 1_000_000)
    which = index.hash(seed + 2) % len(defects)
    return frame.with_columns(
        pl.when(damaged & (which == number)).then(pl.lit(value, dtype=pl.String)).otherwise(pl.col(name)).alias(name)
        for number, (name, value) in enumerate(defects.items())
    )


def hub_errors(path: Path, schema) -> tuple[float, float, Counter]:
    start = time.perf_counter()
    frame = pl.read_csv(path, infer_schema=False)
    read = time.perf_counter()
    result = validate(frame, schema)
    end = time.perf_counter()
    kinds = Counter(
        (row, None if rule == "one-of-required" else column, FAMILY[rule])
        for row, column, rule in result.errors.select("row", "column", "rule").iter_rows()
    )
    return end - start, end - read, kinds


def frictionless_errors_of(path: Path) -> tuple[float, Counter]:
    descriptor = json.loads(SCHEMA.read_text(encoding="utf-8"))
    descriptor["fieldsMatch"] = "superset"
    descriptor.pop("custom_checks")
    checklist = frictionless.Checklist(
        checks=[
            FrenchSiretValue("idAttribuant"),
            FrenchSiretValue("idBeneficiaire"),
            OneOfRequired("idBeneficiaire", "rnaBeneficiaire"),
        ]
    )
    resource = frictionless.Resource(
        path=path.name, basepath=str(path.parent), schema=frictionless.Schema.from_descriptor(descriptor)
    )
    start = time.perf_counter()
    report = frictionless.validate(resource, checklist=checklist, limit_errors=10**9)
    elapsed = time.perf_counter() - start
    kinds = Counter(
        (
            error.row_number - 1 if getattr(error, "row_number", None) else None,
            getattr(error, "field_name", None) or None,
            error.type,
        )
        for error in report.tasks[0].errors
    )
    return elapsed, kinds


def write_csv(frame: pl.DataFrame, path: Path) -> None:
    # quote_style="necessary" and no index: a plain CSV as a producer would send.
    frame.write_csv(path, quote_style="necessary")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--frictionless-rows", type=int, default=50_000, help="slice given to frictionless")
    parser.add_argument("--invalid-share", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=2025)
    args = parser.parse_args()

    schema = load_schema(SCHEMA)
    slice_rows = min(args.frictionless_rows, args.rows)
    with tempfile.TemporaryDirectory() as folder:
        full_path, slice_path = Path(folder) / "subventions.csv", Path(folder) / "subventions_slice.csv"
        frame = generate(args.rows, args.invalid_share, args.seed)
        write_csv(frame, full_path)
        write_csv(frame.head(slice_rows), slice_path)
        size_mb = full_path.stat().st_size / 1e6
        del frame

        hub_total, hub_validate, hub_kinds = hub_errors(full_path, schema)
        _, _, hub_slice_kinds = hub_errors(slice_path, schema)
        baseline, baseline_kinds = frictionless_errors_of(slice_path)

    baseline_full = baseline * args.rows / slice_rows
    extrapolated = slice_rows < args.rows
    same = hub_slice_kinds == baseline_kinds
    print(f"rows: {args.rows:,} ({size_mb:.0f} MB CSV), damaged share {args.invalid_share:.1%}")
    print(
        f"hub: {hub_total:.2f} s read+validate ({hub_validate:.2f} s validate), "
        f"{args.rows / hub_total:,.0f} rows/s, {sum(hub_kinds.values()):,} errors"
    )
    label = f"extrapolated from {slice_rows:,} rows" if extrapolated else "measured"
    print(
        f"frictionless + Validata checks: {baseline:.2f} s on {slice_rows:,} rows "
        f"({slice_rows / baseline:,.0f} rows/s); {baseline_full:.1f} s for {args.rows:,} rows ({label})"
    )
    print(
        f"ratio: {baseline_full / hub_total:.1f}x faster (read+validate), "
        f"{baseline_full / hub_validate:.1f}x (validate only)"
    )
    print(
        f"common slice of {slice_rows:,} rows: hub {sum(hub_slice_kinds.values()):,} errors, "
        f"frictionless {sum(baseline_kinds.values()):,} errors, same rows and kinds: {same}"
    )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the run: {peak_mb:,.0f} MB")
    if not same:
        print("only hub:", list((hub_slice_kinds - baseline_kinds).items())[:10])
        print("only frictionless:", list((baseline_kinds - hub_slice_kinds).items())[:10])
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
