# Apache Superset 6.1.0 (PyPI) in its own venv, metadata in PostgreSQL (database `superset`),
# served by gunicorn on 127.0.0.1:$SUPERSET_PORT. Also the warehouse database where the hub
# pools tables (warehouse_install), since Superset is its first reader.
# Versions: deploy/local/superset/constraints.txt (pip freeze --all of a working venv).
# Config: deploy/local/superset/superset_config.py, which reads every secret from the
# environment that superset_env exports from .stack/env.

SUPERSET_VENV="$STACK_DIR/venvs/superset"
SUPERSET_STATE="$STACK_DIR/superset"            # SUPERSET_HOME + step markers
SUPERSET_LOG="$LOG_DIR/superset.log"
SUPERSET_CONSTRAINTS="$DEPLOY_DIR/superset/constraints.txt"
SUPERSET_CONFIG="$DEPLOY_DIR/superset/superset_config.py"
SUPERSET_REQUIREMENTS=("apache-superset==6.1.0" psycopg2-binary "flask-caching==2.3.1" rich cachetools)
SUPERSET_ADMIN_USER=hub_admin

superset_install() {
  warehouse_install
  superset_install_venv
  ensure_secret STACK_SUPERSET_SECRET_KEY 64
  ensure_secret STACK_SUPERSET_DB_PASSWORD
  ensure_secret STACK_SUPERSET_GUEST_TOKEN_SECRET 64
  ensure_secret STACK_SUPERSET_ADMIN_PASSWORD
  set_env HUB_SUPERSET_USER "$SUPERSET_ADMIN_USER"
  set_env HUB_SUPERSET_PASSWORD "$STACK_SUPERSET_ADMIN_PASSWORD"
  mkdir -p "$SUPERSET_STATE/home" "$SUPERSET_STATE/markers"
  postgres_start   # no-op when up; stack.sh runs every install before any start
  pg_ensure_role_db superset "$STACK_SUPERSET_DB_PASSWORD" superset

  # Each metadata step runs once per set of pinned versions (the marker holds the hash).
  local hash; hash=$(superset_constraints_hash)
  if ! superset_marker_ok db_upgrade "$hash"; then
    log "superset db upgrade (metadata schema)"
    superset_cli db upgrade || fail_with_log superset "$SUPERSET_LOG"
    superset_marker_set db_upgrade "$hash"
  fi
  if ! superset_marker_ok admin "$STACK_SUPERSET_ADMIN_PASSWORD"; then
    superset_ensure_admin || fail_with_log superset "$SUPERSET_LOG"
    superset_marker_set admin "$STACK_SUPERSET_ADMIN_PASSWORD"
  fi
  if ! superset_marker_ok init "$hash"; then
    log "superset init (roles and permissions)"
    superset_cli init || fail_with_log superset "$SUPERSET_LOG"
    superset_marker_set init "$hash"
  fi
  superset_public_translations
}

# Superset 6.1's frontend fetches /superset/language_pack/<locale>/, a @has_access view,
# before it renders any page, the login page included: unless the Public role (anonymous
# visitors) holds `can_language_pack on Superset`, the login page stays in English whatever
# BABEL_DEFAULT_LOCALE says (apache/superset#40999). Gamma (the leads) has it from `superset
# init`. Public gets that permission only, nothing else. Idempotent; survives `superset init`.
superset_public_translations() {
  pg_psql superset <<'SQL'
INSERT INTO ab_permission_view_role (id, permission_view_id, role_id)
SELECT nextval('ab_permission_view_role_id_seq'), pv.id, r.id
FROM ab_permission_view pv
JOIN ab_permission p ON p.id = pv.permission_id AND p.name = 'can_language_pack'
JOIN ab_view_menu v ON v.id = pv.view_menu_id AND v.name = 'Superset'
JOIN ab_role r ON r.name = 'Public'
WHERE NOT EXISTS (SELECT 1 FROM ab_permission_view_role x
                  WHERE x.permission_view_id = pv.id AND x.role_id = r.id);
SQL
}

# The venv, rebuilt in place when constraints.txt changes (the marker holds its hash).
superset_install_venv() {
  local marker="$SUPERSET_VENV/.stack-installed" hash t0=$SECONDS
  [ -f "$SUPERSET_CONSTRAINTS" ] || die "missing $SUPERSET_CONSTRAINTS"
  hash=$(superset_constraints_hash)
  [ -f "$marker" ] && [ "$(cat "$marker")" = "$hash" ] && return 0
  log "installing Superset 6.1.0 into $SUPERSET_VENV (several minutes; log: $SUPERSET_LOG)"
  [ -x "$SUPERSET_VENV/bin/python" ] || "$(service_python)" -m venv "$SUPERSET_VENV" \
    || die "cannot create $SUPERSET_VENV"
  # pip, setuptools and wheel themselves are pinned too (freeze --all).
  { "$SUPERSET_VENV/bin/pip" install -q -c "$SUPERSET_CONSTRAINTS" pip setuptools wheel \
    && "$SUPERSET_VENV/bin/pip" install -q -c "$SUPERSET_CONSTRAINTS" "${SUPERSET_REQUIREMENTS[@]}"
  } >>"$SUPERSET_LOG" 2>&1 || fail_with_log superset "$SUPERSET_LOG"
  echo "$hash" >"$marker"
  log "superset venv ready in $((SECONDS - t0)) s"
}

