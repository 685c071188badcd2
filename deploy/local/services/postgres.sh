# PostgreSQL 15 (Debian package): one cluster for CKAN, its DataStore, Superset's metadata
# and the warehouse of pooled tables, each with its own database and role.
# initdb refuses root, so the cluster runs as the `postgres` system user.

PG_BIN=/usr/lib/postgresql/15/bin
PG_HOME="$STACK_DIR/postgres"
# The cluster runs as `postgres`, which must be able to reach its folder. A checkout under
# /root (mode 700) is out of its reach: then the cluster lives in /var/lib/tdh-stack/<id>.
if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$STACK_DIR" 2>/dev/null; then
  PG_HOME="/var/lib/tdh-stack/$(printf '%s' "$STACK_DIR" | sha256sum | cut -c1-12)/postgres"
fi
PG_DATA="$PG_HOME/data"
PG_LOG="$PG_HOME/server.log"  # written by the postgres user

as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

postgres_install() {
  [ -x "$PG_BIN/initdb" ] || apt_ensure postgresql-15 postgresql-client-15
  ensure_secret STACK_PG_SUPERUSER_PASSWORD
  [ -f "$PG_DATA/PG_VERSION" ] && return 0
  log "initialising PostgreSQL cluster in $PG_DATA"
  mkdir -p "$PG_HOME"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$PG_HOME"
  local pwfile; pwfile=$(mktemp); printf '%s\n' "$STACK_PG_SUPERUSER_PASSWORD" >"$pwfile"
  chmod 644 "$pwfile"
  as_postgres "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --pwfile="$pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >>"$PG_LOG" 2>&1 \
    || { rm -f "$pwfile"; fail_with_log postgres "$PG_LOG"; }
  rm -f "$pwfile"
}

postgres_start() {
  if pg_isready_quiet; then return 0; fi
  touch "$PG_LOG"; [ "$(id -u)" -eq 0 ] && chown postgres: "$PG_LOG"
  log "starting postgres on 127.0.0.1:$PG_PORT"
  # Unix socket in the state folder: no clash with a system cluster's /var/run socket.
  as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 \
    -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $PG_HOME" start >/dev/null \
    || fail_with_log postgres "$PG_LOG"
  pg_isready_quiet || fail_with_log postgres "$PG_LOG"
  log "postgres is healthy"
}

postgres_stop() {
  [ -f "$PG_DATA/postmaster.pid" ] || return 0
  log "stopping postgres"
  as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null || true
}

postgres_status() {
  if pg_isready_quiet; then echo "postgres  up    127.0.0.1:$PG_PORT"; else echo "postgres  DOWN"; return 1; fi
}

pg_isready_quiet() { "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" 2>/dev/null; }

# pg_psql [DB] < SQL: run SQL as the cluster superuser over the private socket.
pg_psql() {
  as_postgres "$PG_BIN/psql" -v ON_ERROR_STOP=1 -q -h "$PG_HOME" -p "$PG_PORT" \
    -U postgres -d "${1:-postgres}"
}

# pg_ensure_role_db ROLE PASSWORD DB: a login role owning its own database (idempotent).
pg_ensure_role_db() {
  local role=$1 password=$2 db=$3
  pg_psql <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$role') THEN
    CREATE ROLE "$role" LOGIN PASSWORD '$password';
  ELSE
    ALTER ROLE "$role" LOGIN PASSWORD '$password';
  END IF;
END \$\$;
SQL
  if [ -z "$(pg_psql_value "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
    echo "CREATE DATABASE \"$db\" OWNER \"$role\" ENCODING 'UTF8';" | pg_psql
  fi
}

# pg_psql_value SQL [DB]: one unaligned value, for existence checks.
pg_psql_value() {
  as_postgres "$PG_BIN/psql" -tA -h "$PG_HOME" -p "$PG_PORT" -U postgres \
    -d "${2:-postgres}" -c "$1"
}
