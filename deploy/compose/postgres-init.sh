#!/bin/bash
# First start of the PostgreSQL volume: one database and role per component.
set -euo pipefail
psql -v ON_ERROR_STOP=1 -U postgres <<SQL
CREATE ROLE ckan LOGIN PASSWORD '${CKAN_DB_PASSWORD}';
CREATE ROLE datastore_ro LOGIN PASSWORD '${CKAN_DATASTORE_RO_PASSWORD}';
CREATE ROLE superset LOGIN PASSWORD '${SUPERSET_DB_PASSWORD}';
CREATE ROLE hub_warehouse LOGIN PASSWORD '${WAREHOUSE_PASSWORD}' CREATEROLE;
CREATE DATABASE ckan OWNER ckan;
CREATE DATABASE datastore OWNER ckan;
CREATE DATABASE superset OWNER superset;
CREATE DATABASE warehouse OWNER hub_warehouse;
CREATE ROLE hub_dagster LOGIN PASSWORD '${DAGSTER_DB_PASSWORD}';
CREATE DATABASE dagster OWNER hub_dagster;
SQL
