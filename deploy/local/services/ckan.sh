# CKAN 2.12.0 (PyPI) with DataStore, DCAT-AP (ckanext-dcat 2.4.4 + ckanext-scheming 3.1.0)
# and activity, served by gunicorn from its own venv. Versions: deploy/local/ckan/constraints.txt;
# shared settings: deploy/local/ckan/hub-options.ini; WSGI entry: deploy/local/ckan/wsgi.py.
#
# Every CKAN instance shares the venv; an instance is a name (its state folder, log, pid,
# databases, roles, Solr core and secret prefix all derive from it), a port and a Redis db:
#   ckan         the hub's catalogue,        port $CKAN_PORT,        HUB_CKAN_* settings
#   ckan_member  a member's own portal demo, port $MEMBER_CKAN_PORT, HUB_MEMBER_CKAN_* settings
# ckan_install/start/stop/status and ckan_member_install/start/stop/status are the contract's
# functions of the two (stack.sh lists both services, ckan_member after ckan).

CKAN_VENV="$STACK_DIR/venvs/ckan"
CKAN_CONF_DIR="$DEPLOY_DIR/ckan"
CKAN_PKGS=("ckan[requirements]==2.12.0" "gunicorn")
CKAN_EXT_PKGS=("ckanext-dcat==2.4.4" "ckanext-scheming==3.1.0")
CKAN_ADMIN_USER=hub_admin
# The hub's own DCAT-AP 3 profile (ckanext-dcat entry point hub_dcat_ap_3), a package of this repository.
CKAN_HUB_EXT="$CKAN_CONF_DIR/ckanext-hub"

ckan_install() { ckan_instance_install ckan; }
ckan_start() { ckan_instance_start ckan; }
ckan_stop() { ckan_instance_stop ckan; }
ckan_status() { ckan_instance_status ckan; }
ckan_member_install() { ckan_instance_install ckan_member; }
ckan_member_start() { ckan_instance_start ckan_member; }
ckan_member_stop() { ckan_instance_stop ckan_member; }
ckan_member_status() { ckan_instance_status ckan_member; }

# ckan_install_venv: build the shared venv from the constraints file; skipped when the
# marker holds the hash of the constraints and package lists already installed.
ckan_install_venv() {
  local marker="$CKAN_VENV/.stack-installed" want vlog="$LOG_DIR/ckan-venv.log" t0=$SECONDS
  want=$( { cat "$CKAN_CONF_DIR/constraints.txt"; echo "${CKAN_PKGS[*]} ${CKAN_EXT_PKGS[*]}"; } \
    | sha256sum | cut -d' ' -f1)
  [ "$(cat "$marker" 2>/dev/null)" = "$want" ] && return 0
  log "building the CKAN venv in $CKAN_VENV (about a minute; log: $vlog)"
  [ -x "$CKAN_VENV/bin/python" ] || "$(service_python)" -m venv "$CKAN_VENV" >>"$vlog" 2>&1 \
    || fail_with_log ckan-venv "$vlog"
  local pip=("$CKAN_VENV/bin/pip" install -q --disable-pip-version-check
             -c "$CKAN_CONF_DIR/constraints.txt")
  "${pip[@]}" pip >>"$vlog" 2>&1 || fail_with_log ckan-venv "$vlog"
  # Two calls: CKAN first, then the extensions (resolving them together fights over pins).
  "${pip[@]}" "${CKAN_PKGS[@]}" >>"$vlog" 2>&1 || fail_with_log ckan-venv "$vlog"
  "${pip[@]}" "${CKAN_EXT_PKGS[@]}" >>"$vlog" 2>&1 || fail_with_log ckan-venv "$vlog"
  echo "$want" >"$marker"
  log "CKAN venv ready in $((SECONDS - t0)) s"
}

