"""Publishing a new dataset in one request, and telling whether the catalogue moved.

`hub_dataset_create`: the hub creates each new dataset with its files, their DataStore
tables and their previews. Through CKAN's own actions that is four requests and two package
updates (package_create takes no file: the files go in a package_revise), each request
identifying its API token, each package update validating, writing an activity and
re-indexing the dataset (where CKAN's processor time goes: docs/benchmarks.md).
This action runs the same actions in one request, with the files attached to package_create
as package_update attaches them (`ckan.lib.uploader`), so the dataset is validated, recorded
in the activity stream and indexed once. All or nothing: if a file, a table or a preview
fails after the package was created, the package and its tables are purged, and the next
run of the hub creates the dataset again; if CKAN itself dies mid-request, what can be left
is a preview without its table, which `hub_datastore_tables` shows the next run.

`hub_datastore_tables`: the resources that have a DataStore table, in one call, so that the
hub's plan can tell a preview whose table is missing (a CKAN killed mid-request, a table
dropped by hand) and fill it again.

`hub_package_names`: which of some names the database holds, whatever their state: the
hub's plan reads the search index first, which lacks new, archived and just-written datasets;
of those, only the ones that exist are then read one by one.

`hub_catalogue_fingerprint`: how many packages the database holds, in which states, and the
latest `metadata_modified`. `tdh run` compares it with what its last run left
(pipelines/settled.py): a dataset edited or deleted by hand moves it. Read from the database,
not the search index, which shows a write only after its next commit.
"""

from __future__ import annotations

import json
import logging

import ckan.lib.uploader as uploader
import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckanext.datastore.backend import DatastoreBackend
from sqlalchemy import func

log = logging.getLogger(__name__)
UPLOAD = "upload__"  # multipart field of a resource's file: upload__<resource id>


def hub_dataset_create(context, data_dict):
    """Create a dataset with its files, DataStore tables and previews.

    :param package: the package as package_create takes it (JSON, a file part of the
        multipart request), its resources with their ids
    :param datastore: JSON (a file part), {resource id: {"fields": [...], "records": [...]}}:
        the tables to create, each in one datastore_create
    :param upload__<resource id>: the resource's file
    :returns: {"id", "name"} of the dataset
    """
    package = _json(data_dict, "package")
    # Whoever may create this package (its organization's editors), checked before any file
    # is stored; package_create checks again.
    tk.check_access("package_create", context, package)
    tables = _json(data_dict, "datastore", {})
    uploads = []
    for resource in package.get("resources", []):
        file_ = data_dict.get(UPLOAD + str(resource.get("id")))
        if file_ is not None:
            resource["upload"] = file_
            # Sets the resource's url, url_type and last_modified from the file, as
            # package_update does before it saves.
            uploads.append((resource["id"], uploader.get_resource_uploader(resource)))
    # A name taken is refused before any file is stored: the resource ids are the existing
    # dataset's too (the hub derives them from the name), and its files are not overwritten.
    if package.get("name") and context["model"].Package.get(package["name"]):
        raise tk.ValidationError({"name": ["That URL is already in use."]})
    # The files first: stored under their resource ids, which the hub chose; a file written
    # for a package that is then refused is written over by the next attempt.
    for resource_id, upload in uploads:
        upload.upload(resource_id, uploader.get_max_resource_size())
    created = tk.get_action("package_create")(tk.fresh_context(context), package)
    try:
        # The previews before the tables: the DataStore table comes last, so a CKAN killed
        # in between leaves a resource flagged datastore_active without its table, which
        # the hub's next plan sees (hub_datastore_tables) and fills again.
        if tables:
            tk.get_action("package_create_default_resource_views")(
                tk.fresh_context(context), {"package": created, "create_datastore_views": True})
        for resource_id, table in tables.items():
            tk.get_action("datastore_create")(tk.fresh_context(context),
                                              {"resource_id": resource_id, "force": True, **table})
    except Exception:
        log.exception("hub_dataset_create: %s half made, purged", created["name"])
        _undo(context, created, tables)
        raise
    return {"id": created["id"], "name": created["name"]}


def _json(data_dict, key, default=None):
    value = data_dict.get(key, default)
    if hasattr(value, "read"):
        # Sent as a file part: Werkzeug refuses a text field over 500 KB (413), and a
        # DataStore table of 10,000 rows is larger; file parts are bound by the upload size.
        value = value.read().decode("utf-8")
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError as error:
            raise tk.ValidationError({key: [f"not JSON: {error}"]}) from None
    if value is None:
        raise tk.ValidationError({key: ["Missing value"]})
    return value


def _undo(context, created, tables):
    # What this request made, taken back whoever asked (purging needs a sysadmin).
    undo = tk.fresh_context(context, ignore_auth=True)
    for resource_id in tables:
        try:
            tk.get_action("datastore_delete")(dict(undo), {"resource_id": resource_id, "force": True})
        except (tk.ObjectNotFound, tk.ValidationError):
            pass
    context["session"].rollback()
    tk.get_action("dataset_purge")(dict(undo), {"id": created["id"]})


@tk.side_effect_free
def hub_catalogue_fingerprint(context, data_dict):
    """{"packages": {state: count}, "latest": the latest metadata_modified (ISO 8601)}."""
    tk.check_access("hub_catalogue_fingerprint", context, data_dict)
    model = context["model"]
    counts = dict(model.Session.query(model.Package.state, func.count(model.Package.id))
                  .group_by(model.Package.state).all())
    latest = model.Session.query(func.max(model.Package.metadata_modified)).scalar()
    return {"packages": counts, "latest": latest.isoformat() if latest else None}


@tk.side_effect_free
def hub_datastore_tables(context, data_dict):
    """The ids of the resources that have a DataStore table (aliases left out)."""
    tk.check_access("hub_datastore_tables", context, data_dict)
    return sorted(DatastoreBackend.get_active_backend().get_all_ids())


@tk.side_effect_free
def hub_package_names(context, data_dict):
    """Which of `names` (a list) the database holds as packages, whatever their state."""
    tk.check_access("hub_package_names", context, data_dict)
    names = data_dict.get("names")
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names) or len(names) > 1000:
        raise tk.ValidationError({"names": ["a list of at most 1,000 names"]})
    model = context["model"]
    return sorted(name for (name,) in model.Session.query(model.Package.name).filter(model.Package.name.in_(names)))


def _sysadmin_only(context, data_dict):
    return {"success": False, "msg": "sysadmins only"}  # sysadmins pass every auth function


class HubPublishPlugin(p.SingletonPlugin):
    p.implements(p.IActions)
    p.implements(p.IAuthFunctions)

    def get_actions(self):
        return {"hub_dataset_create": hub_dataset_create, "hub_catalogue_fingerprint": hub_catalogue_fingerprint,
                "hub_datastore_tables": hub_datastore_tables, "hub_package_names": hub_package_names}

    def get_auth_functions(self):
        return {"hub_catalogue_fingerprint": _sysadmin_only,
                "hub_datastore_tables": _sysadmin_only, "hub_package_names": _sysadmin_only}
