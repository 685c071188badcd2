"""DCAT catalogues in JSON-LD, Turtle or RDF/XML, paged with Hydra.

A page is fetched through `connectors.http`, checked, parsed with rdflib, and its
`dcat:Dataset`s mapped the way ckanext-dcat's DCAT-AP profile reads them. The next page is
the `hydra:next` (or the deprecated `hydra:nextPage`) of the page's `hydra:PagedCollection`
or `hydra:PartialCollectionView`.

Two things rdflib would do on its own are taken away from it: RDF/XML goes through
`connectors.http.check_xml_safe` first (no DOCTYPE, no entities: a 600-byte entity document
took 407 s to parse), and remote JSON-LD contexts are fetched here, under the source's
fetch policy, instead of by rdflib's own unchecked URL opener.
"""

from __future__ import annotations

import json
import xml.sax
from collections.abc import Iterator
from datetime import datetime
from typing import Any, NamedTuple
from urllib.parse import urljoin, urlsplit

import rdflib
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, RDFS, SKOS
from rdflib.term import Node

from connectors.http import (
    FetchPolicy,
    UnexpectedContent,
    check_xml_safe,
    expect_format,
    fetch,
    fetch_json,
    mask_url,
    sniff,
)
from connectors.pagination import NextUrlPaginator, Page, PageRequest, paginate
from connectors.portals.listing import (
    ListingProblem,
    ProblemSink,
    UnexpectedShape,
    check_same_host,
    normalise_format,
    parse_date,
    parse_size,
    parse_timestamp,
    report,
)
from connectors.records import RemoteDataset, RemoteResource

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
SCHEMA = Namespace("http://schema.org/")
SPDX = Namespace("http://spdx.org/rdf/terms#")
LOCN = Namespace("http://www.w3.org/ns/locn#")

MEDIA_TYPES = {
    "application/ld+json": "json-ld",
    "application/json": "json-ld",
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
    "application/xml": "xml",
    "text/xml": "xml",
}
EXTENSIONS = {
    ".jsonld": "json-ld",
    ".json": "json-ld",
    ".ttl": "turtle",
    ".nt": "nt",
    ".rdf": "xml",
    ".xml": "xml",
}
MAX_CONTEXT_DEPTH = 3  # a context that imports a context that imports a context


class _Entry(NamedTuple):
    """A dataset node found on a page, with what mapping it needs."""

    remote_id: str
    graph: Graph
    subject: Node
    page_url: str


def list_datasets(
    catalog_url: str,
    policy: FetchPolicy,
    *,
    modified_since: datetime | None = None,
    max_pages: int = 10_000,
    on_problem: ProblemSink | None = None,
) -> Iterator[RemoteDataset]:
    """Every `dcat:Dataset` of the catalogue, page after page.

    `modified_since` is sent as the `modified_since` parameter ckanext-dcat's catalogue
    endpoint understands; a plain catalogue file ignores it and is listed whole.
    """
    params = {"modified_since": modified_since.isoformat()} if modified_since else {}
    pager = NextUrlPaginator(catalog_url, params, id_of=lambda entry: entry.remote_id, max_pages=max_pages)
    contexts: dict[str, Any] = {}  # remote JSON-LD contexts, fetched once per listing

    def get_page(request: PageRequest) -> Page:
        check_same_host(request.url, catalog_url)
        fetched = fetch(request.url, policy, params=request.params or None)
        page_url = fetched.final_url
        graph = parse_page(fetched.body, page_url, fetched.content_type, policy, contexts)
        if not _is_catalogue_page(graph):
            # Parsed but no catalogue in it: listing it as empty would mark every dataset
            # of the source missing.
            raise UnexpectedShape(
                f"{mask_url(page_url)}: no dcat:Catalog, dcat:Dataset or Hydra page in it",
                url=mask_url(page_url),
            )
        entries = []
        for subject in sorted(graph.subjects(RDF.type, DCAT.Dataset), key=str):
            remote_id = _identifier(graph, subject)
            if remote_id is None:
                title = _text(graph, subject, DCTERMS.title) or "untitled"
                problem = "a dcat:Dataset with neither URI nor dct:identifier"
                report(ListingProblem(page_url, title, problem), on_problem)
            else:
                entries.append(_Entry(remote_id, graph, subject, page_url))
        return Page(items=entries, next_url=next_page_url(graph, page_url))

    for entry in paginate(pager, get_page):
        yield to_remote_dataset(
            entry.graph,
            entry.subject,
            entry.remote_id,
            source_url=entry.page_url,
            on_problem=on_problem,
        )