# fab create-admin reads its password from the environment (Flask's auto envvar prefix),
# so the secret never shows in a process list; an existing user gets the current password.
superset_ensure_admin() {
  local exists
  exists=$(pg_psql_value "SELECT 1 FROM ab_user WHERE username = '$SUPERSET_ADMIN_USER'" superset)
  if [ -z "$exists" ]; then
    log "creating Superset admin $SUPERSET_ADMIN_USER"
    FLASK_FAB_CREATE_ADMIN_PASSWORD="$STACK_SUPERSET_ADMIN_PASSWORD" superset_cli fab create-admin \
      --username "$SUPERSET_ADMIN_USER" --firstname Hub --lastname Admin \
      --email "$SUPERSET_ADMIN_USER@localhost.localdomain"
  else
    log "resetting the password of Superset admin $SUPERSET_ADMIN_USER"
    FLASK_FAB_RESET_PASSWORD_PASSWORD="$STACK_SUPERSET_ADMIN_PASSWORD" superset_cli fab reset-password \
      --username "$SUPERSET_ADMIN_USER"
  fi
  exists=$(pg_psql_value "SELECT 1 FROM ab_user WHERE username = '$SUPERSET_ADMIN_USER'" superset)
  [ -n "$exists" ]
}

superset_start() {
  # superset_config.py is read once, when gunicorn starts: a Superset this script started
  # with an older version of the file is restarted, so `up` always serves the committed
  # configuration (locale, number and date formats...).
  if pid_alive superset && ! superset_config_current; then
    log "superset: $SUPERSET_CONFIG changed since Superset started; restarting it"
    superset_stop
  fi
  superset_healthy && return 0
  if pid_alive superset; then   # still booting from an earlier call
    wait_for_http superset "http://127.0.0.1:$SUPERSET_PORT/health" "$SUPERSET_LOG" 180 superset
    return
  fi
  touch "$SUPERSET_LOG"
  # Subshell: the secrets reach gunicorn's environment, not the rest of the stack script.
  # --no-control-socket: gunicorn 27 otherwise opens ~/.gunicorn/gunicorn.ctl, shared by
  # every gunicorn of the user (CKAN too).
  ( superset_env
    start_daemon superset "$SUPERSET_LOG" "$SUPERSET_VENV/bin/gunicorn" \
      -w 1 -k gthread --threads 4 --timeout 120 -b "127.0.0.1:$SUPERSET_PORT" --no-control-socket \
      "superset.app:create_app()" )
  superset_config_hash >"$SUPERSET_STATE/config-started"
  wait_for_http superset "http://127.0.0.1:$SUPERSET_PORT/health" "$SUPERSET_LOG" 180 superset
}

# The digest of the configuration the running Superset was started with, and of the file now.
superset_config_hash() { sha256sum "$SUPERSET_CONFIG" | cut -c1-16; }
superset_config_current() {
  [ -f "$SUPERSET_STATE/config-started" ] && [ "$(cat "$SUPERSET_STATE/config-started")" = "$(superset_config_hash)" ]
}

superset_stop() { stop_daemon superset; }

superset_status() {
  if superset_healthy; then
    echo "superset  up    http://127.0.0.1:$SUPERSET_PORT"
  else
    echo "superset  DOWN"; return 1
  fi
}

superset_healthy() {
  curl -fsS -o /dev/null --max-time 5 "http://127.0.0.1:$SUPERSET_PORT/health" 2>/dev/null
}

# What superset_config.py reads. Call only in a subshell.
superset_env() {
  export SUPERSET_CONFIG_PATH="$SUPERSET_CONFIG"
  export SUPERSET_HOME="$SUPERSET_STATE/home"
  export SUPERSET_SECRET_KEY="$STACK_SUPERSET_SECRET_KEY"
  export SUPERSET_DATABASE_URI="postgresql+psycopg2://superset:$STACK_SUPERSET_DB_PASSWORD@127.0.0.1:$PG_PORT/superset"
  export GUEST_TOKEN_JWT_SECRET="$STACK_SUPERSET_GUEST_TOKEN_SECRET"
  export FLASK_APP=superset
}

# superset_cli ARGS...: the superset command with the stack's config, output to the log.
superset_cli() { ( superset_env; "$SUPERSET_VENV/bin/superset" "$@" ) >>"$SUPERSET_LOG" 2>&1 < /dev/null; }

superset_constraints_hash() {
  { cat "$SUPERSET_CONSTRAINTS"; printf '%s\n' "${SUPERSET_REQUIREMENTS[@]}"; } | sha256sum | cut -c1-16
}

# Markers hold a digest of what the step was done for (never a secret in clear).
superset_marker_ok() {
  local f="$SUPERSET_STATE/markers/$1"
  [ -f "$f" ] && [ "$(cat "$f")" = "$(printf '%s' "$2" | sha256sum | cut -c1-16)" ]
}
superset_marker_set() { printf '%s' "$2" | sha256sum | cut -c1-16 >"$SUPERSET_STATE/markers/$1"; }

# The warehouse of pooled tables: database `warehouse` owned by `hub_warehouse`, the role the
# hub's pipelines write with. It creates one read-only login role per lead collectivity
# (pipelines/warehouse.py grant_lead, see SECURITY.md), hence CREATEROLE, as in
# deploy/compose/postgres-init.sh.
warehouse_install() {
  ensure_secret STACK_WAREHOUSE_PASSWORD
  postgres_start
  pg_ensure_role_db hub_warehouse "$STACK_WAREHOUSE_PASSWORD" warehouse
  echo 'ALTER ROLE hub_warehouse CREATEROLE;' | pg_psql
  set_env HUB_WAREHOUSE_URL "postgresql://hub_warehouse:$STACK_WAREHOUSE_PASSWORD@127.0.0.1:$PG_PORT/warehouse"
}
