"""A DCAT catalogue endpoint, paged with Hydra, in Turtle, JSON-LD or RDF/XML.

Serves `/catalog.ttl`, `/catalog.jsonld` or `/catalog.rdf` (`?page=N`, `modified_since`
as ckanext-dcat's endpoint understands it), built with rdflib from Python data. Paging
comes in the two shapes found in the wild: ckanext-dcat's `hydra:PagedCollection` with
literal `hydra:nextPage`/`hydra:next`, and the `hydra:PartialCollectionView` with an IRI
`hydra:next`. Faults: `last_page_points_to=N` (a paging loop), `doctype=True` (RDF/XML
with an entity declaration), `remote_context=True` (JSON-LD whose `@context` is a URL
served by this stand-in, at /context.jsonld).
"""

from __future__ import annotations

import json
import math
from typing import Any
from typing import Literal as Kind

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, XSD

from tests.standins.server import Reply, Request, StandIn

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
SYNTAXES = {
    "turtle": ("/catalog.ttl", "text/turtle; charset=utf-8"),
    "json-ld": ("/catalog.jsonld", "application/ld+json"),
    "xml": ("/catalog.rdf", "application/rdf+xml"),
}
CONTEXT = {
    "dcat": str(DCAT),
    "dct": str(DCTERMS),
    "hydra": str(HYDRA),
    "spdx": str(SPDX),
    "locn": str(LOCN),
    "xsd": str(XSD),
}
DOCTYPE = '<!DOCTYPE rdf:RDF [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'


def dcat_dataset(
    uri: str | None,
    title: str,
    *,
    identifier: str | None = None,
    modified: str = "2025-01-15T08:00:00+00:00",
    distributions: tuple[dict[str, Any], ...] = (),
    **fields: Any,
) -> dict[str, Any]:
    """A dataset description; optional fields: description, keywords, themes, licence,
    temporal (start, end), spatial (a URI or a GeoJSON geometry), frequency, conforms_to,
    landing_page."""
    return {
        "uri": uri,
        "title": title,
        "identifier": identifier,
        "modified": modified,
        "distributions": distributions,
        **fields,
    }


def dcat_distribution(download_url: str | None, **fields: Any) -> dict[str, Any]:
    """A distribution; optional fields: uri, title, format, media_type, byte_size, sha256,
    modified, conforms_to, licence, access_url."""
    return {"download_url": download_url, **fields}


class DcatCatalog(StandIn):
    def __init__(
        self,
        datasets: list[dict[str, Any]],
        *,
        syntax: Kind["turtle", "json-ld", "xml"] = "turtle",
        per_page: int = 2,
        paging: Kind["PagedCollection", "PartialCollectionView"] = "PagedCollection",
        last_page_points_to: int | None = None,
        doctype: bool = False,
        remote_context: bool = False,
    ) -> None:
        super().__init__()
        self.datasets = datasets
        self.syntax = syntax
        self.per_page = per_page
        self.paging = paging
        self.last_page_points_to = last_page_points_to
        self.doctype = doctype
        self.remote_context = remote_context

    @property
    def catalog_url(self) -> str:
        return self.url + SYNTAXES[self.syntax][0]

    def answer(self, request: Request) -> Reply:
        path, content_type = SYNTAXES[self.syntax]
        if request.path == "/context.jsonld":
            return Reply.json({"@context": CONTEXT})
        if request.path != path:
            return Reply(status=404, body=b"not found", content_type="text/plain")
        since = request.arg("modified_since")
        selected = [d for d in self.datasets if not since or d["modified"] >= since]
        page = int(request.arg("page", "1"))
        graph = self._page(selected, page)
        return Reply(body=self._serialize(graph), content_type=content_type)

    def _page(self, datasets: list[dict[str, Any]], page: int) -> Graph:
        graph = Graph()
        catalog = URIRef(f"{self.url}/catalog")
        graph.add((catalog, RDF.type, DCAT.Catalog))
        for spec in datasets[(page - 1) * self.per_page : page * self.per_page]:
            graph.add((catalog, DCAT.dataset, _add_dataset(graph, spec)))
        last = max(1, math.ceil(len(datasets) / self.per_page))
        next_number = page + 1 if page < last else self.last_page_points_to
        here = URIRef(self._link(page))
        if self.paging == "PagedCollection":  # ckanext-dcat: literals, old and new names
            graph.add((here, RDF.type, HYDRA.PagedCollection))
            graph.add((here, HYDRA.totalItems, Literal(len(datasets))))
            graph.add((here, HYDRA.itemsPerPage, Literal(self.per_page)))
            if next_number:
                graph.add((here, HYDRA.nextPage, Literal(self._link(next_number))))
                graph.add((here, HYDRA.next, Literal(self._link(next_number))))
        else:
            graph.add((here, RDF.type, HYDRA.PartialCollectionView))
            graph.add((catalog, HYDRA.view, here))
            if next_number:
                graph.add((here, HYDRA.next, URIRef(self._link(next_number))))
        return graph

    def _link(self, page: int) -> str:
        return f"{self.catalog_url}?page={page}"

    def _serialize(self, graph: Graph) -> bytes:
        if self.syntax == "json-ld":
            document = json.loads(graph.serialize(format="json-ld", context=CONTEXT))
            if self.remote_context:
                document["@context"] = f"{self.url}/context.jsonld"
            return json.dumps(document).encode()
        body = graph.serialize(format=self.syntax).encode()
        if self.doctype:
            declaration, _, rest = body.partition(b"\n")
            body = declaration + b"\n" + DOCTYPE.encode() + rest
        return body


