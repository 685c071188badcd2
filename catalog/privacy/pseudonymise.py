"""Replace identifying columns by a keyed hash (HMAC-SHA256), stable across runs.

The same value under the same key always gives the same pseudonym, so pooled
datasets still join; without the key nobody can recompute pseudonyms from a
guessed list of names (which a plain hash would allow).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

import polars as pl

MIN_KEY_BYTES = 16


class PseudonymisationError(ValueError):
    """Pseudonymisation refused: weak key or unknown column (named in the message)."""


def pseudonymise(frame: pl.DataFrame, columns: Iterable[str], key: bytes) -> pl.DataFrame:
    if len(key) < MIN_KEY_BYTES:
        raise PseudonymisationError(f"pseudonymisation key of {len(key)} bytes: at least {MIN_KEY_BYTES} are needed")
    columns = list(columns)
    unknown = [column for column in columns if column not in frame.columns]
    if unknown:
        raise PseudonymisationError(f"columns to pseudonymise not in the data: {', '.join(unknown)}")
    replaced = []
    for column in columns:
        text = frame.get_column(column).cast(pl.String)
        # HMAC is computed once per distinct value, then mapped back vectorised.
        distinct = text.drop_nulls().unique().to_list()
        pseudonyms = [hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest() for value in distinct]
        replaced.append(text.replace_strict(distinct, pseudonyms, default=None, return_dtype=pl.String).alias(column))
    return frame.with_columns(replaced)
