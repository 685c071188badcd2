"""data.gouv.fr's own DCAT harvester (udata's `dcat` backend, the code behind
`udata harvest run`) on one catalogue URL, offline: the catalogue is served by whoever
answers the URL, and udata's database is a MongoDB URL or `memory` (mongomock, in this
process).

Run with the udata venv's Python (deploy/local/tools/udata.sh builds it):
    harvest.py CATALOGUE_URL MONGODB_URL|memory LICENCES_JSON  ->  JSON report on stdout

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