def parse_page(
    body: bytes,
    url: str,
    content_type: str | None,
    policy: FetchPolicy,
    contexts: dict[str, Any] | None = None,
) -> Graph:
    """One catalogue page as an RDF graph, in the syntax its media type or name says."""
    syntax = rdf_syntax(body, url, content_type)
    _expect_rdf(body, syntax, url)
    data: str | bytes = body
    if syntax == "xml":
        check_xml_safe(body, url)
    elif syntax == "json-ld":
        try:
            document = json.loads(body)
        except ValueError as exc:
            raise UnexpectedShape(f"{mask_url(url)}: not JSON ({exc})") from exc
        cache = {} if contexts is None else contexts
        data = json.dumps(_inline_contexts(document, url, policy, cache, 0))
    graph = Graph()
    try:
        graph.parse(data=data, format=syntax, publicID=url)
    except (  # rdflib's parsers share no error class; these are what bad input raises
        SyntaxError,
        ValueError,
        TypeError,
        AttributeError,
        KeyError,
        IndexError,
        xml.sax.SAXException,
        rdflib.plugin.PluginException,
    ) as exc:
        raise UnexpectedShape(f"{mask_url(url)}: unreadable {syntax} ({exc})", url=mask_url(url)) from exc
    return graph


def _expect_rdf(body: bytes, syntax: str, url: str) -> None:
    """Refuse an HTML error page or an empty body served as the catalogue.

    Turtle and N-Triples may start with `<` like XML, so for them only HTML and emptiness
    are refused; JSON-LD and RDF/XML must look like JSON and XML.
    """
    if syntax in ("json-ld", "xml"):
        expect_format(body, "JSON-LD" if syntax == "json-ld" else "RDF", url)
    elif sniff(body) in ("HTML", "EMPTY"):
        raise UnexpectedContent(
            f"{mask_url(url)}: expected {syntax}, got an HTML page or an empty body",
            url=mask_url(url),
        )


