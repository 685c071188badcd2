"""The library as CKAN packages: each project a dataset of type `projet-ia` in its member's
organization (schema deploy/local/ckan/projet_ia.yaml), and the library's exports for the
national library of AI projects (one CSV, one JSON) as resources of a catalogue dataset
of the committee.

In DCAT (`/dataset/<name>.ttl`, `/catalog.ttl`) a project is a dcat:Dataset whose
dct:type is the catalogue's page of AI projects (`<catalogue>/projet-ia`): a description
of a project, with dct:relation to the datasets it uses, foaf:page to its documents and
dct:conformsTo the charter it answers to.
"""

from __future__ import annotations

import csv
import io
import json

from catalog.committee import Committee
from catalog.governance import governance_fields
from catalog.naming import resource_id
from catalog.packages import DEFAULT_LICENCE, Rendering, committee_coverage
from catalog.projects.library import Library, LibraryProject
from catalog.projects.model import RISK_LEVELS, STATUSES
from catalog.publication import DesiredDataset, DesiredResource
from catalog.themes import theme_iri

PROJECT_TYPE = "projet-ia"
CSV_COLUMNS = ("nom", "titre", "membre", "service", "finalite", "statut", "niveau_risque", "justification_risque",
               "jeux_de_donnees", "type_modele", "fournisseur", "hebergement", "modele_ouvert", "controle_humain",
               "aipd", "donnees_personnelles", "resultats", "cout", "contact", "engagements", "page")


def library_dataset_name(committee: Committee) -> str:
    return f"{committee.slug}-projets-ia"


def _yes(value: bool) -> str:
    return "oui" if value else "non"


def project_dataset(item: LibraryProject, committee: Committee, library: Library, catalogue_url: str,
                    titles: dict[str, str]) -> DesiredDataset:
    """The project's CKAN package; `titles`: the catalogue's title of each dataset it uses."""
    project, member = item.project, committee.member(item.project.membre)
    charter = library.charter
    notes = project.finalite + (f"\n\n{project.description}" if project.description else "")
    if project.origine:
        notes += f"\n\n*{project.origine}*"
    fields = {
        "type": PROJECT_TYPE,
        "title": project.titre,
        "notes": notes,
        "owner_org": member.slug,
        "private": False,
        "identifier": item.name,
        "license_id": DEFAULT_LICENCE,
        "service": project.service,
        "finalite": project.finalite,
        "statut": project.statut,
        "jeux_de_donnees": [{"nom": use.nom, "titre": titles.get(use.nom, use.nom), **_filled(usage=use.usage)}
                            for use in project.jeux_de_donnees],
        "methode": project.methode.description,
        "type_modele": project.methode.type_modele,
        "fournisseur": project.methode.fournisseur,
        "hebergement": project.methode.hebergement,
        "modele_ouvert": _yes(project.methode.ouvert),
        "controle_humain": project.controle_humain,
        "niveau_risque": project.risque.niveau,
        "justification_risque": project.risque.justification,
        "aipd": _yes(project.aipd),
        "donnees_personnelles": project.donnees_personnelles,
        "resultats": [r.model_dump() for r in project.resultats],
        "cout": project.cout or None,
        "engagements": [{"id": met.id, "titre": charter.commitment(met.id).titre, "comment": met.comment}
                        for met in project.engagements] if charter else [],
        "charte": f"{charter.titre} (version {charter.version})" if charter else None,
        "documents": [d.model_dump() for d in project.documents],
        "contact": [{"name": f"{member.name} - {project.service}", "email": project.contact}],
        # The subfields of the projet-ia schema only: CKAN drops any other, which would then
        # differ on every run.
        "publisher": [{"name": member.name, "email": member.contact, "identifier": member.siren,
                       "type": "http://purl.org/adms/publishertype/LocalAuthority"}],
        # DCAT: what kind of description this is, what it uses, where to read more.
        "dcat_type": f"{catalogue_url}/{PROJECT_TYPE}",
        "related_resource": [f"{catalogue_url}/dataset/{use.nom}" for use in project.jeux_de_donnees] or None,
        "documentation": [d.url for d in project.documents] or None,
        "conforms_to": [f"{charter.titre} (version {charter.version})"] if charter else None,
    }
    return DesiredDataset(name=item.name, fields=fields, tags=tuple(sorted(set(project.mots_cles))))


