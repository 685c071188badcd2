"""French diagnostic messages a producer can act on.

A message names the field the way the producer knows it (its title), says
what is wrong and what is expected, with the schema's example when there is
one. The offending value travels in its own column of the diagnostic table.
"""

from __future__ import annotations

import re

from catalog.validation.cells import strftime_to_french
from catalog.validation.schema import Field

_MAX_ENUM_SHOWN = 8


def quoted(text: object) -> str:
    return f"« {text} »"


def _example(field: Field) -> str:
    return f" (ex. {field.example})" if field.example else ""


def expected_type(field: Field) -> str:
    kind, fmt = field.type, field.format
    if kind == "string":
        return {
            "email": "une adresse électronique valide (ex. nom@domaine.fr)",
            "uri": "une adresse web complète commençant par https://",
            "uuid": "un identifiant UUID",
            "binary": "un contenu encodé en base64",
        }.get(fmt, "un texte")
    if kind == "integer":
        return "un nombre entier, sans espace ni séparateur de milliers" + _example(field)
    if kind == "number":
        decimal = "une virgule" if field.decimal_char == "," else "un point"
        return f"un nombre avec {decimal} comme séparateur décimal" + _example(field)
    if kind == "boolean":
        values = " ou ".join(quoted(v) for v in (field.true_values[0], field.false_values[0]))
        return f"une valeur booléenne : {values}"
    if kind == "date":
        if fmt == "any":
            return "une date (ex. 2019-05-10)"
        shown = "AAAA-MM-JJ" if fmt == "default" else strftime_to_french(fmt)
        return f"une date au format {shown}" + _example(field)
    if kind == "datetime":
        shown = "AAAA-MM-JJThh:mm:ss" if fmt in ("default", "any") else strftime_to_french(fmt)
        return f"une date et heure au format {shown}" + _example(field)
    if kind == "time":
        return "une heure au format hh:mm:ss"
    if kind == "year":
        return "une année sur 4 chiffres (ex. 2021)"
    if kind == "yearmonth":
        return "une année et un mois au format AAAA-MM"
    if kind == "duration":
        return "une durée ISO 8601 (ex. P1Y2M ou PT3H)"
    if kind == "geopoint":
        return "des coordonnées « longitude, latitude » en degrés décimaux"
    if kind == "array":
        return "une liste JSON entre crochets"
    return "un objet JSON entre accolades"


def type_error(field: Field) -> str:
    return f"{field.label} : la valeur doit être {expected_type(field)}"


def required(field: Field) -> str:
    return f"{field.label} : valeur obligatoire manquante"


def pattern(field: Field) -> str:
    return f"{field.label} : la valeur ne respecte pas le format attendu{_example(field)}"


def enum(field: Field) -> str:
    allowed = [quoted(v) for v in (field.enum or ())]
    shown = ", ".join(allowed[:_MAX_ENUM_SHOWN])
    if len(allowed) > _MAX_ENUM_SHOWN:
        shown += f"… ({len(allowed)} valeurs possibles)"
    return f"{field.label} : valeur non prévue ; valeurs possibles : {shown}"


def bound(field: Field, rule: str, limit: object) -> str:
    relation = {
        "minimum": "supérieure ou égale à",
        "maximum": "inférieure ou égale à",
        "exclusiveMinimum": "strictement supérieure à",
        "exclusiveMaximum": "strictement inférieure à",
    }[rule]
    return f"{field.label} : la valeur doit être {relation} {limit}"


def length(field: Field, rule: str, limit: int) -> str:
    relation = "au moins" if rule == "minLength" else "au plus"
    return f"{field.label} : la valeur doit comporter {relation} {limit} caractères"


def unique(field: Field) -> str:
    return f"{field.label} : valeur en double, chaque valeur doit être unique ; déjà présente ligne "


def primary_key(names: tuple[str, ...]) -> str:
    return f"Clé primaire ({', '.join(names)}) en double ; déjà présente ligne "


def primary_key_blank(names: tuple[str, ...]) -> str:
    return f"Clé primaire ({', '.join(names)}) vide : chaque ligne doit être identifiée"


def blank_row() -> str:
    return "Ligne vide : à supprimer du fichier"


def missing_column(field: Field, schema_name: str) -> str:
    return (
        f"Colonne obligatoire {quoted(field.name)} ({field.label}) absente du fichier : "
        f"à ajouter pour respecter le schéma {schema_name}"
    )


def extra_column(column: str, schema_name: str) -> str:
    return f"Colonne {quoted(column)} non prévue par le schéma {schema_name} : à retirer ou à renommer selon le schéma"


def identifier(field: Field, noun: str, digits: int) -> str:
    """'SIRET du bénéficiaire invalide', built from the field's title."""
    return (
        f"{identifier_subject(field.label, noun)} invalide : {digits} chiffres attendus avec une "
        "clé de contrôle correcte ; vérifier le numéro sur annuaire-entreprises.data.gouv.fr"
    )


def identifier_subject(label: str, noun: str) -> str:
    """'Identification SIRET du bénéficiaire' -> 'SIRET du bénéficiaire';
    'Identification de l'attribuant' -> "SIRET de l'attribuant"."""
    at = label.lower().find(noun.lower())
    if at >= 0:
        return noun + label[at + len(noun) :]
    owner = re.match(
        r"^(?:identification|identifiant|code|numéro|numero|n°)\s+((?:de|du|des|d')\b.*)$", label, re.IGNORECASE
    )
    if owner:
        return f"{noun} {owner.group(1)}"
    return f"{noun} ({label})"