def _add_dataset(graph: Graph, spec: dict[str, Any]) -> URIRef | BNode:
    node = URIRef(spec["uri"]) if spec.get("uri") else BNode()
    graph.add((node, RDF.type, DCAT.Dataset))
    graph.add((node, DCTERMS.title, Literal(spec["title"], lang="fr")))
    graph.add((node, DCTERMS.modified, Literal(spec["modified"], datatype=XSD.dateTime)))
    if spec.get("identifier"):
        graph.add((node, DCTERMS.identifier, Literal(spec["identifier"])))
    if spec.get("description"):
        graph.add((node, DCTERMS.description, Literal(spec["description"], lang="fr")))
    for keyword in spec.get("keywords", ()):
        graph.add((node, DCAT.keyword, Literal(keyword, lang="fr")))
    for theme in spec.get("themes", ()):
        graph.add((node, DCAT.theme, URIRef(theme)))
    for key, predicate in (
        ("licence", DCTERMS.license),
        ("frequency", DCTERMS.accrualPeriodicity),
        ("conforms_to", DCTERMS.conformsTo),
        ("landing_page", DCAT.landingPage),
    ):
        if spec.get(key):
            graph.add((node, predicate, URIRef(spec[key])))
    if spec.get("temporal"):
        period = BNode()
        graph.add((node, DCTERMS.temporal, period))
        graph.add((period, RDF.type, DCTERMS.PeriodOfTime))
        start, end = spec["temporal"]
        graph.add((period, DCAT.startDate, Literal(start, datatype=XSD.date)))
        graph.add((period, DCAT.endDate, Literal(end, datatype=XSD.date)))
    if spec.get("spatial"):
        if spec["spatial"].startswith("http"):
            graph.add((node, DCTERMS.spatial, URIRef(spec["spatial"])))
        else:
            location = BNode()
            graph.add((node, DCTERMS.spatial, location))
            graph.add((location, RDF.type, DCTERMS.Location))
            graph.add((location, LOCN.geometry, Literal(spec["spatial"])))
    for distribution in spec.get("distributions", ()):
        graph.add((node, DCAT.distribution, _add_distribution(graph, distribution)))
    return node


def _add_distribution(graph: Graph, spec: dict[str, Any]) -> URIRef | BNode:
    node = URIRef(spec["uri"]) if spec.get("uri") else BNode()
    graph.add((node, RDF.type, DCAT.Distribution))
    for key, predicate in (
        ("download_url", DCAT.downloadURL),
        ("access_url", DCAT.accessURL),
        ("media_type", DCAT.mediaType),
        ("conforms_to", DCTERMS.conformsTo),
        ("licence", DCTERMS.license),
    ):
        if spec.get(key):
            graph.add((node, predicate, URIRef(spec[key])))
    if spec.get("title"):
        graph.add((node, DCTERMS.title, Literal(spec["title"])))
    if spec.get("format"):
        graph.add((node, DCTERMS.format, Literal(spec["format"])))
    if spec.get("byte_size") is not None:
        graph.add((node, DCAT.byteSize, Literal(spec["byte_size"], datatype=XSD.decimal)))
    if spec.get("modified"):
        graph.add((node, DCTERMS.modified, Literal(spec["modified"], datatype=XSD.dateTime)))
    if spec.get("sha256"):
        checksum = BNode()
        graph.add((node, SPDX.checksum, checksum))
        graph.add((checksum, RDF.type, SPDX.Checksum))
        graph.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
        graph.add((checksum, SPDX.checksumValue, Literal(spec["sha256"], datatype=XSD.hexBinary)))
    return node
