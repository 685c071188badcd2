#!/usr/bin/env bash
# The Kubernetes Secrets the hub's charts read (deploy/k8s/*/values.yaml name them), made
# from an env file with the names of deploy/compose/example.env plus keys generated here:
#   deploy/k8s/secrets.sh --env-file .env tdh            # kubectl apply in namespace tdh
#   deploy/k8s/secrets.sh --env-file .env --out DIR tdh  # DIR/secrets.yaml (mode 600) only
# Made, never committed:
#   tdh-dagster-postgresql  postgresql-password (the hub_dagster role; the Dagster chart)
#   tdh-hub-env             every HUB_* secret the code location and its runs read
#   tdh-seaweedfs-security  security.toml: JWT keys signing volume and filer reads and writes
#   tdh-seaweedfs-s3        seaweedfs_s3_config: S3 identities (admin; hub scoped to its bucket)
#   tdh-ckan                CKAN's database URLs, secret and CSRF keys, API-token secret, sysadmin password
#   tdh-superset            SUPERSET_SECRET_KEY, SUPERSET_DATABASE_URI, GUEST_TOKEN_JWT_SECRET, DB_*
# A Secret that exists is left as it is (its keys are in use) unless --rotate is given.
# No secret goes through a command line: values reach base64 and kubectl on stdin.
set -euo pipefail
# Command substitutions keep -e: a refusal inside $(...) stops the script, not only the subshell.
shopt -s inherit_errexit

usage() { echo "usage: $0 --env-file FILE [--out DIR] [--rotate] NAMESPACE" >&2; exit 2; }
die() { echo "secrets.sh: $*" >&2; exit 1; }

env_file= out= rotate=0 namespace=
while [ $# -gt 0 ]; do
  case $1 in
    --env-file) env_file=${2:-}; shift 2 ;;
    --out) out=${2:-}; shift 2 ;;
    --rotate) rotate=1; shift ;;
    -*) usage ;;
    *) namespace=$1; shift ;;
  esac
done
[ -n "$env_file" ] && [ -n "$namespace" ] || usage
[ -r "$env_file" ] || die "cannot read the env file $env_file"
[[ $namespace =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ ]] || die "namespace '$namespace' is not a Kubernetes name"