def rdf_syntax(body: bytes, url: str, content_type: str | None) -> str:
    """rdflib's name for the syntax: media type first, then the file extension, then the
    first character (`{` or `[` JSON-LD, `<` RDF/XML, anything else Turtle)."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media in MEDIA_TYPES:
        return MEDIA_TYPES[media]
    path = urlsplit(url).path.lower()
    for extension, syntax in EXTENSIONS.items():
        if path.endswith(extension):
            return syntax
    start = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if start in (b"{", b"["):
        return "json-ld"
    return "xml" if start == b"<" else "turtle"


def _inline_contexts(node: Any, base: str, policy: FetchPolicy, cache: dict, depth: int) -> Any:
    """The JSON-LD document with every remote `@context` replaced by its content."""
    if isinstance(node, list):
        return [_inline_contexts(item, base, policy, cache, depth) for item in node]
    if not isinstance(node, dict):
        return node
    return {
        key: (
            _resolve_context(value, base, policy, cache, depth)
            if key == "@context"
            else _inline_contexts(value, base, policy, cache, depth)
        )
        for key, value in node.items()
    }


def _resolve_context(value: Any, base: str, policy: FetchPolicy, cache: dict, depth: int) -> Any:
    if isinstance(value, list):
        return [_resolve_context(item, base, policy, cache, depth) for item in value]
    if isinstance(value, dict):
        if "@import" in value:
            raise UnexpectedShape(f"{mask_url(base)}: JSON-LD `@import` in a context is not supported")
        return _inline_contexts(value, base, policy, cache, depth)
    if not isinstance(value, str):
        return value
    url = urljoin(base, value)
    if url not in cache:
        if depth >= MAX_CONTEXT_DEPTH:
            raise UnexpectedShape(f"{mask_url(base)}: JSON-LD contexts nested deeper than {depth}")
        document = fetch_json(url, policy)
        if not isinstance(document, dict) or "@context" not in document:
            raise UnexpectedShape(f"{mask_url(url)}: not a JSON-LD context document")
        cache[url] = _resolve_context(document["@context"], url, policy, cache, depth + 1)
    return cache[url]


def _is_catalogue_page(graph: Graph) -> bool:
    kinds = (DCAT.Catalog, DCAT.Dataset, HYDRA.PagedCollection, HYDRA.PartialCollectionView)
    return any((None, RDF.type, kind) in graph for kind in kinds)


def _views(graph: Graph) -> list[Node]:
    """The page's Hydra paging nodes, ckanext-dcat's old shape first."""
    return [
        view
        for kind in (HYDRA.PagedCollection, HYDRA.PartialCollectionView)
        for view in sorted(graph.subjects(RDF.type, kind), key=str)
    ]


def next_page_url(graph: Graph, page_url: str) -> str | None:
    """The Hydra next page of this page, absolute, or None on the last page."""
    for view in _views(graph):
        for predicate in (HYDRA.next, HYDRA.nextPage):
            target = graph.value(view, predicate)
            if target is not None and str(target).strip():
                return urljoin(page_url, str(target).strip())
    return None


def _identifier(graph: Graph, subject: Node) -> str | None:
    """dct:identifier first, else the dataset's URI: ckanext-dcat's guid order."""
    identifier = _text(graph, subject, DCTERMS.identifier)
    if identifier:
        return identifier
    return str(subject) if isinstance(subject, URIRef) else None


def to_remote_dataset(
    graph: Graph,
    subject: Node,
    remote_id: str,
    *,
    source_url: str = "",
    on_problem: ProblemSink | None = None,
) -> RemoteDataset:
    """One `dcat:Dataset` node as a remote dataset, its distributions as resources."""
    distributions = sorted(graph.objects(subject, DCAT.distribution), key=str)
    resources = []
    for distribution in distributions:
        resource = _distribution(graph, distribution)
        if resource is None:
            name = _text(graph, distribution, DCTERMS.title) or str(distribution)
            problem = "distribution has neither dcat:downloadURL nor dcat:accessURL"
            report(ListingProblem(source_url, f"{remote_id} / {name}", problem), on_problem)
        else:
            resources.append(resource)
    licence = _label(graph, graph.value(subject, DCTERMS.license))
    if licence is None:  # DCAT-AP puts the licence on each distribution
        licences = [_label(graph, graph.value(d, DCTERMS.license)) for d in distributions]
        licence = next((name for name in licences if name), None)
    start, end = _temporal(graph, subject)
    uri = str(subject) if isinstance(subject, URIRef) else None
    landing_page = graph.value(subject, DCAT.landingPage)
    aliases = (str(landing_page),) if landing_page is not None else ()
    return RemoteDataset(
        remote_id=remote_id,
        title=_text(graph, subject, DCTERMS.title) or remote_id,
        description=_text(graph, subject, DCTERMS.description) or "",
        licence=licence,
        tags=tuple(sorted({str(k) for k in graph.objects(subject, DCAT.keyword)})),
        themes=tuple(sorted(filter(None, (_label(graph, t) for t in graph.objects(subject, DCAT.theme))))),
        spatial=_spatial(graph, graph.value(subject, DCTERMS.spatial)),
        temporal_start=start,
        temporal_end=end,
        frequency=_label(graph, graph.value(subject, DCTERMS.accrualPeriodicity)),
        modified=_timestamp(graph.value(subject, DCTERMS.modified)),
        uri=uri,
        schema=_label(graph, graph.value(subject, DCTERMS.conformsTo)),
        resources=tuple(resources),
        same_as=tuple(alias for alias in aliases if alias != uri),
    )


def _text(graph: Graph, subject: Node, predicate: URIRef) -> str | None:
    """A literal, French first when the source gives several languages."""
    literals = [o for o in graph.objects(subject, predicate) if isinstance(o, Literal)]
    for wanted in ("fr", None):
        for literal in literals:
            if literal.language == wanted:
                return str(literal)
    return str(literals[0]) if literals else None


def _label(graph: Graph, node: Node | None) -> str | None:
    """A URI as itself; a blank node (licence document, concept) by its label."""
    if node is None:
        return None
    if isinstance(node, (URIRef, Literal)):
        return str(node) or None
    for predicate in (DCTERMS.identifier, SKOS.prefLabel, RDFS.label, DCTERMS.title, RDF.value):
        text = _text(graph, node, predicate)
        if text:
            return text
    return None


def _spatial(graph: Graph, node: Node | None) -> str | None:
    """A place URI, or the geometry of a dct:Location (GeoJSON or WKT, as given)."""
    if node is None or not isinstance(node, BNode):
        return _label(graph, node)
    for predicate in (LOCN.geometry, DCAT.bbox, DCAT.centroid):
        text = _text(graph, node, predicate)
        if text:
            return text
    return _label(graph, node)


def _temporal(graph: Graph, subject: Node) -> tuple[Any, Any]:
    period = graph.value(subject, DCTERMS.temporal)
    if period is None:
        return None, None
    start = graph.value(period, DCAT.startDate) or graph.value(period, SCHEMA.startDate)
    end = graph.value(period, DCAT.endDate) or graph.value(period, SCHEMA.endDate)
    return parse_date(str(start) if start else None), parse_date(str(end) if end else None)


def _timestamp(node: Node | None) -> datetime | None:
    return parse_timestamp(str(node)) if isinstance(node, Literal) else None


def _distribution(graph: Graph, node: Node) -> RemoteResource | None:
    url = graph.value(node, DCAT.downloadURL) or graph.value(node, DCAT.accessURL)
    if url is None or not str(url).strip():
        return None
    url_text = str(url).strip()
    declared = _label(graph, graph.value(node, DCTERMS.format)) or _label(graph, graph.value(node, DCAT.mediaType))
    size = graph.value(node, DCAT.byteSize)
    return RemoteResource(
        url=url_text,
        name=_text(graph, node, DCTERMS.title) or url_text.rsplit("/", 1)[-1],
        format=normalise_format(declared, url_text),
        remote_id=_text(graph, node, DCTERMS.identifier) or (str(node) if isinstance(node, URIRef) else None),
        size=parse_size(str(size).split(".", 1)[0]) if size is not None else None,
        checksum=_checksum(graph, graph.value(node, SPDX.checksum)),
        last_modified=_timestamp(graph.value(node, DCTERMS.modified)),
        schema=_label(graph, graph.value(node, DCTERMS.conformsTo)),
    )


def _checksum(graph: Graph, node: Node | None) -> str | None:
    """`algorithm:value` from an spdx:Checksum (`spdx:checksumAlgorithm_sha256` -> sha256)."""
    if node is None:
        return None
    value = graph.value(node, SPDX.checksumValue)
    if value is None:
        return None
    algorithm = str(graph.value(node, SPDX.algorithm) or "")
    name = algorithm.rsplit("checksumAlgorithm_", 1)[-1] if algorithm else "checksum"
    return f"{name.lower()}:{value}"
