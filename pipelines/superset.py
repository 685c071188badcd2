"""Superset 6.1 through its REST API: dashboards as code, and who may see them.

No maintained Python client works well against 6.1, so this is plain `requests`: log in
for a JWT, take a CSRF token in the same session (cookie-bound), then import an assets
bundle (`/api/v1/assets/import/`, which overwrites by UUID: re-imports never duplicate).
Roles, users and row-level-security rules are not part of bundles: they go through
`/api/v1/security/...` and `/api/v1/rowlevelsecurity/`.
"""

from __future__ import annotations

import io
import json
import uuid
import zipfile

import requests
import yaml

BUNDLE_NAMESPACE = uuid.UUID("0b6f7b1e-7a43-4b8e-9d0a-5e1c3f2a9c11")


class SupersetError(RuntimeError):
    """A Superset call failed; the message names the endpoint and Superset's answer."""


def bundle_uuid(*names: str) -> str:
    return str(uuid.uuid5(BUNDLE_NAMESPACE, "/".join(names)))


class Superset:
    def __init__(self, url: str, username: str, password: str, timeout: float = 30.0):
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        token = self._call("POST", "/api/v1/security/login", json={
            "username": username, "password": password, "provider": "db", "refresh": False,
        })["access_token"]
        self.session.headers["Authorization"] = f"Bearer {token}"
        csrf = self._call("GET", "/api/v1/security/csrf_token/")["result"]
        self.session.headers["X-CSRFToken"] = csrf
        self.session.headers["Referer"] = self.url

    def _call(self, method: str, path: str, **kwargs):
        response = self.session.request(method, self.url + path, timeout=self.timeout, **kwargs)
        if response.status_code >= 400:
            # Superset's error bodies never hold our secrets; passwords are not echoed.
            raise SupersetError(f"{method} {path}: HTTP {response.status_code}: {response.text[:300]}")
        return response.json() if response.content else {}

    def get(self, path: str, **kwargs):
        return self._call("GET", path, **kwargs)

    def post(self, path: str, **kwargs):
        return self._call("POST", path, **kwargs)

    def put(self, path: str, **kwargs):
        return self._call("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs):
        return self._call("DELETE", path, **kwargs)

    def import_bundle(self, files: dict[str, dict], passwords: dict[str, str]) -> None:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for path, content in files.items():
                archive.writestr(f"bundle/{path}", yaml.safe_dump(content, sort_keys=False, allow_unicode=True))
        self.post("/api/v1/assets/import/",
                  files={"bundle": ("bundle.zip", buffer.getvalue(), "application/zip")},
                  data={"passwords": json.dumps(passwords), "overwrite": "true"})

    def find_one(self, resource: str, column: str, value: str) -> dict | None:
        quoted = value.replace("!", "!!").replace("'", "!'")  # rison string escaping
        query = f"(filters:!((col:{column},opr:eq,value:'{quoted}')))"
        result = self.get(f"/api/v1/{resource}/", params={"q": query}).get("result", [])
        return result[0] if result else None

    def chart_data(self, chart_id: int) -> list[dict]:
        data = self.get(f"/api/v1/chart/{chart_id}/data/")
        return data["result"][0]["data"]
