"""The AI projects' pages speak of "projets d'IA", not of "projet-ias".

CKAN names a dataset type on its pages from the type's code (`humanize_entity_type`):
"Search projet-ias...", "Add projet-ia". This chained helper gives the French words for the
`projet-ia` type (docs/projects.md) and leaves every other type to CKAN.
"""

from __future__ import annotations

import ckan.plugins as p
import ckan.plugins.toolkit as tk

PROJECT_TYPE = "projet-ia"
# CKAN's purposes (ckan.lib.helpers.humanize_entity_type) -> the French words.
PROJECT_LABELS = {
    "add link": "Ajouter un projet d'IA",
    "breadcrumb": "Projets d'IA",
    "content tab": "Projet d'IA",
    "create label": "Créer un projet d'IA",
    "create title": "Créer un projet d'IA",
    "delete confirmation": "Voulez-vous vraiment supprimer ce projet d'IA ?",
    "description placeholder": "Ce que fait le projet, pour qui, avec quelles données",
    "edit label": "Modifier le projet d'IA",
    "facet label": "Projets d'IA",
    "form label": "Fiche du projet d'IA",
    "main nav": "Projets d'IA",
    "my label": "Mes projets d'IA",
    "no any objects": "Aucun projet d'IA pour l'instant",
    "no description": "Ce projet d'IA n'a pas de description",
    "page title": "Projets d'IA",
    "save label": "Enregistrer le projet d'IA",
    "search placeholder": "Rechercher des projets d'IA…",
    "update label": "Mettre à jour le projet d'IA",
    "view label": "Voir les projets d'IA",
}


@tk.chained_helper
def humanize_entity_type(next_helper, entity_type: str, object_type: str, purpose: str):
    if object_type == PROJECT_TYPE and purpose in PROJECT_LABELS:
        return PROJECT_LABELS[purpose]
    return next_helper(entity_type, object_type, purpose)


class HubLabelsPlugin(p.SingletonPlugin):
    p.implements(p.ITemplateHelpers)

    def get_helpers(self):
        return {"humanize_entity_type": humanize_entity_type}
