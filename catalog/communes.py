"""Where a commune is: its INSEE COG URI, bounding box and centre, for the spatial
coverage of the datasets it publishes (table and provenance in catalog/geo/)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

TABLE = Path(__file__).parent / "geo" / "communes.csv"
COG_COMMUNE = "http://id.insee.fr/geo/commune/"


@dataclass(frozen=True)
class CommuneArea:
    insee: str
    west: float
    south: float
    east: float
    north: float
    centre_lon: float
    centre_lat: float

    def bbox_wkt(self) -> str:
        """The box as a WKT polygon (what DCAT-AP's dcat:bbox and data.gouv.fr read)."""
        w, s, e, n = self.west, self.south, self.east, self.north
        return f"POLYGON(({w} {s}, {e} {s}, {e} {n}, {w} {n}, {w} {s}))"

    def centroid_wkt(self) -> str:
        return f"POINT({self.centre_lon} {self.centre_lat})"


@cache
def _areas() -> dict[str, CommuneArea]:
    with TABLE.open(encoding="utf-8", newline="") as file:
        return {row["insee"]: CommuneArea(row["insee"], *(float(row[k]) for k in (
            "ouest", "sud", "est", "nord", "centre_lon", "centre_lat"))) for row in csv.DictReader(file)}


def commune_area(insee: str) -> CommuneArea | None:
    """None for a code the table does not know (a commune created after its millésime)."""
    return _areas().get(insee)


def spatial_coverage(insee: str, name: str) -> dict:
    """The commune as a DCAT-AP location: COG URI, label, and its box and centre when known."""
    coverage = {"uri": COG_COMMUNE + insee, "text": f"{name} ({insee})"}
    if area := commune_area(insee):
        coverage |= {"bbox": area.bbox_wkt(), "centroid": area.centroid_wkt()}
    return coverage
