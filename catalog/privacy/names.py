"""Person names: column-name hints plus a first-name list shipped with the project.

A name alone proves nothing ('nom' is as often a school's name as a
person's), so the evidence is weighed:
- a column named like a person's name ('prenom', 'nom_prenom',
  'beneficiaire_personne'...) is personal as soon as it holds words;
- a column with a looser hint ('nom', 'beneficiaire', 'titulaire'...) needs a
  fifth of its cells to look like 'Prénom Nom' with a known first name;
- any other column needs half of its cells to.
Values naming an organisation or a place ('Collège Jean Jaurès', 'rue Victor
Hugo', 'Mairie de Crach') never count.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import polars as pl

from catalog.privacy.detectors import column_words

STRONG_HINTS = (
    {"prenom"},
    {"prenoms"},
    {"firstname"},
    {"first", "name"},
    {"last", "name"},
    {"given", "name"},
    {"full", "name"},
    {"lastname"},
    {"surname"},
    {"patronyme"},
    {"nom", "famille"},
    {"nom", "naissance"},
    {"nom", "usage"},
    {"nom", "complet"},
    {"beneficiaire", "personne"},
    {"personne", "physique"},
)
WEAK_HINTS = frozenset(
    {
        "agent",
        "auteur",
        "beneficiaire",
        "contact",
        "demandeur",
        "elu",
        "interlocuteur",
        "name",
        "nom",
        "proprietaire",
        "redacteur",
        "referent",
        "responsable",
        "signataire",
        "titulaire",
    }
)
# Column words saying the name is an organisation's, a place's or a thing's.
ORGANISATION_WORDS = frozenset(
    {
        "association",
        "attribuant",
        "budget",
        "canteen",
        "cantine",
        "coll",
        "collectivite",
        "com",
        "commune",
        "compte",
        "departement",
        "dep",
        "entreprise",
        "epci",
        "equipement",
        "etab",
        "etablissement",
        "fichier",
        "label",
        "lieu",
        "matiere",
        "menu",
        "organisme",
        "parking",
        "plat",
        "region",
        "restaurant",
        "site",
        "societe",
        "structure",
        "voie",
    }
)
# Words in a value that make it an organisation or a place, not a person.
_ORGANISATION_VALUE = (
    r"\b(?:mairie|commune|ville|communaute|cc|ca|cu|metropole|departement|region|conseil|"
    r"syndicat|sivu|sivom|association|asso|club|comite|federation|fondation|societe|sarl|sas|"
    r"sasu|eurl|sa|sci|scop|gaec|earl|entreprise|groupe|cabinet|agence|office|centre|"
    r"college|lycee|ecole|universite|creche|ehpad|hopital|clinique|cantine|restaurant|"
    r"residence|foyer|maison|salle|gymnase|stade|piscine|parking|parc|jardin|musee|theatre|"
    r"bibliotheque|mediatheque|eglise|chapelle|rue|avenue|boulevard|bd|place|allee|chemin|"
    r"impasse|quai|route|square|cours|saint|sainte|st|ste|pont|port|gare|camping|hotel|"
    r"prefecture|services?|direction|ccas|caf|cpam|chu|chr|gip|epic|epa|sem|spl|opac|oph)\b"
)
_CIVILITY = r"^(?:m|mr|mme|mlle|monsieur|madame|mademoiselle|dr|docteur|me|maitre)\.?\s+"
_NAME_SHAPE = r"^[a-z][a-z']*(?:[\s\-]+[a-z][a-z']*){1,3}$"
STRONG_SHARE = 0.0
WEAK_SHARE = 0.2
NO_HINT_SHARE = 0.5
NO_HINT_MINIMUM = 3
EXAMPLES_KEPT = 20


@dataclass(frozen=True)
class NameEvidence:
    count: int  # cells that look like a person's name
    examples: tuple[str, ...]  # a few unmasked values, sorted; the caller masks and keeps three


@cache
def first_names() -> frozenset[str]:
    text = resources.files("catalog.privacy").joinpath("data/prenoms.txt").read_text("utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def hint_strength(column: str) -> str:
    """'strong', 'weak' or 'none' for a column name."""
    words = set(column_words(column))
    if any(hint <= words for hint in STRONG_HINTS):
        return "strong"
    if words & WEAK_HINTS and not words & ORGANISATION_WORDS:
        return "weak"
    return "none"


def name_evidence(column: str, distinct: pl.DataFrame) -> NameEvidence | None:
    """Evidence that a column holds person names.

    `distinct` has one row per distinct non-null value: `value` (text) and
    `cells` (how many cells hold it).
    """
    return weigh_names(column, name_tally(column, distinct))


@dataclass(frozen=True)
class NameTally:
    """What some rows of a column show. The shares are weighed on the whole column, so a
    table read in batches adds its batches' tallies (`+`) before `weigh_names`."""

    count: int  # cells that look like a person's name
    total: int  # cells with a value
    examples: tuple[str, ...]  # the first such values, sorted, at most EXAMPLES_KEPT

    def __add__(self, other: NameTally) -> NameTally:
        examples = tuple(sorted(set(self.examples) | set(other.examples))[:EXAMPLES_KEPT])
        return NameTally(self.count + other.count, self.total + other.total, examples)


def could_be_name(value: pl.Expr) -> pl.Expr:
    """The cheap first test of a name: no digit, no '@', short."""
    return ~value.str.contains(r"[0-9@_/]") & (value.str.len_chars() <= 80)


def name_tally(column: str, distinct: pl.DataFrame, total: int | None = None) -> NameTally:
    """The cells of `distinct` (as for `name_evidence`) that look like a person's name.

    `total`: the column's cells with a value, when `distinct` holds only the values that
    pass `could_be_name` (the shares are of the whole column).
    """
    if total is None:
        total = int(distinct["cells"].sum()) if distinct.height else 0
    plain = (
        pl.col("value")
        .str.to_lowercase()
        .str.normalize("NFD")
        .str.replace_all(r"\p{M}", "")
        .str.replace_all(r"[,;]", " ")
        .str.strip_chars()
        .str.replace(_CIVILITY, "")
    )
    words = (
        distinct.lazy()
        .filter(could_be_name(pl.col("value")))
        .with_columns(plain.alias("plain"))
        .filter(
            pl.col("plain").str.contains(r"^[a-z][a-z'\s\-]*$") & ~pl.col("plain").str.contains(_ORGANISATION_VALUE)
        )
    )
    if hint_strength(column) != "strong":
        words = words.filter(
            pl.col("plain").str.contains(_NAME_SHAPE) & pl.col("plain").str.contains(_first_name_pattern())
        )
    hits = words.collect()
    count = int(hits["cells"].sum()) if hits.height else 0
    return NameTally(count, total, tuple(hits.sort("value")["value"].head(EXAMPLES_KEPT).to_list()))


def weigh_names(column: str, tally: NameTally) -> NameEvidence | None:
    """Evidence when the tally of the whole column reaches its share, else None."""
    strength = hint_strength(column)
    if strength == "strong":
        share, minimum = STRONG_SHARE, 1
    else:
        share, minimum = (WEAK_SHARE, 1) if strength == "weak" else (NO_HINT_SHARE, NO_HINT_MINIMUM)
    if tally.count < minimum or tally.total == 0 or tally.count / tally.total < share:
        return None
    return NameEvidence(count=tally.count, examples=tally.examples)


@cache
def _first_name_pattern() -> str:
    return r"\b(?:" + "|".join(sorted(first_names())) + r")\b"