# ckan_install_hub_ext: the hub's profile package into the CKAN venv, again whenever one of its
# files changed (its marker is then newer than the running CKAN, which ckan_instance_start restarts).
ckan_install_hub_ext() {
  local marker="$CKAN_VENV/.hub-ext-installed" want vlog="$LOG_DIR/ckan-venv.log"
  want=$(cd "$CKAN_HUB_EXT" && find . -type f \( -name '*.py' -o -name '*.toml' \) -not -path '*/build/*' \
    | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -d' ' -f1)
  [ "$(cat "$marker" 2>/dev/null)" = "$want" ] && return 0
  log "installing the hub's DCAT-AP profile (ckanext-hub) into the CKAN venv"
  # --no-deps: CKAN, ckanext-dcat and rdflib are the venv's own (constraints.txt); the build
  # backend is the exact setuptools its pyproject.toml names.
  "$CKAN_VENV/bin/pip" install -q --disable-pip-version-check --no-deps "$CKAN_HUB_EXT" >>"$vlog" 2>&1 \
    || fail_with_log ckan-venv "$vlog"
  rm -rf "$CKAN_HUB_EXT/build" "$CKAN_HUB_EXT"/*.egg-info
  echo "$want" >"$marker"
}

# ckan_instance NAME: set the CK_* variables describing one instance. The hub's catalogue:
# 2 gunicorn workers, one per core (4 published no faster and took 15 % more processor time,
# docs/benchmarks.md); it leaves commits to Solr's autoSoftCommit (solrconfig.xml), so what
# it indexes is searchable within a second. The member portal is a demo of a member's site
# read by the hub's gatherer: one worker is enough, and it commits each write (tests list
# what they just created).
ckan_instance() {
  CK_NAME=$1
  case $1 in
    ckan)        CK_PORT=$CKAN_PORT;        CK_REDIS_DB=0; CK_HUB=HUB_CKAN;        CK_WORKERS=2; CK_SOLR_COMMIT=false
                 # the hub's own, in French: datasets, and the members' AI projects (type projet-ia)
                 CK_SCHEMA="file://$CKAN_CONF_DIR/hub_dataset.yaml file://$CKAN_CONF_DIR/projet_ia.yaml"
                 CK_DCAT_PROFILES="euro_dcat_ap_3 hub_dcat_ap_3" ;;   # DCAT-AP 3.0.1 as data.gouv.fr harvests it
    ckan_member) CK_PORT=$MEMBER_CKAN_PORT; CK_REDIS_DB=1; CK_HUB=HUB_MEMBER_CKAN; CK_WORKERS=1; CK_SOLR_COMMIT=true
                 CK_SCHEMA="ckanext.dcat.schemas:dcat_ap_full.yaml"  # a member's portal, as shipped
                 CK_DCAT_PROFILES="euro_dcat_ap_3" ;;
    *) die "unknown CKAN instance: $1" ;;
  esac
  CK_URL="http://127.0.0.1:$CK_PORT"
  CK_DIR="$STACK_DIR/$1"
  CK_INI="$CK_DIR/ckan.ini"
  CK_LOG="$LOG_DIR/$1.log"
  CK_DB=$1 CK_DS_DB=${1}_datastore CK_ROLE=$1 CK_DS_RO_ROLE=${1}_datastore_ro
  CK_SOLR_URL="http://127.0.0.1:$SOLR_PORT/solr/$1"
  CK_SECRET=STACK_${1^^}       # STACK_CKAN_..., STACK_CKAN_MEMBER_...
}

ckan_cli() { "$CKAN_VENV/bin/ckan" -c "$CK_INI" "$@"; }

ckan_instance_install() {
  ckan_install_venv
  ckan_install_hub_ext
  ckan_instance "$1"
  local s
  for s in DB_PASSWORD DATASTORE_RO_PASSWORD SECRET_KEY CSRF_SECRET JWT_SECRET ADMIN_PASSWORD; do
    ensure_secret "${CK_SECRET}_$s"
  done
  local dbpw_var="${CK_SECRET}_DB_PASSWORD" ropw_var="${CK_SECRET}_DATASTORE_RO_PASSWORD"
  local dbpw=${!dbpw_var} ropw=${!ropw_var}

  # Databases: the catalogue and the DataStore belong to the CKAN role; the DataStore is
  # also read by a separate read-only role (used by datastore_search_sql and friends).
  pg_ensure_role_db "$CK_ROLE" "$dbpw" "$CK_DB"
  pg_ensure_role_db "$CK_ROLE" "$dbpw" "$CK_DS_DB"
  pg_psql <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$CK_DS_RO_ROLE') THEN
    CREATE ROLE "$CK_DS_RO_ROLE" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '$ropw';
  ELSE
    ALTER ROLE "$CK_DS_RO_ROLE" LOGIN PASSWORD '$ropw';
  END IF;
END \$\$;
SQL

  ckan_write_ini "$dbpw" "$ropw"
  ckan_init_db
  ckan_ensure_admin
  set_env "${CK_HUB}_URL" "$CK_URL"
}

# ckan_write_ini: generate the ini once, then merge the shared settings and this instance's
# settings into it whenever they changed (config-tool echoes values: its output is dropped).
ckan_write_ini() {
  local dbpw=$1 ropw=$2 k
  mkdir -p "$CK_DIR/storage"
  if [ ! -f "$CK_INI" ]; then
    log "generating $CK_INI"
    "$CKAN_VENV/bin/ckan" generate config "$CK_INI" >/dev/null 2>&1 || die "ckan generate config failed"
  fi
  chmod 600 "$CK_INI"
  local pg="127.0.0.1:$PG_PORT" options
  k="${CK_SECRET}_SECRET_KEY"; local secret_key=${!k}
  k="${CK_SECRET}_CSRF_SECRET"; local csrf=${!k}
  k="${CK_SECRET}_JWT_SECRET"; local jwt=${!k}
  options=$(grep -Ev '^[[:space:]]*([#;]|$)' "$CKAN_CONF_DIR/hub-options.ini"; cat <<INI
[app:main]
ckan.site_id = $CK_NAME
ckan.site_url = $CK_URL
sqlalchemy.url = postgresql://$CK_ROLE:$dbpw@$pg/$CK_DB
ckan.datastore.write_url = postgresql://$CK_ROLE:$dbpw@$pg/$CK_DS_DB
ckan.datastore.read_url = postgresql://$CK_DS_RO_ROLE:$ropw@$pg/$CK_DS_DB
ckan.redis.url = redis://127.0.0.1:$REDIS_PORT/$CK_REDIS_DB
solr_url = $CK_SOLR_URL
ckan.search.solr_commit = $CK_SOLR_COMMIT
scheming.dataset_schemas = $CK_SCHEMA
ckanext.dcat.rdf.profiles = $CK_DCAT_PROFILES
extra_template_paths = $CKAN_CONF_DIR/templates
ckan.storage_path = $CK_DIR/storage
licenses_group_url = file://$CKAN_CONF_DIR/licenses.json
SECRET_KEY = $secret_key
WTF_CSRF_SECRET_KEY = $csrf
api_token.jwt.encode.secret = string:$jwt
api_token.jwt.decode.secret = string:$jwt
[logger_ckanext]
level = INFO
INI
)
  local want; want=$(printf '%s' "$options" | sha256sum | cut -d' ' -f1)
  [ "$(cat "$CK_DIR/.options-hash" 2>/dev/null)" = "$want" ] && return 0
  log "writing the settings of $CK_NAME into $CK_INI"
  printf '%s\n' "$options" | "$CKAN_VENV/bin/ckan" config-tool "$CK_INI" -f /dev/stdin \
    >/dev/null 2>&1 || die "ckan config-tool failed on $CK_INI"
  echo "$want" >"$CK_DIR/.options-hash"
}

# ckan_init_db: migrations (core + plugins) and DataStore permissions, re-run only when the
# installed versions or the plugin list changed, or the catalogue tables are missing.
ckan_init_db() {
  local want
  want=$( { cat "$CKAN_VENV/.stack-installed"; grep '^ckan.plugins' "$CK_INI" || true; } | sha256sum | cut -d' ' -f1)
  if [ "$(cat "$CK_DIR/.db-hash" 2>/dev/null)" = "$want" ] \
     && [ -n "$(pg_psql_value "SELECT to_regclass('public.package')" "$CK_DB")" ]; then
    return 0
  fi
  log "initialising the $CK_NAME database (ckan db init)"
  ckan_cli db init >>"$CK_LOG" 2>&1 || fail_with_log "$CK_NAME" "$CK_LOG"
  local sql
  sql=$(ckan_cli datastore set-permissions 2>>"$CK_LOG") || fail_with_log "$CK_NAME" "$CK_LOG"
  printf '%s\n' "$sql" | pg_psql >>"$CK_LOG" 2>&1 || fail_with_log "$CK_NAME" "$CK_LOG"
  echo "$want" >"$CK_DIR/.db-hash"
}

# ckan_token_valid TOKEN: true when the API token's id (JWT "jti") is still in the database.
ckan_token_valid() {
  local jti
  [ -n "$1" ] || return 1
  jti=$(printf '%s' "$1" | "$CKAN_VENV/bin/python" -c '
import base64, json, sys
p = sys.stdin.read().split(".")[1]
print(json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))["jti"])' 2>/dev/null) || return 1
  [[ $jti =~ ^[A-Za-z0-9_-]+$ ]] || return 1
  [ -n "$(pg_psql_value "SELECT 1 FROM api_token WHERE id = '$jti' AND user_id = (SELECT id FROM \"user\" WHERE name = '$CKAN_ADMIN_USER' AND state = 'active')" "$CK_DB")" ]
}

# ckan_ensure_admin: the sysadmin account the hub publishes with, and one API token for it
# (created once, kept while valid). Done in one Python process: one CKAN load, and the
# password travels by environment, not on a command line.
ckan_ensure_admin() {
  local pw_var="${CK_SECRET}_ADMIN_PASSWORD" tok_var="${CK_HUB}_TOKEN" need_token=1 out token
  ckan_token_valid "${!tok_var:-}" && need_token=0
  if [ $need_token = 0 ] && [ -n "$(pg_psql_value "SELECT 1 FROM \"user\" WHERE name = '$CKAN_ADMIN_USER' AND sysadmin AND state = 'active'" "$CK_DB")" ]; then
    set_env "${CK_HUB}_ADMIN_USER" "$CKAN_ADMIN_USER"
    set_env "${CK_HUB}_ADMIN_PASSWORD" "${!pw_var}"
    return 0
  fi
  log "creating sysadmin $CKAN_ADMIN_USER on $CK_NAME$([ $need_token = 1 ] && echo ' and its API token')"
  out=$(CKAN_INI="$CK_INI" CK_ADMIN="$CKAN_ADMIN_USER" CK_ADMIN_PASSWORD="${!pw_var}" \
        CK_NEED_TOKEN=$need_token "$CKAN_VENV/bin/python" - 2>>"$CK_LOG" <<'PY'
import os
from ckan.cli import load_config
from ckan.config.middleware import make_app
app = make_app(load_config(os.environ["CKAN_INI"]))
import ckan.model as model
from ckan.logic import get_action
name = os.environ["CK_ADMIN"]
with app._wsgi_app.test_request_context():
    site_user = get_action("get_site_user")({"ignore_auth": True}, {})
    if not model.User.by_name(name):
        get_action("user_create")(
            {"ignore_auth": True, "user": site_user["name"]},
            {"name": name, "email": name + "@hub.invalid",
             "password": os.environ["CK_ADMIN_PASSWORD"]})
    user = model.User.by_name(name)
    user.sysadmin = True
    user.state = "active"
    model.Session.add(user)
    model.repo.commit_and_remove()
    if os.environ["CK_NEED_TOKEN"] == "1":
        token = get_action("api_token_create")(
            {"ignore_auth": True}, {"user": name, "name": "hub"})["token"]
        print("TOKEN=" + token)
    print("OK")
PY
) || fail_with_log "$CK_NAME" "$CK_LOG"
  [ "${out##*$'\n'}" = OK ] || [ "$out" = OK ] || fail_with_log "$CK_NAME" "$CK_LOG"
  if [ $need_token = 1 ]; then
    token=$(printf '%s\n' "$out" | sed -n 's/^TOKEN=//p')
    [ -n "$token" ] || fail_with_log "$CK_NAME" "$CK_LOG"
    set_env "${CK_HUB}_TOKEN" "$token"
  fi
  set_env "${CK_HUB}_ADMIN_USER" "$CKAN_ADMIN_USER"
  set_env "${CK_HUB}_ADMIN_PASSWORD" "${!pw_var}"
}

ckan_healthy() { curl -fsS -o /dev/null --max-time 5 "$CK_URL/api/3/action/status_show" 2>/dev/null; }

ckan_instance_start() {
  ckan_instance "$1"
  if ckan_healthy; then
    # Running: restart only when install rewrote the ini or the hub's profile, or a file CKAN
    # reads at start (dataset schemas, templates, licences, wsgi.py) changed since it started.
    [ -f "$RUN_DIR/$CK_NAME.pid" ] && { [ "$CK_INI" -nt "$RUN_DIR/$CK_NAME.pid" ] \
      || [ "$CKAN_VENV/.hub-ext-installed" -nt "$RUN_DIR/$CK_NAME.pid" ] \
      || [ -n "$(find "$CKAN_CONF_DIR" -type f -newer "$RUN_DIR/$CK_NAME.pid" -not -path '*/ckanext-hub/*' \
                 -not -name '*.pyc' -print -quit)" ]; } || { ckan_reindex_if_asked; return 0; }
    log "$CK_NAME settings changed; restarting"
    stop_daemon "$CK_NAME"
  fi
  [ -f "$CK_INI" ] || die "$CK_NAME is not installed ($CK_INI missing)"
  start_daemon "$CK_NAME" "$CK_LOG" env CKAN_INI="$CK_INI" \
    "$CKAN_VENV/bin/gunicorn" --no-control-socket -w "$CK_WORKERS" -b "127.0.0.1:$CK_PORT" \
    --timeout 300 --graceful-timeout 10 --chdir "$CKAN_CONF_DIR" wsgi:application
  wait_for_http "$CK_NAME" "$CK_URL/api/3/action/status_show" "$CK_LOG" 120 "$CK_NAME"
  ckan_reindex_if_asked
}

# Solr's schema of this instance's core changed (solr.sh left a flag): index everything again.
ckan_reindex_if_asked() {
  local flag="$SOLR_HOME/$CK_NAME/conf/.reindex"
  [ -f "$flag" ] || return 0
  log "$CK_NAME: rebuilding the search index for the new Solr schema"
  ckan_cli search-index rebuild >>"$CK_LOG" 2>&1 || fail_with_log "$CK_NAME" "$CK_LOG"
  rm -f "$flag"
}

ckan_instance_stop() { ckan_instance "$1"; stop_daemon "$CK_NAME"; }

ckan_instance_status() {
  ckan_instance "$1"
  if ckan_healthy; then echo "$CK_NAME  up    $CK_URL"; else echo "$CK_NAME  DOWN"; return 1; fi
}
