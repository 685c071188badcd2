"""Content detectors: find personal identifiers inside cells, with their check digits.

Each detector extracts candidate tokens with a regular expression and keeps
those that really are what they look like (valid key, not a role mailbox,
not an organisation identifier). Organisation identifiers are not personal
data and must not be flagged: a SIRET (14 digits) is never taken for a card
number, a 5-digit INSEE code or postal code never matches a phone or NIR
shape, and columns named after such identifiers skip the numeric detectors.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from catalog.privacy import masking
from catalog.validation import checksums

# Shared mailboxes of an organisation: not a person's address (role words,
# in the local part before any '.', '-', '_' or '+').
ROLE_MAILBOXES = frozenset(
    {
        "accueil",
        "admin",
        "administration",
        "archives",
        "bibliotheque",
        "cabinet",
        "cantine",
        "ccas",
        "cnil",
        "communication",
        "compta",
        "comptabilite",
        "contact",
        "contacts",
        "courrier",
        "culture",
        "direction",
        "dpd",
        "dpo",
        "ecole",
        "etatcivil",
        "etat",
        "facturation",
        "finances",
        "hello",
        "info",
        "infos",
        "information",
        "informations",
        "jeunesse",
        "mairie",
        "marches",
        "mediatheque",
        "noreply",
        "no",
        "ne",
        "office",
        "opendata",
        "periscolaire",
        "police",
        "postmaster",
        "presse",
        "recrutement",
        "reservation",
        "restauration",
        "rgpd",
        "rh",
        "scolaire",
        "secretariat",
        "service",
        "services",
        "sport",
        "standard",
        "support",
        "technique",
        "tourisme",
        "urbanisme",
        "ville",
        "webmaster",
    }
)

# Column-name words of organisation identifiers and amounts (SIRET, SIREN,
# INSEE code, EPCI, postal code, RNA association number, amounts...).
ORGANISATION_COLUMN_WORDS = frozenset(
    {
        "ape",
        "cadastre",
        "cog",
        "cp",
        "epci",
        "finess",
        "insee",
        "montant",
        "montants",
        "naf",
        "postal",
        "rna",
        "siren",
        "siret",
        "tva",
        "uai",
    }
)

_EMAIL = r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
_SEP = r"[\s.\-]?"
_PHONE = (
    rf"(?:\+33|\b0033){_SEP}(?:\(0\){_SEP})?[1-9](?:{_SEP}[0-9]{{2}}){{4}}\b"
    rf"|\b0[1-9](?:{_SEP}[0-9]{{2}}){{4}}\b"
)
_NIR = (
    r"\b[1-478][\s.]?[0-9]{2}[\s.]?[0-9]{2}[\s.]?(?:[0-9]{2}|2[AaBb])"
    r"[\s.]?[0-9]{3}[\s.]?[0-9]{3}[\s.]?[0-9]{2}\b"
)
_IBAN = r"\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b"
_CARD = r"\b[0-9](?:[ \-]?[0-9]){12,18}\b"
# Issuer prefixes (ISO/IEC 7812): Visa, Mastercard, Amex, Discover/Maestro/CB co-badged.
_CARD_ISSUER = (
    r"^(?:4[0-9]{12}(?:[0-9]{3}){0,2}|5[1-5][0-9]{14}|2[2-7][0-9]{14}"
    r"|3[47][0-9]{13}|6[0-9]{15,18})$"
)
# Cell tests: a phone number, a NIR or a card number has at least ten digits, an IBAN starts
# with two capitals and two digits. No word boundary: on accented text the regex engine runs
# `\b` several times slower.
_TEN_DIGITS = r"[0-9](?:[^0-9]*[0-9]){9}"
_IBAN_START = r"[A-Z]{2}[0-9]{2}"


@dataclass(frozen=True)
class Detector:
    kind: str
    hint: str  # regex a cell must contain before the costlier extraction
    candidates: str  # regex of candidate tokens
    is_personal: Callable[[pl.Expr], pl.Expr]  # on a candidate token
    mask: Callable[[str], str]
    numeric: bool  # skipped on columns named after organisation identifiers
    # Regex that every cell the hint matches also matches, cheap enough to run on every cell
    # of a column before grouping its distinct values (see screen._distinct_values).
    cell_test: str


def _email_is_personal(token: pl.Expr) -> pl.Expr:
    local = token.str.extract(r"^([^@]+)@", 1).str.to_lowercase()
    first_word = local.str.extract(r"^([^.\-_+]+)", 1)
    squeezed = local.str.replace_all(r"[.\-_+]", "")
    role = (
        first_word.is_in(list(ROLE_MAILBOXES))
        | squeezed.is_in(list(ROLE_MAILBOXES))
        | squeezed.str.starts_with("nepasrepondre")
        | squeezed.str.starts_with("noreply")
    )
    return ~role


def _phone_is_personal(token: pl.Expr) -> pl.Expr:
    digits = token.str.replace(r"^(?:\+33|0033)", "").str.replace_all(r"[^0-9]", "")
    national = digits.str.strip_prefix("0")
    # 08 numbers are shared or premium service lines (numéros spéciaux), never a person's.
    return ~national.str.starts_with("8")


def _nir_is_personal(token: pl.Expr) -> pl.Expr:
    return checksums.nir_valid(token)


def _iban_is_personal(token: pl.Expr) -> pl.Expr:
    return checksums.iban_valid(token)


def _card_is_personal(token: pl.Expr) -> pl.Expr:
    digits = token.str.replace_all(r"[ \-]", "")
    return digits.str.contains(_CARD_ISSUER) & checksums.luhn_valid(digits, 19)


DETECTORS = (
    Detector("email", "@", _EMAIL, _email_is_personal, masking.mask_email, numeric=False, cell_test="@"),
    Detector("phone", _PHONE, _PHONE, _phone_is_personal, masking.mask_phone, numeric=True, cell_test=_TEN_DIGITS),
    Detector("nir", _NIR, _NIR, _nir_is_personal, masking.mask_nir, numeric=True, cell_test=_TEN_DIGITS),
    Detector("iban", _IBAN, _IBAN, _iban_is_personal, masking.mask_iban, numeric=True, cell_test=_IBAN_START),
    Detector("card", _CARD, _CARD, _card_is_personal, masking.mask_card, numeric=True, cell_test=_TEN_DIGITS),
)


def column_words(name: str) -> list[str]:
    """'nomBeneficiaire' -> ['nom', 'beneficiaire']; 'code_postal' -> ['code', 'postal']."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    plain = unicodedata.normalize("NFKD", spaced).encode("ascii", "ignore").decode().lower()
    return [word for word in re.split(r"[^a-z0-9]+", plain) if word]


def names_organisation_identifier(column: str) -> bool:
    return any(word in ORGANISATION_COLUMN_WORDS for word in column_words(column))
