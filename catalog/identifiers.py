"""French public identifiers, one value at a time (the committee file's members).

The rules themselves live once, vectorised, in `catalog.validation.checksums` (INSEE code
shape with 2A/2B, SIREN and SIRET Luhn keys, La Poste's SIRET exception); this module
applies them to a single value so configuration and data are judged alike.
"""

from __future__ import annotations

import polars as pl

from catalog.validation.checksums import insee_commune_shape, siren_valid, siret_valid


def _check(rule, code: str) -> bool:
    return bool(pl.select(rule(pl.lit(code, dtype=pl.String))).item())


def is_insee_commune(code: str) -> bool:
    return _check(insee_commune_shape, code)


def is_siren(code: str) -> bool:
    return _check(siren_valid, code)


def is_siret(code: str) -> bool:
    return _check(siret_valid, code)


def luhn_complete(stem: str) -> str:
    """`stem` followed by the digit that makes a valid SIREN (8 digits in, 9 out): for
    generated committees (benchmarks), judged by the same rule as real ones."""
    for check in "0123456789":
        if is_siren(stem + check):
            return stem + check
    raise ValueError(f"{stem!r}: no Luhn digit completes it into a SIREN")
