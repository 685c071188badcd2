"""Column names in snake_case ASCII, so that SQL, Parquet and code can use them unquoted.

"Montant total de la subvention*" -> montant_total_de_la_subvention,
"nomAttribuant" -> nom_attribuant, "NUMCOM" -> numcom. The original names are kept in the
report and in the Parquet metadata.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

# Ligatures that Unicode decomposition leaves alone.
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss"})
_CAMEL_HUMP = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def snake_case(name: str) -> str:
    """Snake-case ASCII form of a name; empty when the name holds no letter or digit."""
    decomposed = unicodedata.normalize("NFKD", name.translate(_LIGATURES))
    ascii_name = decomposed.encode("ascii", "ignore").decode("ascii")
    words = _CAMEL_HUMP.sub("_", ascii_name)
    return re.sub(r"[^a-z0-9]+", "_", words.lower()).strip("_")


def column_names(originals: Sequence[str | None]) -> list[str]:
    """Unique snake_case names; a blank original becomes column_<position>."""
    names: list[str] = []
    seen: set[str] = set()
    for position, original in enumerate(originals, start=1):
        base = snake_case(original or "") or f"column_{position}"
        name, suffix = base, 2
        while name in seen:
            name, suffix = f"{base}_{suffix}", suffix + 1
        seen.add(name)
        names.append(name)
    return names
