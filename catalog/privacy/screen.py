"""Screen a frame for personal data (RGPD) before it is published openly.

Detectors run on the distinct values of each column with their cell counts,
so a column of a million cells with a few hundred distinct values costs a few
hundred regex matches. A finding carries its evidence: the column, the kind,
how many cells, and masked examples.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import polars as pl

from catalog.privacy.detectors import DETECTORS, Detector, names_organisation_identifier
from catalog.privacy.masking import mask_name
from catalog.privacy.names import name_evidence

MAX_EXAMPLES = 3
# A decimal number with 4+ digits after its separator; phones written with dots
# ('01.23.45.67.89') and dotted NIRs have groups of 2 or 3 digits.
_DECIMAL_FRACTION = r"[0-9]*[.,][0-9]{4,}"


@dataclass(frozen=True)
class Finding:
    column: str
    kind: str  # email | phone | nir | iban | card | name
    count: int  # cells holding at least one such value
    examples: tuple[str, ...]  # masked, e.g. "j***@exemple.fr"


def screen(frame: pl.DataFrame, *, ignore_columns: Iterable[str] = ()) -> list[Finding]:
    ignored = set(ignore_columns)
    findings: list[Finding] = []
    for column, dtype in frame.schema.items():
        if column in ignored or not _screenable(dtype):
            continue
        distinct = _distinct_values(frame, column)
        if distinct.height == 0:
            continue
        textual = dtype == pl.String or isinstance(dtype, (pl.Categorical, pl.Enum))
        numeric_allowed = not names_organisation_identifier(column)
        for detector in DETECTORS:
            if (detector.numeric and not numeric_allowed) or (not textual and not detector.numeric):
                continue
            finding = _detect(column, distinct, detector)
            if finding is not None:
                findings.append(finding)
        if textual:
            evidence = name_evidence(column, distinct)
            if evidence is not None:
                examples = tuple(dict.fromkeys(mask_name(example) for example in evidence.examples))[:MAX_EXAMPLES]
                findings.append(Finding(column, "name", evidence.count, examples))
    return findings


def _screenable(dtype: pl.DataType) -> bool:
    # Integers are screened too: a NIR or a card number read as a number is still one.
    return dtype == pl.String or isinstance(dtype, (pl.Categorical, pl.Enum)) or dtype.is_integer()


def _distinct_values(frame: pl.DataFrame, column: str) -> pl.DataFrame:
    return (
        frame.lazy()
        .select(pl.col(column).cast(pl.String).alias("value"))
        .drop_nulls()
        .group_by("value")
        .agg(pl.len().alias("cells"))
        .collect()
    )


def _detect(column: str, distinct: pl.DataFrame, detector: Detector) -> Finding | None:
    text = pl.col("value")
    if detector.numeric:
        # Digits after a decimal point ('0.4111111111111111') are no identifier.
        text = text.str.replace_all(_DECIMAL_FRACTION, " ")
    hits = (
        distinct.lazy()
        .filter(pl.col("value").str.contains(detector.hint))
        .with_columns(text.str.extract_all(detector.candidates).alias("token"))
        .explode("token")
        .filter(pl.col("token").is_not_null())
        .filter(detector.is_personal(pl.col("token")).fill_null(False))
        .collect()
    )
    if hits.height == 0:
        return None
    count = int(hits.unique("value")["cells"].sum())
    masked = dict.fromkeys(detector.mask(token) for token in hits["token"].unique().sort())
    return Finding(column, detector.kind, count, tuple(masked)[:MAX_EXAMPLES])
