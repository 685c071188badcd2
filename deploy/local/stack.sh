#!/usr/bin/env bash
# The local stack: every service the hub talks to, for real, on 127.0.0.1, no Docker.
#   deploy/local/stack.sh up|down|status
#   deploy/local/stack.sh stop|start SERVICE   one service, installed already (fault tests, upkeep)
# State (data, venvs, built binaries, generated secrets) lives in .stack/ (git-ignored).
# `up` is idempotent; `down` then `up` keeps the data.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/env.sh"

# Start order matters: CKAN needs PostgreSQL, Redis and Solr (whose schema comes from the
# CKAN package, so CKAN is installed before Solr starts); Superset needs PostgreSQL.
SERVICES=(postgres redis seaweedfs ckan_venv solr ckan ckan_member superset portals dagster)
for s in postgres redis seaweedfs solr ckan superset portals dagster; do . "$DEPLOY_DIR/services/$s.sh"; done

ckan_venv_install() { ckan_install_venv; }
ckan_venv_start() { :; }
ckan_venv_stop() { :; }
ckan_venv_status() { :; }

up() {
  local t0=$SECONDS s
  load_env
  # Dagster last: its daemon and webserver load the definitions, which read the HUB_* settings.
  for s in "${SERVICES[@]}"; do [ "$s" = dagster ] || { "${s}_install"; "${s}_start"; }; done
  write_hub_env
  dagster_install; dagster_start
  log "stack up in $((SECONDS - t0)) s; settings in $ENV_FILE"
}

down() {
  local i
  load_env
  for ((i=${#SERVICES[@]}-1; i>=0; i--)); do "${SERVICES[$i]}_stop"; done
}

status() {
  local s rc=0
  load_env
  for s in postgres redis seaweedfs solr ckan ckan_member superset portals dagster; do "${s}_status" || rc=1; done
  return $rc
}

# One service by its name in SERVICES; `start` only starts (the service is installed).
one() {
  local verb=$1 name=${2:-} s
  for s in "${SERVICES[@]}"; do
    if [ "$s" = "$name" ] && [ "$s" != ckan_venv ]; then load_env; "${name}_${verb}"; return; fi
  done
  local names=("${SERVICES[@]/ckan_venv}")
  echo "usage: $0 $verb SERVICE (one of:$(printf ' %s' ${names[*]}))" >&2; exit 2
}

# The hub reads only HUB_* variables; a production deployment sets the same names.
write_hub_env() {
  set_env HUB_SOLR_URL "http://127.0.0.1:$SOLR_PORT/solr"
  set_env HUB_CKAN_URL "http://127.0.0.1:$CKAN_PORT"
  set_env HUB_S3_ENDPOINT "127.0.0.1:$S3_PORT"
  set_env HUB_S3_BUCKET "territorial-data-hub"
  set_env HUB_SUPERSET_URL "http://127.0.0.1:$SUPERSET_PORT"
  set_env HUB_PORTALS_URL "http://127.0.0.1:$PORTALS_PORT"
  grep -q '^HUB_COMMITTEE_FILE=' "$ENV_FILE" || set_env HUB_COMMITTEE_FILE "$PROJECT_DIR/demo/committee.yaml"
  ensure_secret HUB_PSEUDONYMISATION_KEY 48
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  stop|start) one "$1" "${2:-}" ;;
  *) echo "usage: $0 up|down|status|stop SERVICE|start SERVICE" >&2; exit 2 ;;
esac
