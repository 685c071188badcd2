"""The hub's DCAT-AP 3 profile: what ckanext-dcat 2.4.4's `euro_dcat_ap_3` leaves out of
DCAT-AP 3.0.1, added to the graph it made (`ckanext.dcat.rdf.profiles = euro_dcat_ap_3
hub_dcat_ap_3`: profiles run in that order on one graph).

Measured against the official SHACL shapes (tests/e2e/test_demo_dcat_ap.py), the stock
profile writes formats, media types and the catalogue language as literals, an identifier
that looks like a URL as an IRI, licences, themes and agent types without their class, no
`@fr` on titles, and a catalogue without description or publisher. Each function below
mends one of these; none invents metadata the dataset does not carry.
"""

from __future__ import annotations

from ckanext.dcat.profiles import DCAT, DCATAP, DCT, FOAF, SPDX, RDFProfile
from ckanext.dcat.utils import resource_uri
from ckantoolkit import ObjectNotFound, config, get_action
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF, SKOS

from .governance import add_governance
from .vocabularies import (
    AVAILABILITY_LABELS,
    AVAILABILITY_STABLE,
    DATA_THEMES,
    EU_AUTHORITY,
    FILE_TYPES,
    IANA_MEDIA_TYPES,
    LANGUAGE_FRA,
    PUBLISHER_TYPES,
)

LANGUAGES = {"fr": LANGUAGE_FRA, "en": EU_AUTHORITY + "language/ENG"}
# ckanext-dcat tags every licence "UnknownIPR" (its own TODO): the licence is known.
UNKNOWN_IPR = URIRef("http://purl.org/adms/licencetype/UnknownIPR")


