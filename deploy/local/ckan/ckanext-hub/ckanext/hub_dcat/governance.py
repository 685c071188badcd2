"""A dataset's governance in DCAT, with the Data Privacy Vocabulary (DPV 2, https://w3id.org/dpv),
as ckanext-dcat's HealthDCAT-AP profile writes purpose and legal basis: dpv:hasPurpose (the
committee's words, in the site's language), dpv:hasLegalBasis (the GDPR article 6 basis as
DPV's GDPR term, e.g. eu-gdpr:A6-1-e) and the retention as a dpv:StorageDuration. Whether the
data holds personal data is dcatap:applicableLegislation (the GDPR), written by
euro_dcat_ap_3 from the same dataset. The fields come from catalog/governance.py.
"""

from __future__ import annotations

from ckanext.dcat.profiles import DCT
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF, Namespace

DPV = Namespace("https://w3id.org/dpv#")


def add_governance(graph, dataset_ref, dataset_dict: dict, lang: str) -> None:
    graph.bind("dpv", DPV)
    if purpose := dataset_dict.get("purpose"):
        graph.add((dataset_ref, DPV.hasPurpose, Literal(purpose, lang=lang)))
    if basis := dataset_dict.get("legal_basis"):
        graph.add((dataset_ref, DPV.hasLegalBasis, URIRef(basis)))
    if retention := dataset_dict.get("retention"):
        duration = BNode()
        graph.add((dataset_ref, DPV.hasStorageCondition, duration))
        graph.add((duration, RDF.type, DPV.StorageDuration))
        graph.add((duration, DCT.description, Literal(retention, lang=lang)))
