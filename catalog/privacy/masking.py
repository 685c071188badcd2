"""Masked evidence: enough to recognise the kind of data, not enough to identify anyone."""

from __future__ import annotations

import re


def mask_email(address: str) -> str:
    """'jean.dupont@exemple.fr' -> 'j***@exemple.fr' (the domain says little about a person)."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_digits(value: str, keep_start: int, keep_end: int) -> str:
    """Star the alphanumerics between the first `keep_start` and the last `keep_end`,
    keeping separators so the writing ('06 12 34 56 78') stays recognisable."""
    positions = [index for index, char in enumerate(value) if char.isalnum()]
    hidden = set(positions[keep_start : len(positions) - keep_end])
    return "".join("*" if index in hidden else char for index, char in enumerate(value))


def mask_phone(number: str) -> str:
    return mask_digits(number, 3 if number.startswith("+") else 2, 2)


def mask_nir(number: str) -> str:
    return mask_digits(number, 1, 0)


def mask_iban(number: str) -> str:
    return mask_digits(number, 4, 2)


def mask_card(number: str) -> str:
    return mask_digits(number, 1, 2)


def mask_name(name: str) -> str:
    """'Jean Dupont' -> 'J*** D***'."""
    return " ".join(f"{word[:1]}***" for word in re.split(r"\s+", name.strip()) if word)
