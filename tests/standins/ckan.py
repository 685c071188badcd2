"""A CKAN portal's action API (`package_search`), as CKAN 2.10-2.12 answers it.

Understands what the hub sends: `rows`/`start`, `sort=id asc`, `include_private`, and an
`fq` made of `organization:"..."`, `tags:"..."` and `metadata_modified:[T TO *]` clauses
joined by AND. Two faults can be switched on: a pager that ignores `start` (stuck), and
datasets that arrive while a client is paging (the pages shift, an item repeats).
"""

from __future__ import annotations

import re
from typing import Any

from tests.standins.server import Reply, Request, StandIn

SEARCH = "/api/3/action/package_search"
ROWS_MAX = 1000  # ckan.search.rows_max default

_CLAUSE = re.compile(
    r'^(?:organization:"(?P<org>[^"]*)"|tags:"(?P<tag>[^"]*)"'
    r"|metadata_modified:\[(?P<since>\S+) TO \*\])$"
)


def ckan_package(
    package_id: str,
    title: str,
    *,
    name: str | None = None,
    organization: str = "ville-d-auray",
    modified: str = "2025-01-15T08:00:00.000000",
    tags: tuple[str, ...] = (),
    resources: tuple[dict[str, Any], ...] = (),
    **fields: Any,
) -> dict[str, Any]:
    """A package dict in the shape of `package_show` / `package_search` results."""
    return {
        "id": package_id,
        "name": name or package_id,
        "title": title,
        "notes": "",
        "license_id": "etalab-2.0",
        "metadata_created": "2024-01-01T00:00:00.000000",
        "metadata_modified": modified,
        "private": False,
        "state": "active",
        "type": "dataset",
        "organization": {"id": f"org-{organization}", "name": organization, "title": organization},
        "owner_org": f"org-{organization}",
        "tags": [{"name": tag, "display_name": tag} for tag in tags],
        "groups": [],
        "extras": [],
        "resources": list(resources),
        "num_resources": len(resources),
        "num_tags": len(tags),
        **fields,
    }


class CkanPortal(StandIn):
    def __init__(
        self,
        packages: list[dict[str, Any]],
        *,
        ignore_start: bool = False,
        arrivals_after_page: dict[int, list[dict[str, Any]]] | None = None,
    ) -> None:
        super().__init__()
        self.packages = list(packages)
        self.ignore_start = ignore_start
        self.arrivals_after_page = dict(arrivals_after_page or {})
        self.pages_served = 0

    def answer(self, request: Request) -> Reply:
        if request.path.rstrip("/") != SEARCH:
            return Reply.json({"success": False, "error": {"__type": "Not Found Error"}}, 404)
        try:
            rows = int(request.arg("rows", "10"))
            start = int(request.arg("start", "0"))
        except ValueError:
            return _validation_error("rows/start: Invalid integer")
        if rows > ROWS_MAX:
            return _validation_error(f"rows: Must be less than or equal to {ROWS_MAX}")
        selected = self._select(request)
        if selected is None:
            return Reply.json(
                {
                    "success": False,
                    "error": {"__type": "Search Query Error", "message": "Search Query is invalid"},
                },
                409,
            )
        if request.arg("sort") == "id asc":
            selected.sort(key=lambda package: package["id"])
        if self.ignore_start:
            start = 0
        page = selected[start : start + rows]
        self.pages_served += 1
        self.packages.extend(self.arrivals_after_page.pop(self.pages_served, []))
        result = {
            "count": len(selected),
            "results": page,
            "sort": request.arg("sort"),
            "facets": {},
            "search_facets": {},
        }
        return Reply.json(
            {
                "help": f"{self.url}/api/3/action/help_show?name=package_search",
                "success": True,
                "result": result,
            }
        )

    def _select(self, request: Request) -> list[dict[str, Any]] | None:
        selected = [p for p in self.packages if not p.get("private") or request.arg("include_private") == "true"]
        fq = request.arg("fq", "") or ""
        for clause in filter(None, (c.strip() for c in fq.split(" AND "))):
            match = _CLAUSE.match(clause)
            if match is None:
                return None
            if match["org"] is not None:
                selected = [p for p in selected if p["organization"]["name"] == match["org"]]
            elif match["tag"] is not None:
                selected = [p for p in selected if match["tag"] in {t["name"] for t in p["tags"]}]
            else:
                since = match["since"].rstrip("Z")
                selected = [p for p in selected if p["metadata_modified"] >= since]
        return selected


def _validation_error(message: str) -> Reply:
    return Reply.json({"success": False, "error": {"__type": "Validation Error", "message": message}}, 409)