# KEY=value lines, read as data (the file is never sourced: no code runs from it).
declare -A conf
lineno=0
while IFS= read -r line || [ -n "$line" ]; do
  lineno=$((lineno + 1))
  [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
  [[ $line =~ ^([A-Z][A-Z0-9_]*)=(.*)$ ]] || die "$env_file line $lineno: not KEY=value"
  conf[${BASH_REMATCH[1]}]=${BASH_REMATCH[2]}
done <"$env_file"

need() {
  local v=${conf[$1]:-}
  [ -n "$v" ] || die "$env_file: $1 is missing"
  [ "$v" != change-me ] || die "$env_file: $1 is still 'change-me'"
  printf '%s' "$v"
}
# A random secret from the kernel's CSPRNG, letters and digits only (safe in URLs and TOML).
gen_secret() { head -c 64 /dev/urandom | base64 -w0 | tr -dc 'A-Za-z0-9' | head -c "$1"; }
# given KEY LENGTH: the env file's value when set, else a new random one.
given() { if [ -n "${conf[$1]:-}" ]; then need "$1"; else gen_secret "$2"; fi; }

pg_host=${conf[PG_HOST]:-postgresql.tdh-data.svc.cluster.local}
s3_bucket=${conf[HUB_S3_BUCKET]:-territorial-data-hub}
dagster_pw=$(need DAGSTER_DB_PASSWORD)
warehouse_pw=$(need WAREHOUSE_PASSWORD)
ckan_token=$(need HUB_CKAN_TOKEN)
superset_pw=$(need HUB_SUPERSET_PASSWORD)
pseudo_key=$(need HUB_PSEUDONYMISATION_KEY)
hub_access=$(given HUB_S3_ACCESS_KEY 20)
hub_secret=$(given HUB_S3_SECRET_KEY 40)
admin_access=$(gen_secret 20)
admin_secret=$(gen_secret 40)
for k in hub_access hub_secret; do
  [[ ${!k} =~ ^[A-Za-z0-9]+$ ]] || die "$env_file: HUB_S3_ACCESS_KEY and HUB_S3_SECRET_KEY must be letters and digits"
done
ckan_pw=$(need CKAN_DB_PASSWORD)
ckan_ro_pw=$(need CKAN_DATASTORE_RO_PASSWORD)
superset_db_pw=$(need SUPERSET_DB_PASSWORD)
for k in dagster_pw warehouse_pw ckan_pw ckan_ro_pw superset_db_pw; do
  [[ ${!k} =~ ^[A-Za-z0-9._~-]+$ ]] \
    || die "$env_file: the *_DB_PASSWORD, WAREHOUSE_PASSWORD and CKAN_DATASTORE_RO_PASSWORD values go into URLs: letters, digits and . _ ~ - only"
done

# secret_doc NAME KEY VALUE [KEY VALUE...]: one Secret manifest; values base64-encoded on stdin.
secret_doc() {
  local name=$1; shift
  printf -- '---\napiVersion: v1\nkind: Secret\ntype: Opaque\nmetadata:\n  name: %s\n  namespace: %s\n' "$name" "$namespace"
  printf '  labels:\n    app.kubernetes.io/part-of: territorial-data-hub\ndata:\n'
  while [ $# -gt 0 ]; do
    printf '  %s: %s\n' "$1" "$(printf '%s' "$2" | base64 -w0)"
    shift 2
  done
}

security_toml() {
  # Master and volume servers share jwt.signing (writes) and jwt.signing.read (reads): the
  # master signs each file id it assigns or looks up, the volume server refuses a request
  # without a valid token. The filer keys do the same for the filer's HTTP port (the S3
  # gateway signs). gRPC between the servers stays inside the namespace (mTLS needs
  # cert-manager: the chart's global.seaweedfs.enableSecurity).
  printf '# SeaweedFS security.toml made by deploy/k8s/secrets.sh\n'
  printf '[jwt.signing]\nkey = "%s"\nexpires_after_seconds = 10\n\n' "$(gen_secret 48)"
  printf '[jwt.signing.read]\nkey = "%s"\nexpires_after_seconds = 60\n\n' "$(gen_secret 48)"
  printf '[jwt.filer_signing]\nkey = "%s"\nexpires_after_seconds = 10\n\n' "$(gen_secret 48)"
  printf '[jwt.filer_signing.read]\nkey = "%s"\nexpires_after_seconds = 60\n' "$(gen_secret 48)"
}

s3_config() {
  # The shape the local stack writes (deploy/local/services/seaweedfs.sh).
  local b=$s3_bucket
  printf '{"identities": [\n'
  printf '  {"name": "admin", "credentials": [{"accessKey": "%s", "secretKey": "%s"}],\n' "$admin_access" "$admin_secret"
  printf '   "actions": ["Admin", "Read", "List", "Tagging", "Write"]},\n'
  printf '  {"name": "hub", "credentials": [{"accessKey": "%s", "secretKey": "%s"}],\n' "$hub_access" "$hub_secret"
  printf '   "actions": ["Read:%s", "Write:%s", "List:%s", "Tagging:%s"]}\n]}\n' "$b" "$b" "$b" "$b"
}

# exists NAME: the Secret is in the cluster and is kept (not with --out, not with --rotate).
exists() { [ -z "$out" ] && [ "$rotate" = 0 ] && kubectl get secret -n "$namespace" "$1" >/dev/null 2>&1; }
manifests() {
  exists tdh-dagster-postgresql || secret_doc tdh-dagster-postgresql postgresql-password "$dagster_pw"
  # The hub's S3 keys and the S3 identities that admit them are made together.
  if ! exists tdh-hub-env || ! exists tdh-seaweedfs-s3; then
    secret_doc tdh-hub-env \
      HUB_S3_ACCESS_KEY "$hub_access" HUB_S3_SECRET_KEY "$hub_secret" \
      HUB_CKAN_TOKEN "$ckan_token" HUB_SUPERSET_PASSWORD "$superset_pw" \
      HUB_PSEUDONYMISATION_KEY "$pseudo_key" \
      HUB_WAREHOUSE_URL "postgresql://hub_warehouse:$warehouse_pw@$pg_host:5432/warehouse" \
      HUB_DAGSTER_PG_URL "postgresql+psycopg2://hub_dagster:$dagster_pw@$pg_host:5432/dagster"
    secret_doc tdh-seaweedfs-s3 seaweedfs_s3_config "$(s3_config)"
  fi
  exists tdh-seaweedfs-security || secret_doc tdh-seaweedfs-security security.toml "$(security_toml)"
  if ! exists tdh-ckan; then
    # Each value in a variable first: a refusal inside "$(given ...)" as a command's argument
    # would end only that subshell, and the Secret would be written with an empty key.
    local jwt ckan_secret ckan_admin
    jwt=$(given CKAN_JWT_SECRET 48)
    ckan_secret=$(given CKAN_SECRET_KEY 48)
    ckan_admin=$(given CKAN_ADMIN_PASSWORD 24)
    secret_doc tdh-ckan \
      CKAN_SQLALCHEMY_URL "postgresql://ckan:$ckan_pw@$pg_host:5432/ckan" \
      CKAN_DATASTORE_WRITE_URL "postgresql://ckan:$ckan_pw@$pg_host:5432/datastore" \
      CKAN_DATASTORE_READ_URL "postgresql://datastore_ro:$ckan_ro_pw@$pg_host:5432/datastore" \
      CKAN_SECRET_KEY "$ckan_secret" CKAN_CSRF_SECRET_KEY "$(gen_secret 48)" \
      CKAN___API_TOKEN__JWT__ENCODE__SECRET "string:$jwt" CKAN___API_TOKEN__JWT__DECODE__SECRET "string:$jwt" \
      CKAN_SYSADMIN_PASSWORD "$ckan_admin"
  fi
  # DB_*: what the Superset chart's init containers wait on and its own config reads.
  if ! exists tdh-superset; then
    local superset_secret guest_secret
    superset_secret=$(given SUPERSET_SECRET_KEY 48)
    guest_secret=$(given SUPERSET_GUEST_TOKEN_SECRET 48)
    secret_doc tdh-superset \
      DB_HOST "$pg_host" DB_PORT 5432 DB_USER superset DB_PASS "$superset_db_pw" DB_NAME superset \
      SUPERSET_SECRET_KEY "$superset_secret" \
      SUPERSET_DATABASE_URI "postgresql+psycopg2://superset:$superset_db_pw@$pg_host:5432/superset" \
      GUEST_TOKEN_JWT_SECRET "$guest_secret"
  fi
}

if [ -z "$out" ]; then command -v kubectl >/dev/null || die "kubectl not found (or use --out DIR)"; fi
# Every document made before anything is written or applied: a refused value stops here.
docs=$(manifests)
if [ -n "$out" ]; then
  mkdir -p "$out"
  ( umask 077; printf '%s\n' "$docs" >"$out/secrets.yaml" )
  echo "wrote $out/secrets.yaml (apply with: kubectl apply -f $out/secrets.yaml; then delete it)"
else
  printf '%s\n' "$docs" | kubectl apply -f -
fi
