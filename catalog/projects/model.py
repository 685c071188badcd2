"""An AI project of a member and the committee's ethics charter, as their YAML files say.

Keys are French: the people who write these files are the collectivities' project leads
and data officers, and the keys are what the project page shows. The model checks each
file alone; `catalog.projects.library` checks what a project names (member, datasets,
commitments) against the committee.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from catalog.committee import check_email

# The status of a project and its risk level under the EU AI Act (regulation 2024/1689:
# prohibited practices, high-risk systems, transparency obligations, the rest): codes in
# the files and in CKAN, French labels on the page (deploy/local/ckan/projet_ia.yaml).
STATUSES = {"idee": "Idée", "experimentation": "Expérimentation", "en_production": "En production",
            "arrete": "Arrêté"}
RISK_LEVELS = {"inacceptable": "Inacceptable (pratique interdite)", "haut": "Haut risque",
               "limite": "Risque limité (obligations de transparence)", "minimal": "Risque minimal"}
TAG = re.compile(r"^[\w .-]{2,100}$")
COMMITMENT_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,40}$")
Text = Annotated[str, Field(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _https_or_http(value: str) -> str:
    if not re.match(r"^https?://[^\s/]+", value):
        raise ValueError(f"{value!r} is not an http(s) URL")
    return value


class Commitment(_Strict):
    """One commitment of the charter; projects name it by `id`."""

    id: str
    titre: Text
    description: Text

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not COMMITMENT_ID.match(value):
            raise ValueError(f"{value!r}: a commitment id is 2-41 characters among a-z, 0-9 and '-'")
        return value


class Charter(_Strict):
    """The committee's ethics charter (`charte-ethique.yaml` beside the committee file)."""

    titre: Text
    version: Text
    adoptee_le: str | None = None  # date of adoption by the committee, as written
    preambule: str = ""
    engagements: Annotated[tuple[Commitment, ...], Field(min_length=1)]

    @field_validator("engagements")
    @classmethod
    def _unique(cls, values: tuple[Commitment, ...]) -> tuple[Commitment, ...]:
        ids = [c.id for c in values]
        if twice := sorted({i for i in ids if ids.count(i) > 1}):
            raise ValueError(f"commitment id used twice: {', '.join(twice)}")
        return values

    def commitment(self, identifier: str) -> Commitment | None:
        return next((c for c in self.engagements if c.id == identifier), None)


class DatasetUse(_Strict):
    """A catalogue dataset the project uses, by its CKAN name, and what for."""

    nom: str  # e.g. crach-volumes-eau, or a pooled dataset: ctd-aqta-eau-potable
    usage: str = ""


class Method(_Strict):
    description: Text
    type_modele: Text  # e.g. "agent conversationnel (LLM)", "régression sur séries temporelles"
    fournisseur: Text  # supplier, or "régie" when built in-house
    hebergement: Text  # where it runs: "cloud du fournisseur (France)", "serveurs de la collectivité"
    ouvert: bool  # the model (or its code) is open


class Risk(_Strict):
    niveau: Literal["inacceptable", "haut", "limite", "minimal"]
    justification: Text


class Result(_Strict):
    """One figure the project reports, with where it comes from."""

    indicateur: Text
    valeur: Text  # as published, with its unit: "65 % -> 8 %", "150 m3/jour"
    source: Text  # who says so: the published document the figure comes from


class Document(_Strict):
    titre: Text
    url: str

    _url = field_validator("url")(_https_or_http)


class CommitmentMet(_Strict):
    """A charter commitment the project meets, and how."""

    id: str
    comment: Text


class Project(_Strict):
    titre: Text
    membre: str  # the member that runs it: its organization in CKAN
    service: Text  # the department running it
    finalite: Text  # purpose
    description: str = ""
    statut: Literal["idee", "experimentation", "en_production", "arrete"]
    jeux_de_donnees: tuple[DatasetUse, ...] = ()
    methode: Method
    controle_humain: Text  # human oversight: who checks what the system does
    risque: Risk
    aipd: bool  # data-protection impact assessment (GDPR art. 35) done
    donnees_personnelles: Text  # which personal data it processes, or "aucune"
    resultats: tuple[Result, ...] = ()
    cout: str = ""
    contact: str
    documents: tuple[Document, ...] = ()
    engagements: tuple[CommitmentMet, ...] = ()
    mots_cles: tuple[str, ...] = ()
    # Where the description comes from when the project is not the member's own (the demo's).
    origine: str = ""

    _contact = field_validator("contact")(check_email)

    @field_validator("mots_cles")
    @classmethod
    def _tags(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        for value in values:  # CKAN's tag rule
            if not TAG.match(value):
                raise ValueError(f"{value!r}: a keyword is 2-100 letters, digits, spaces, '-', '_' or '.'")
        return values

    @field_validator("jeux_de_donnees", mode="before")
    @classmethod
    def _names_alone(cls, values):
        # A bare name is a dataset used without a note on how.
        if isinstance(values, list):
            return [{"nom": v} if isinstance(v, str) else v for v in values]
        return values
