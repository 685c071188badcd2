"""A udata portal's API 1 (data.gouv.fr shape): an organization's datasets, paged.

`/api/1/organizations/<org>/datasets/?page=N&page_size=M` answers `data`, `page`,
`page_size`, `total`, `next_page` and `previous_page` (absolute URLs, as udata writes
them). Fault: `last_page_points_to=N` makes the last page's `next_page` point back to
page N, an endless loop for a client that trusts it.
"""

from __future__ import annotations

import math
import re
from typing import Any

from tests.standins.server import Reply, Request, StandIn

_ORG_DATASETS = re.compile(r"^/api/1/organizations/(?P<org>[^/]+)/datasets/?$")


def udata_dataset(
    dataset_id: str,
    title: str,
    *,
    tags: tuple[str, ...] = (),
    resources: tuple[dict[str, Any], ...] = (),
    harvest: dict[str, Any] | None = None,
    last_modified: str = "2025-01-15T08:00:00+00:00",
    **fields: Any,
) -> dict[str, Any]:
    """A dataset in the shape of API 1's dataset pages."""
    return {
        "id": dataset_id,
        "title": title,
        "slug": dataset_id,
        "acronym": None,
        "description": f"{title}.",
        "created_at": "2024-01-01T00:00:00+00:00",
        "last_modified": last_modified,
        "last_update": last_modified,
        "deleted": None,
        "archived": None,
        "private": False,
        "tags": list(tags),
        "badges": [],
        "resources": list(resources),
        "community_resources": [],
        "frequency": "monthly",
        "extras": {},
        "harvest": harvest,
        "license": "lov2",
        "temporal_coverage": None,
        "spatial": None,
        "schema": None,
        "uri": f"https://www.data.gouv.fr/api/1/datasets/{dataset_id}/",
        "page": f"https://www.data.gouv.fr/fr/datasets/{dataset_id}/",
        **fields,
    }


def udata_resource(resource_id: str, url: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": resource_id,
        "title": url.rsplit("/", 1)[-1],
        "description": None,
        "filetype": "remote",
        "type": "main",
        "format": "csv",
        "url": url,
        "latest": f"https://www.data.gouv.fr/fr/datasets/r/{resource_id}",
        "checksum": None,
        "filesize": None,
        "mime": "text/csv",
        "created_at": "2024-01-01T00:00:00+00:00",
        "last_modified": "2025-01-15T08:00:00+00:00",
        "extras": {},
        "schema": None,
        "harvest": None,
        **fields,
    }


class UdataPortal(StandIn):
    def __init__(
        self,
        organizations: dict[str, list[dict[str, Any]]],
        *,
        last_page_points_to: int | None = None,
    ) -> None:
        super().__init__()
        self.organizations = organizations
        self.last_page_points_to = last_page_points_to

    def answer(self, request: Request) -> Reply:
        match = _ORG_DATASETS.match(request.path)
        if match is None or match["org"] not in self.organizations:
            return Reply.json({"message": "Not found", "status": 404}, 404)
        datasets = self.organizations[match["org"]]
        page = int(request.arg("page", "1"))
        page_size = int(request.arg("page_size", "20"))
        last_page = max(1, math.ceil(len(datasets) / page_size))
        base = f"{self.url}{request.path}"

        def link(number: int) -> str:
            return f"{base}?page={number}&page_size={page_size}"

        next_number = page + 1 if page < last_page else self.last_page_points_to
        return Reply.json(
            {
                "data": datasets[(page - 1) * page_size : page * page_size],
                "page": page,
                "page_size": page_size,
                "total": len(datasets),
                "next_page": link(next_number) if next_number else None,
                "previous_page": link(page - 1) if page > 1 else None,
            }
        )