class HubDCATAP3Profile(RDFProfile):
    def graph_from_dataset(self, dataset_dict, dataset_ref):
        lang = _site_language()
        self._tag_language(dataset_ref, (DCT.title, DCT.description, DCAT.keyword), lang)
        self._literal_identifier(dataset_ref)
        self._named_standards(dataset_ref, lang)
        self._concepts(dataset_ref, DCT.type)
        self._themes(dataset_ref, dataset_dict.get("groups") or [])
        add_governance(self.g, dataset_ref, dataset_dict, lang)  # purpose, legal basis, retention (DPV)
        for agent in self.g.objects(dataset_ref, DCT.publisher):
            self._agent_types(agent)
        for resource in dataset_dict.get("resources") or []:
            distribution = URIRef(resource_uri(resource))
            self._tag_language(distribution, (DCT.title, DCT.description), lang)
            self._file_types(distribution)
            self._licences(distribution)
            self._download(distribution, resource)

    def graph_from_catalog(self, catalog_dict, catalog_ref):
        g, lang = self.g, _site_language()
        self._tag_language(catalog_ref, (DCT.title,), lang)
        committee = _committee()
        if (catalog_ref, DCT.description, None) not in g:
            description = (committee or {}).get("description") or config.get("ckan.site_description") or (
                f"Catalogue des données des membres du {committee['title']}." if committee else "")
            if description:
                g.add((catalog_ref, DCT.description, Literal(description, lang=lang)))
        if committee and (catalog_ref, DCT.publisher, None) not in g:
            publisher = URIRef(_organization_uri(committee))
            g.add((catalog_ref, DCT.publisher, publisher))
            g.add((publisher, RDF.type, FOAF.Agent))
            g.add((publisher, FOAF.name, Literal(committee["title"], lang=lang)))
        for value in list(g.objects(catalog_ref, DCT.language)):
            if isinstance(value, Literal) and str(value) in LANGUAGES:
                g.remove((catalog_ref, DCT.language, value))
                g.add((catalog_ref, DCT.language, URIRef(LANGUAGES[str(value)])))
        for value in g.objects(catalog_ref, DCT.language):
            g.add((value, RDF.type, DCT.LinguisticSystem))
        for homepage in g.objects(catalog_ref, FOAF.homepage):
            g.add((homepage, RDF.type, FOAF.Document))
        # The datasets' themes come from the EU data-theme vocabulary.
        themes = URIRef(DATA_THEMES)
        g.add((catalog_ref, DCAT.themeTaxonomy, themes))
        g.add((themes, RDF.type, SKOS.ConceptScheme))
        g.add((themes, DCT.title, Literal("Thèmes de données (Office des publications de l'UE)", lang="fr")))

    def _tag_language(self, subject, predicates, lang):
        """Plain literals as the site's language: titles and descriptions are written in French."""
        for predicate in predicates:
            for value in list(self.g.objects(subject, predicate)):
                if isinstance(value, Literal) and not value.language and value.datatype is None:
                    self.g.remove((subject, predicate, value))
                    self.g.add((subject, predicate, Literal(str(value), lang=lang)))

    def _literal_identifier(self, dataset_ref):
        # DCAT-AP wants a literal; the stock profile makes an IRI of anything that looks like one.
        for value in list(self.g.objects(dataset_ref, DCT.identifier)):
            if isinstance(value, URIRef):
                self.g.remove((dataset_ref, DCT.identifier, value))
                self.g.add((dataset_ref, DCT.identifier, Literal(str(value))))

    def _named_standards(self, dataset_ref, lang):
        """A standard known by its name only (a charter, say) as a dct:Standard with that
        title: DCAT-AP wants a resource there, not a literal."""
        for value in list(self.g.objects(dataset_ref, DCT.conformsTo)):
            if isinstance(value, Literal):
                standard = BNode()
                self.g.remove((dataset_ref, DCT.conformsTo, value))
                self.g.add((dataset_ref, DCT.conformsTo, standard))
                self.g.add((standard, DCT.title, Literal(str(value), lang=lang)))
        for standard in self.g.objects(dataset_ref, DCT.conformsTo):
            self.g.add((standard, RDF.type, DCT.Standard))

    def _concepts(self, subject, predicate):
        """IRIs of a vocabulary the hub names without describing (a dataset's type) as
        skos:Concept labelled by their last segment, when nothing labels them already."""
        for value in self.g.objects(subject, predicate):
            if isinstance(value, URIRef) and (value, SKOS.prefLabel, None) not in self.g:
                self.g.add((value, RDF.type, SKOS.Concept))
                self.g.add((value, SKOS.prefLabel, Literal(str(value).rstrip("/").rsplit("/", 1)[-1])))

    def _themes(self, dataset_ref, groups):
        """Each theme as a skos:Concept with its French label: the hub's groups are the EU
        data themes (name = the theme's code in lower case, title = its French label)."""
        labels = {group.get("name"): group.get("title") for group in groups}
        for theme in self.g.objects(dataset_ref, DCAT.theme):
            code = str(theme).rstrip("/").rsplit("/", 1)[-1]
            self.g.add((theme, RDF.type, SKOS.Concept))
            self.g.add((theme, SKOS.prefLabel, Literal(labels.get(code.lower()) or code, lang="fr")))
            if str(theme).startswith(DATA_THEMES + "/"):
                self.g.add((theme, SKOS.inScheme, URIRef(DATA_THEMES)))

    def _agent_types(self, agent):
        for kind in self.g.objects(agent, DCT.type):
            if isinstance(kind, URIRef):
                self.g.add((kind, RDF.type, SKOS.Concept))
                for lang, label in PUBLISHER_TYPES.get(str(kind), {"en": str(kind).rsplit("/", 1)[-1]}).items():
                    self.g.add((kind, SKOS.prefLabel, Literal(label, lang=lang)))

    def _file_types(self, distribution):
        """CKAN's `CSV` and `text/csv` as the EU file-type and IANA media-type IRIs."""
        g = self.g
        for value in list(g.objects(distribution, DCT["format"])):
            if isinstance(value, Literal):
                g.remove((distribution, DCT["format"], value))
                code = FILE_TYPES.get(str(value).strip().upper())
                if code:  # an unknown label is dropped rather than published as a literal
                    g.add((distribution, DCT["format"], URIRef(EU_AUTHORITY + "file-type/" + code)))
        for value in g.objects(distribution, DCT["format"]):
            g.add((value, RDF.type, DCT.MediaTypeOrExtent))
        for value in list(g.objects(distribution, DCAT.mediaType)):
            if isinstance(value, Literal):
                g.remove((distribution, DCAT.mediaType, value))
                if "/" in str(value):
                    g.add((distribution, DCAT.mediaType, URIRef(IANA_MEDIA_TYPES + str(value).strip())))
        for value in g.objects(distribution, DCAT.mediaType):
            g.add((value, RDF.type, DCT.MediaType))

    def _licences(self, distribution):
        for licence in self.g.objects(distribution, DCT.license):
            self.g.remove((licence, DCT.type, UNKNOWN_IPR))
            self.g.add((licence, RDF.type, DCT.LicenseDocument))

    def _download(self, distribution, resource):
        """A file uploaded to the catalogue: its URL is the download itself, kept as long as the dataset."""
        if resource.get("url_type") != "upload" or not resource.get("url"):
            return
        g = self.g
        if (distribution, DCAT.downloadURL, None) not in g:
            g.add((distribution, DCAT.downloadURL, URIRef(resource["url"])))
        availability = URIRef(AVAILABILITY_STABLE)
        g.add((distribution, DCATAP.availability, availability))
        g.add((availability, RDF.type, SKOS.Concept))
        for lang, label in AVAILABILITY_LABELS.items():
            g.add((availability, SKOS.prefLabel, Literal(label, lang=lang)))


