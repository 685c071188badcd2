"""The EU data themes (the vocabulary DCAT-AP and data.europa.eu use for `dcat:theme`),
with the French labels of the EU Publications Office, as CKAN groups: a reuser browses the
shared catalogue by theme, and each dataset's DCAT carries the theme's IRI.

Source: http://publications.europa.eu/resource/authority/data-theme (labels `fr`).
"""

from __future__ import annotations

THEME_IRI = "http://publications.europa.eu/resource/authority/data-theme/"

THEMES = {
    "AGRI": "Agriculture, pêche, sylviculture et alimentation",
    "ECON": "Économie et finances",
    "EDUC": "Éducation, culture et sport",
    "ENER": "Énergie",
    "ENVI": "Environnement",
    "GOVE": "Gouvernement et secteur public",
    "HEAL": "Santé",
    "INTR": "Questions internationales",
    "JUST": "Justice, système juridique et sécurité publique",
    "REGI": "Régions et villes",
    "SOCI": "Population et société",
    "TECH": "Science et technologie",
    "TRAN": "Transports",
}


def group_name(code: str) -> str:
    """The CKAN group of a theme: its code in lower case (`envi`)."""
    return code.lower()


def theme_iri(code: str) -> str:
    return THEME_IRI + code


def theme_group(code: str) -> tuple[str, str, str]:
    """(name, title, description) of the theme's CKAN group."""
    return (group_name(code), THEMES[code],
            f"Jeux de données du thème « {THEMES[code]} » du vocabulaire européen des thèmes ({theme_iri(code)}).")


def check_theme(value: str | None) -> str | None:
    """A theme code as the committee or a pack writes it; a clear error otherwise."""
    if value is None:
        return None
    code = value.strip().upper()
    if code not in THEMES:
        raise ValueError(f"{value!r} is not an EU data theme ({', '.join(THEMES)})")
    return code
