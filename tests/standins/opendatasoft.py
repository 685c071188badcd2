"""An Opendatasoft portal's Explore API v2.1: the catalogue and the dataset exports.

The catalogue pages with `limit` (at most 100, like ODS) and `offset`, orders by
`dataset_id`, and understands the ODSQL the hub sends: `modified >= date'...'` and
`field = "value"` clauses joined by AND, plus `refine=facet:"value"` on publisher, theme
and keyword. Exports answer a small body per format. The capped `records` endpoint is
deliberately absent: a connector that calls it gets a 404.
"""

from __future__ import annotations

import re
import zlib
from typing import Any

from tests.standins.server import Reply, Request, StandIn

CATALOG = "/api/explore/v2.1/catalog/datasets"
EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "parquet": "application/vnd.apache.parquet",
    "geojson": "application/geo+json",
}
_SINCE = re.compile(r"^modified\s*>=\s*date'(?P<since>[^']+)'$")
_EQUALS = re.compile(r'^(?P<field>[a-z_]+)\s*=\s*"(?P<value>[^"]*)"$')
_REFINE = re.compile(r'^(?P<facet>publisher|theme|keyword):"(?P<value>[^"]*)"$')


def ods_dataset(
    dataset_id: str,
    title: str,
    *,
    publisher: str = "Ville de Carnac",
    themes: tuple[str, ...] = (),
    keywords: tuple[str, ...] = (),
    modified: str = "2025-01-15T08:00:00+00:00",
    geo: bool = False,
    has_records: bool = True,
    dcat: dict[str, Any] | None = None,
    attachments: tuple[dict[str, Any], ...] = (),
) -> dict[str, Any]:
    """A catalogue entry in the shape of `/api/explore/v2.1/catalog/datasets` results."""
    fields = [{"name": "commune", "label": "Commune", "type": "text", "annotations": {}}]
    if geo:
        fields.append({"name": "geo_point", "label": "Position", "type": "geo_point_2d", "annotations": {}})
    metas: dict[str, Any] = {
        "default": {
            "title": title,
            "description": f"<p>{title}</p>",
            "theme": list(themes),
            "keyword": list(keywords),
            "license": "Licence Ouverte v2.0 (Etalab)",
            "license_url": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
            "language": "fr",
            "publisher": publisher,
            "territory": ["Carnac"],
            "modified": modified,
            "data_processed": modified,
            "metadata_processed": modified,
            "records_count": 12 if has_records else 0,
            "timezone": "Europe/Paris",
        }
    }
    if dcat is not None:
        metas["dcat"] = dcat
    return {
        "dataset_id": dataset_id,
        "dataset_uid": f"da_{zlib.crc32(dataset_id.encode()):08x}",
        "attachments": list(attachments),
        "has_records": has_records,
        "data_visible": True,
        "features": ["analyze", "timeserie"] + (["geo"] if geo else []),
        "metas": metas,
        "fields": fields,
    }


class OdsPortal(StandIn):
    def __init__(self, datasets: list[dict[str, Any]], *, ignore_offset: bool = False) -> None:
        super().__init__()
        self.datasets = list(datasets)
        self.ignore_offset = ignore_offset

    def answer(self, request: Request) -> Reply:
        path = request.path.rstrip("/")
        if path == CATALOG:
            return self._catalog(request)
        parts = path.removeprefix(CATALOG + "/").split("/")
        if path.startswith(CATALOG + "/") and len(parts) == 3 and parts[1] == "exports":
            return self._export(parts[0], parts[2])
        return _error(404, "Unknown route")

    def _catalog(self, request: Request) -> Reply:
        limit = int(request.arg("limit", "10"))
        offset = 0 if self.ignore_offset else int(request.arg("offset", "0"))
        if limit > 100:
            return _error(400, "Invalid value for limit: must be lower or equal to 100")
        selected = self.datasets
        for clause in _clauses(request.arg("where") or ""):
            since, equals = _SINCE.match(clause), _EQUALS.match(clause)
            if since:
                selected = [d for d in selected if d["metas"]["default"]["modified"] >= since["since"]]
            elif equals:
                selected = [d for d in selected if d["metas"]["default"].get(equals["field"]) == equals["value"]]
            else:
                return _error(400, f"ODSQL query is malformed: {clause}")
        for refine in request.query.get("refine", []):
            match = _REFINE.match(refine)
            if match is None:
                return _error(400, f"Invalid refine: {refine}")
            selected = [d for d in selected if _has_facet(d, match["facet"], match["value"])]
        if request.arg("order_by") == "dataset_id":
            selected = sorted(selected, key=lambda d: d["dataset_id"])
        return Reply.json({"total_count": len(selected), "results": selected[offset : offset + limit]})

    def _export(self, dataset_id: str, export: str) -> Reply:
        known = {d["dataset_id"]: d for d in self.datasets}
        if dataset_id not in known or export not in EXPORT_TYPES:
            return _error(404, f"Unknown dataset or export {dataset_id}/{export}")
        body = f"commune;valeur\nCarnac;{dataset_id}\n".encode() if export == "csv" else b"PAR1"
        return Reply(body=body, content_type=EXPORT_TYPES[export])


def _clauses(where: str) -> list[str]:
    return [c.strip().removeprefix("(").removesuffix(")").strip() for c in where.split(" AND ") if c.strip()]


def _has_facet(dataset: dict[str, Any], facet: str, value: str) -> bool:
    declared = dataset["metas"]["default"].get(facet)
    return value in declared if isinstance(declared, list) else declared == value


def _error(status: int, message: str) -> Reply:
    return Reply.json({"error_code": "ODSQLError", "message": message}, status)