def _site_language() -> str:
    return config.get("ckan.locale_default") or "fr"


def _committee() -> dict | None:
    """The committee whose catalogue this is: its CKAN organization (extra `kind: committee`,
    written by the hub). Test committees come and go beside it, so the oldest one."""
    try:
        organizations = get_action("organization_list")(
            {"ignore_auth": True}, {"all_fields": True, "include_extras": True, "limit": 1000})
    except ObjectNotFound:
        return None
    committees = [org for org in organizations
                  if any(e.get("key") == "kind" and e.get("value") == "committee" for e in org.get("extras") or [])]
    return min(committees, key=lambda org: org.get("created") or "", default=None)


def _organization_uri(organization: dict) -> str:
    siren = next((e["value"] for e in organization.get("extras") or [] if e.get("key") == "siren"), None)
    if siren:
        return "https://annuaire-entreprises.data.gouv.fr/entreprise/" + siren
    return config.get("ckan.site_url").rstrip("/") + "/organization/" + organization["name"]


class DataGouvProfile(RDFProfile):
    """The feed data.gouv.fr harvests: `/catalog.ttl?profiles=euro_dcat_ap_3,hub_dcat_ap_3,hub_datagouv`.

    udata 17.18's DCAT harvester reads spdx:checksumValue through rdflib, which turns the
    xsd:hexBinary that DCAT-AP requires into bytes; udata then refuses the resource
    ("checksum.value: StringField only accepts string values") and with it the whole
    dataset. This feed leaves the checksums out (optional in DCAT-AP), so it stays valid
    and every dataset is harvested (tests/e2e/test_demo_udata_harvest.py)."""

    def graph_from_dataset(self, dataset_dict, dataset_ref):
        for distribution in self.g.objects(dataset_ref, DCAT.distribution):
            for checksum in list(self.g.objects(distribution, SPDX.checksum)):
                self.g.remove((distribution, SPDX.checksum, checksum))
                self.g.remove((checksum, None, None))
        if (None, SPDX.checksum, None) not in self.g:
            self.g.remove((None, RDF.type, SPDX.ChecksumAlgorithm))

    def graph_from_catalog(self, catalog_dict, catalog_ref):
        pass
