"""French public identifiers, checked the way INSEE and the SIRENE register define them.

- INSEE commune code (code officiel géographique): 5 characters, department first;
  Corsica uses 2A/2B, overseas departments 97x.
- SIREN: 9 digits with a Luhn key; SIRET: SIREN + 5-digit establishment number, Luhn too,
  except La Poste (SIREN 356000000) whose SIRETs may instead have a digit sum divisible by 5.
"""

from __future__ import annotations

import re

INSEE_COMMUNE = re.compile(r"^(?:[013-9]\d|2[AB1-9])\d{3}$")
LA_POSTE_SIREN = "356000000"


def luhn_valid(digits: str) -> bool:
    if not digits.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def is_insee_commune(code: str) -> bool:
    return bool(INSEE_COMMUNE.match(code))


def is_siren(code: str) -> bool:
    return len(code) == 9 and luhn_valid(code)


def is_siret(code: str) -> bool:
    if len(code) != 14 or not code.isdigit():
        return False
    if code.startswith(LA_POSTE_SIREN):  # the head office 35600000000048 is Luhn-valid too
        return luhn_valid(code) or sum(int(c) for c in code) % 5 == 0
    return luhn_valid(code)
