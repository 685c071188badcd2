"""The hub's DCAT feed as a harvester reads it: every page of `/catalog.ttl`, followed by
its hydra:nextPage links, and what each dataset says (the coverage table of docs/dcat-ap.md)."""

from __future__ import annotations

from dataclasses import dataclass

import requests
from rdflib import RDF, Graph, Literal, Namespace, URIRef

DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCT = Namespace("http://purl.org/dc/terms/")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
MAX_PAGES = 50  # the demo has one; a loop in the links must not hang a test
# The feed data.gouv.fr harvests: without checksums, which its harvester mishandles
# (deploy/local/ckan/ckanext-hub, DataGouvProfile; docs/dcat-ap.md).
DATAGOUV_FEED = "?profiles=euro_dcat_ap_3,hub_dcat_ap_3,hub_datagouv"


@dataclass(frozen=True)
class Page:
    url: str
    turtle: str
    content_type: str  # as CKAN sent it: harvesters decode the page by it


def catalogue_pages(ckan_url: str, query: str = "") -> list[Page]:
    """Every page of the catalogue (`query`: e.g. DATAGOUV_FEED), first to last."""
    pages: list[Page] = []
    url: str | None = f"{ckan_url}/catalog.ttl{query}"
    while url:
        if len(pages) >= MAX_PAGES:
            raise RuntimeError(f"{ckan_url}/catalog.ttl: more than {MAX_PAGES} pages, or a loop in hydra:nextPage")
        answer = requests.get(url, timeout=60)
        answer.raise_for_status()
        pages.append(Page(url, answer.text, answer.headers.get("Content-Type", "")))
        graph = Graph().parse(data=answer.text, format="turtle")
        following = graph.value(predicate=HYDRA.nextPage)
        url = str(following) if following is not None else None
    return pages


def catalogue_graph(pages: list[Page]) -> Graph:
    graph = Graph()
    for page in pages:
        graph.parse(data=page.turtle, format="turtle")
    return graph


COVERAGE = ("title@fr", "publisher IRI", "spatial", "temporal", "theme", "frequency", "language", "conformsTo",
            "licence", "formats")


def coverage(graph: Graph) -> dict[str, dict[str, str]]:
    """For each dataset (by its identifier), what the feed gives for each COVERAGE column ("" if
    nothing), and its `kind`: "dataset", or the last segment of its dct:type (the committee's
    AI projects are described in the catalogue too, as `projet-ia`)."""
    table = {}
    for dataset in sorted(graph.subjects(RDF.type, DCAT.Dataset)):
        kinds = [str(t).rstrip("/").rsplit("/", 1)[-1] for t in graph.objects(dataset, DCT.type)]
        distributions = list(graph.objects(dataset, DCAT.distribution))
        licences = {str(o) for d in distributions for o in graph.objects(d, DCT.license)}
        formats = {str(o).rsplit("/", 1)[-1] for d in distributions for o in graph.objects(d, DCT["format"])
                   if isinstance(o, URIRef)}
        publishers = [p for p in graph.objects(dataset, DCT.publisher) if isinstance(p, URIRef)]
        periods = list(graph.objects(dataset, DCT.temporal))
        row = {
            "kind": kinds[0] if kinds else "dataset",
            "title@fr": " ".join(str(t) for t in graph.objects(dataset, DCT.title)
                                 if isinstance(t, Literal) and t.language == "fr"),
            "publisher IRI": " ".join(str(p) for p in publishers),
            "spatial": " ".join(str(s).rsplit("/", 1)[-1] for s in graph.objects(dataset, DCT.spatial)
                                if (s, DCAT.bbox, None) in graph),
            "temporal": " ".join(f"{graph.value(p, DCAT.startDate)}/{graph.value(p, DCAT.endDate)}" for p in periods
                                 if graph.value(p, DCAT.startDate) is not None),
            "theme": " ".join(str(t).rsplit("/", 1)[-1] for t in graph.objects(dataset, DCAT.theme)),
            "frequency": " ".join(str(f).rsplit("/", 1)[-1] for f in graph.objects(dataset, DCT.accrualPeriodicity)),
            "language": " ".join(str(x).rsplit("/", 1)[-1] for x in graph.objects(dataset, DCT.language)),
            "conformsTo": " ".join(str(c) for c in graph.objects(dataset, DCT.conformsTo) if isinstance(c, URIRef)),
            # Every distribution carries it (DCAT-AP puts licences there), or the column stays empty.
            "licence": " ".join(sorted(licences)) if all((d, DCT.license, None) in graph for d in distributions)
            else "",
            "formats": " ".join(sorted(formats)),
        }
        table[str(graph.value(dataset, DCT.identifier))] = row
    return table
