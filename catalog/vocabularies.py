"""The EU vocabularies the hub's DCAT-AP metadata names things by: update frequencies, the
language, and the IRI a table schema is known by (dct:conformsTo)."""

from __future__ import annotations

import re
import unicodedata

EU_AUTHORITY = "http://publications.europa.eu/resource/authority/"
EU_FREQUENCY = EU_AUTHORITY + "frequency/"
FRENCH = EU_AUTHORITY + "language/FRA"
SCHEMA_URN = "urn:x-territorial-data-hub:schema:"  # schemas with no URL of their own (the hub's packs)

# How portals spell a frequency (CKAN, udata, Opendatasoft; French or English) -> EU code.
FREQUENCIES = {
    "continuous": "CONT", "continu": "CONT", "temps reel": "CONT", "realtime": "CONT",
    "hourly": "HOURLY", "horaire": "HOURLY", "daily": "DAILY", "quotidien": "DAILY", "quotidienne": "DAILY",
    "weekly": "WEEKLY", "hebdomadaire": "WEEKLY", "monthly": "MONTHLY", "mensuel": "MONTHLY",
    "mensuelle": "MONTHLY", "quarterly": "QUARTERLY", "trimestriel": "QUARTERLY", "trimestrielle": "QUARTERLY",
    "semiannual": "ANNUAL_2", "biannual": "ANNUAL_2", "semestriel": "ANNUAL_2", "semestrielle": "ANNUAL_2",
    "annual": "ANNUAL", "yearly": "ANNUAL", "annuel": "ANNUAL", "annuelle": "ANNUAL",
    "biennial": "BIENNIAL", "irregular": "IRREG", "irregulier": "IRREG", "punctual": "NEVER",
    "ponctuel": "NEVER", "never": "NEVER", "unknown": "UNKNOWN", "inconnu": "UNKNOWN", "inconnue": "UNKNOWN",
}
EU_CODES = set(FREQUENCIES.values()) | {"ANNUAL_3", "BIMONTHLY", "BIWEEKLY", "MONTHLY_2", "MONTHLY_3",
                                        "WEEKLY_2", "WEEKLY_3", "DAILY_2", "TRIENNIAL", "OTHER"}


def frequency_iri(value: str | None) -> str | None:
    """The EU frequency IRI for a portal's value (an IRI, an EU code or a word); None if unknown."""
    if not value or not value.strip():
        return None
    text = value.strip()
    if text.startswith(EU_FREQUENCY):
        return text
    code = text.rstrip("/").rsplit("/", 1)[-1]
    if code.upper() in EU_CODES:
        return EU_FREQUENCY + code.upper()
    word = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    word = re.sub(r"[-_]+", " ", word).strip()
    found = FREQUENCIES.get(word) or FREQUENCIES.get(word.replace(" ", ""))
    return EU_FREQUENCY + found if found else None


def schema_iri(descriptor: dict, name: str, version: str | None = None) -> str:
    """What a dataset conforms to: the schema's own URL (a TableSchema's `path`, as
    schema.data.gouv.fr publishes them); for a schema of the hub's own, not published
    anywhere, the reference it implements (its `homepage`: SISPEA's indicators, Hub'Eau's
    API), since harvesters such as data.gouv.fr take only a URL; else a URN naming it."""
    for key in ("path", "homepage"):
        url = descriptor.get(key)
        if isinstance(url, str) and re.match(r"^https?://\S+$", url):
            return url
    return SCHEMA_URN + re.sub(r"[^A-Za-z0-9._-]+", "-", name) + (f":{version}" if version else "")
