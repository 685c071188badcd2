"""data.gouv.fr's own DCAT harvester (udata's `dcat` backend, the code behind
`udata harvest run`) on one catalogue URL, offline: udata's database is a local FerretDB
(MongoDB protocol) and the catalogue is served by whoever answers the URL.

Run with the udata venv's Python (deploy/local/tools/udata.sh builds it):
    harvest.py CATALOGUE_URL MONGODB_URL LICENCES_JSON  ->  JSON report on stdout

LICENCES_JSON is a licence list in CKAN's format, loaded with udata's own `licenses`
command, as data.gouv.fr loads its list. For each harvested item the report gives its
status and errors, and what udata made of the dataset: title, description, licence,
resources, temporal and spatial coverage, frequency, schema.
"""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import sys


class Settings:
    TESTING = True
    DEBUG = False
    SERVER_NAME = "udata.localhost"
    CELERY_TASK_ALWAYS_EAGER = True  # tasks run in this process: no broker
    CACHE_TYPE = "flask_caching.backends.NullCache"  # no Redis: one run, nothing worth caching
    # The demo's catalogue and files are on 127.0.0.1; data.gouv.fr refuses such URLs.
    URLS_ALLOW_LOCAL = True
    URLS_ALLOW_PRIVATE = True
    URLS_ALLOWED_TLDS = {"fr", "org", "eu", "localhost"}
    SEARCH_SERVICE_API_URL = None
    HARVEST_ACTIVITY_USER_ID = None
    HARVESTER_BACKENDS = ["dcat"]  # the backend data.gouv.fr harvests DCAT catalogues with


def main(catalogue_url: str, mongodb_url: str, licences_json: str) -> dict:
    if mongodb_url == "memory":
        # data.gouv.fr's database, played in this process: the harvest is udata's own code,
        # its store is mongomock's in-memory MongoDB (FerretDB, the one MongoDB-protocol
        # server buildable here, cannot store the GeoJSON polygons udata saves).
        import mongomock

        Settings.MONGODB_SETTINGS = {"host": "mongodb://localhost/udata", "mongo_client_class": mongomock.MongoClient}
        Settings.MONGODB_HOST = "mongodb://localhost/udata"
    else:
        Settings.MONGODB_HOST = mongodb_url
    # udata refuses to start without them; nothing here signs anything that outlives the run.
    Settings.SECRET_KEY = Settings.API_TOKEN_SECRET = secrets.token_urlsafe(32)
    from udata.app import create_app, standalone

    app = standalone(create_app(override=Settings))
    _no_index_creation()
    _regex_without_unicode_flag()
    with app.app_context():
        from udata.core.dataset.commands import licenses
        from udata.core.organization.models import Organization
        from udata.harvest import actions
        from udata.harvest.models import HarvestJob, HarvestSource

        with contextlib.redirect_stdout(sys.stderr):  # it prints its progress; stdout is the report
            licenses.main([licences_json], standalone_mode=False)  # `udata licenses FILE`
        organization = Organization.objects.create(name="Comité territorial de la donnée",
                                                   description="Organisation qui moissonne le catalogue du hub.")
        source = HarvestSource.objects.create(name="hub", url=catalogue_url, backend="dcat",
                                              organization=organization)
        actions.run(source)
        job = HarvestJob.objects(source=source).order_by("-created").first()
        return {"status": job.status, "errors": [e.message for e in job.errors],
                "items": [_item(item) for item in job.items]}


def _no_index_creation() -> None:
    """FerretDB has no text indexes, which udata's models declare for its site search; the
    harvest never searches by text, so the collections are used without creating indexes."""
    from mongoengine.base.common import _document_registry

    for document in _document_registry.values():
        document._meta["auto_create_index"] = False
        document._meta["auto_create_index_on_save"] = False


def _regex_without_unicode_flag() -> None:
    """mongoengine's `iexact`/`icontains` queries (udata's licence guess uses them) send
    Python patterns, which carry re.UNICODE: PyMongo writes it as the `u` option, which
    MongoDB ignores and FerretDB refuses. Python 3 patterns are Unicode anyway: send them
    as BSON regexes with the other flags only."""
    import re

    from bson.regex import Regex
    from mongoengine.fields import StringField

    prepare = StringField.prepare_query_value

    def prepare_query_value(self, op, value):
        value = prepare(self, op, value)
        if isinstance(value, re.Pattern):
            return Regex(value.pattern, "i" if value.flags & re.IGNORECASE else "")
        return value

    StringField.prepare_query_value = prepare_query_value


def _item(item) -> dict:
    dataset = item.dataset
    found = {"remote_id": item.remote_id, "status": item.status, "errors": [e.message for e in item.errors]}
    if dataset is None:
        return found
    temporal = dataset.temporal_coverage
    return found | {
        "title": dataset.title,
        "description": dataset.description,
        "license": dataset.license.id if dataset.license else None,
        "resources": [{"title": r.title, "url": r.url, "format": r.format, "mime": r.mime,
                       "filesize": r.filesize, "checksum": r.checksum.value if r.checksum else None}
                      for r in dataset.resources],
        "temporal": {"start": str(temporal.start), "end": str(temporal.end)} if temporal else None,
        "spatial": dataset.spatial.geom["type"] if dataset.spatial and dataset.spatial.geom else None,
        "frequency": str(dataset.frequency) if dataset.frequency else None,
        "schema": dataset.schema.url if dataset.schema else None,
    }


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    json.dump(main(*sys.argv[1:4]), sys.stdout, ensure_ascii=False, default=str)