def library_dataset(committee: Committee, library: Library, catalogue_url: str) -> DesiredDataset:
    """The committee's catalogue dataset holding the library's exports."""
    name = library_dataset_name(committee)
    rows = [_row(item, committee, catalogue_url) for item in library.projects]
    export = {
        "comite": {"slug": committee.slug, "nom": committee.name},
        "charte": library.charter.model_dump() if library.charter else None,
        "projets": [{"nom": item.name, "page": f"{catalogue_url}/{PROJECT_TYPE}/{item.name}",
                     "membre_nom": committee.member(item.project.membre).name, **item.project.model_dump()}
                    for item in library.projects],
    }
    csv_file = Rendering.of(_csv(rows))
    json_file = Rendering.of(json.dumps(export, ensure_ascii=False, indent=2).encode() + b"\n")
    resources = [
        DesiredResource(id=resource_id(name, "projets/csv"), name="Projets d'IA (CSV)", format="CSV",
                        filename="projets_ia.csv", sha256=csv_file.sha256, content=csv_file.read,
                        mimetype="text/csv",
                        description=f"Une ligne par projet : {', '.join(CSV_COLUMNS)}. Listes séparées par « ; »."),
        DesiredResource(id=resource_id(name, "projets/json"), name="Projets d'IA et charte éthique (JSON)",
                        format="JSON", filename="projets_ia.json", sha256=json_file.sha256, content=json_file.read,
                        mimetype="application/json",
                        description="Chaque projet tel que déclaré par son membre, et la charte éthique du comité."),
    ]
    fields = {
        "title": f"Bibliothèque des projets d'intelligence artificielle - {committee.name}",
        "notes": (f"Les projets d'IA des membres du {committee.name} : finalité, statut, jeux de données utilisés, "
                  "méthode et modèle, contrôle humain, niveau de risque (règlement européen sur l'IA), résultats "
                  "chiffrés et engagements de la charte éthique du comité. Export pour la bibliothèque nationale des "
                  f"projets d'IA des collectivités ; chaque projet a sa page : {catalogue_url}/{PROJECT_TYPE}/."),
        "owner_org": committee.slug,
        "license_id": DEFAULT_LICENCE,
        "private": False,
        "identifier": name,
        "provenance": "Fichiers projets-ia/*.yaml et charte-ethique.yaml du comité, publiés par le hub.",
        # Changes when a member declares or updates a project: no schedule.
        **committee_coverage(committee, "IRREG"),
        # The theme's IRI only: its CKAN group is made by the data's publication, not this one.
        "theme": [theme_iri("GOVE")],
        **governance_fields(committee.governance),
    }
    return DesiredDataset(name=name, fields=fields, tags=("intelligence artificielle",), resources=resources)


def _row(item: LibraryProject, committee: Committee, catalogue_url: str) -> dict:
    p = item.project
    return {
        "nom": item.name, "titre": p.titre, "membre": committee.member(p.membre).name, "service": p.service,
        "finalite": p.finalite, "statut": STATUSES[p.statut], "niveau_risque": RISK_LEVELS[p.risque.niveau],
        "justification_risque": p.risque.justification,
        "jeux_de_donnees": " ; ".join(u.nom for u in p.jeux_de_donnees),
        "type_modele": p.methode.type_modele, "fournisseur": p.methode.fournisseur,
        "hebergement": p.methode.hebergement, "modele_ouvert": _yes(p.methode.ouvert),
        "controle_humain": p.controle_humain, "aipd": _yes(p.aipd), "donnees_personnelles": p.donnees_personnelles,
        "resultats": " ; ".join(f"{r.indicateur} : {r.valeur} ({r.source})" for r in p.resultats),
        "cout": p.cout, "contact": p.contact, "engagements": " ; ".join(m.id for m in p.engagements),
        "page": f"{catalogue_url}/{PROJECT_TYPE}/{item.name}",
    }


def _csv(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def _filled(**values: str) -> dict:
    # CKAN keeps no empty subfield: an empty one would differ from it on every run.
    return {key: value for key, value in values.items() if value}
