# Dagster's instance (deploy/local/dagster/dagster.yaml): run, event-log and schedule storage
# in PostgreSQL (database `dagster`, role `hub_dagster`), the daemon (schedules, sensors, the
# run queue) and the webserver on 127.0.0.1:$DAGSTER_PORT, both from the project's venv
# (`make setup` builds it; the stack starts them last, once every HUB_* setting is written).

DAGSTER_HOME_DIR="$STACK_DIR/dagster"
DAGSTER_LOG="$LOG_DIR/dagster-webserver.log"
DAGSTER_DAEMON_LOG="$LOG_DIR/dagster-daemon.log"

dagster_install() {
  ensure_secret STACK_DAGSTER_PASSWORD
  postgres_start
  pg_ensure_role_db hub_dagster "$STACK_DAGSTER_PASSWORD" dagster
  # psycopg2 named: SQLAlchemy 2.1 defaults to psycopg 3, with which dagster-postgres's
  # NOTIFY fails (server-side parameters).
  set_env HUB_DAGSTER_PG_URL "postgresql+psycopg2://hub_dagster:$STACK_DAGSTER_PASSWORD@127.0.0.1:$PG_PORT/dagster"
  mkdir -p "$DAGSTER_HOME_DIR"
  # The settings file names the URL's variable, never its value.
  cp "$DEPLOY_DIR/dagster/dagster.yaml" "$DAGSTER_HOME_DIR/dagster.yaml"
}

dagster_start() {
  [ -x "$PROJECT_DIR/.venv/bin/dagster-daemon" ] || { log "dagster: no project venv yet (make setup); not started"; return 0; }
  load_env
  export DAGSTER_HOME="$DAGSTER_HOME_DIR"
  if ! dagster_daemon_alive; then
    start_daemon dagster-daemon "$DAGSTER_DAEMON_LOG" \
      "$PROJECT_DIR/.venv/bin/dagster-daemon" run -w "$PROJECT_DIR/workspace.yaml"
  fi
  if ! dagster_ping; then
    start_daemon dagster-webserver "$DAGSTER_LOG" "$PROJECT_DIR/.venv/bin/dagster-webserver" \
      -w "$PROJECT_DIR/workspace.yaml" -h 127.0.0.1 -p "$DAGSTER_PORT"
    wait_for_http dagster "http://127.0.0.1:$DAGSTER_PORT/server_info" "$DAGSTER_LOG" 120 dagster-webserver
  fi
}

dagster_stop() { stop_daemon dagster-webserver; stop_daemon dagster-daemon; }

dagster_status() {
  local rc=0
  if dagster_ping; then echo "dagster   up    http://127.0.0.1:$DAGSTER_PORT"; else echo "dagster   DOWN (webserver)"; rc=1; fi
  if dagster_daemon_alive; then echo "daemon    up"; else echo "daemon    DOWN"; rc=1; fi
  return $rc
}

dagster_ping() { curl -fsS -o /dev/null --max-time 3 "http://127.0.0.1:$DAGSTER_PORT/server_info" 2>/dev/null; }
dagster_daemon_alive() { pid_alive dagster-daemon; }
