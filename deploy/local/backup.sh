#!/usr/bin/env bash
# Backup and restore of the local stack's data, in one archive (a tar file, mode 600):
#   deploy/local/backup.sh backup [--secrets] [FILE]   (make backup [SECRETS=1] [FILE=...])
#   deploy/local/backup.sh restore FILE                (make restore FILE=...)
#
# The archive holds what the hub's state is made of: the databases (CKAN's catalogue and
# DataStore, the member-portal CKAN's, Superset's metadata, the warehouse, Dagster's runs)
# as pg_dump custom-format dumps with the cluster's roles (no passwords), the bucket's
# objects through the S3 API (bucket_archive.py), both CKANs' uploaded files, and the committee
# file. Solr's index is not kept: the restore rebuilds it from CKAN's database.
#
# Secrets (.stack/env) go in only with --secrets, and then encrypted (gpg, AES-256, with an
# integrity check) with a passphrase read from HUB_BACKUP_PASSPHRASE or typed on the
# terminal, never from the command line. Without them, restore into the installation that
# made the backup (or one given the same .stack/env): Superset keeps the warehouse
# passwords encrypted with its secret key, and pseudonymised columns depend on the hub's key.
#
# restore works on a running stack or on wiped data (.stack/ without postgres/, seaweedfs/,
# ckan/storage, ...; the venvs and built binaries may stay): it starts PostgreSQL and
# SeaweedFS, stops the services that hold the databases, replaces each database, makes the
# bucket equal to the archive's objects (removing the others), puts back CKAN's files and
# the committee file (beside it as .restored when a different one is there), then
# `stack.sh up` brings everything back, rebuilding the search index.
set -euo pipefail
umask 077   # the archive and everything on the way to it hold the hub's data: ours alone

. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
for s in postgres redis seaweedfs solr ckan superset portals dagster; do . "$DEPLOY_DIR/services/$s.sh"; done

FORMAT=1
# The stack's databases, each with its owner (created by the services' install functions).
DATABASES=(ckan:ckan ckan_datastore:ckan ckan_member:ckan_member ckan_member_datastore:ckan_member
           superset:superset warehouse:hub_warehouse dagster:hub_dagster)
BACKUP_DIR="$STACK_DIR/backups"
PYTHON="$PROJECT_DIR/.venv/bin/python"
WORK=""   # the archive's contents while it is made or read; removed on exit
trap '[ -z "$WORK" ] || rm -rf "$WORK"' EXIT

# passphrase PURPOSE: HUB_BACKUP_PASSPHRASE, else typed twice (backup) or once on the tty.
passphrase() {
  local again
  if [ -n "${HUB_BACKUP_PASSPHRASE:-}" ]; then
    PASSPHRASE=$HUB_BACKUP_PASSPHRASE
  else
    [ -r /dev/tty ] || die "secrets: set HUB_BACKUP_PASSPHRASE or run on a terminal to type the passphrase"
    read -r -s -p "Passphrase for the archive's secrets: " PASSPHRASE </dev/tty; echo >&2
    if [ "$1" = encrypt ]; then
      read -r -s -p "Again: " again </dev/tty; echo >&2
      [ "$PASSPHRASE" = "$again" ] || die "secrets: the two passphrases differ"
    fi
  fi
  [ "$1" = decrypt ] || [ ${#PASSPHRASE} -ge 12 ] || die "secrets: a passphrase of at least 12 characters, please"
}

# gpg_pass ARGS...: gpg in batch mode, the passphrase on descriptor 3 (never in argv or env).
gpg_pass() {
  local home; home=$(mktemp -d)
  gpg --homedir "$home" --batch --quiet --pinentry-mode loopback --passphrase-fd 3 "$@" 3<<<"$PASSPHRASE"
  local rc=$?
  # gpg started an agent for this home: stop it, or it outlives the backup.
  gpgconf --homedir "$home" --kill gpg-agent 2>/dev/null || true
  rm -rf "$home"; return $rc
}

backup() {
  local secrets=0 out=""
  while [ $# -gt 0 ]; do
    case $1 in --secrets) secrets=1 ;; -*) die "backup: unknown option $1" ;; *) out=$1 ;; esac; shift
  done
  load_env
  [ -n "${HUB_S3_BUCKET:-}" ] || die "backup: no HUB_S3_BUCKET in $ENV_FILE (is the stack installed?)"
  pg_isready_quiet || die "backup: PostgreSQL is not running (make up)"
  seaweedfs_healthy || die "backup: SeaweedFS is not running (make up)"
  [ $secrets = 1 ] && { apt_ensure gnupg; passphrase encrypt; }
  mkdir -p "$BACKUP_DIR"; chmod 700 "$BACKUP_DIR"
  out=${out:-$BACKUP_DIR/tdh-backup-$(date -u +%Y%m%dT%H%M%SZ).tar}
  local work t0=$SECONDS entry db owner
  WORK=$(mktemp -d "$STACK_DIR/backup.XXXXXX"); work=$WORK
  chmod 711 "$work"; mkdir -p "$work/databases"   # the cluster's user reaches its folder only
  [ "$(id -u)" -eq 0 ] && chown postgres: "$work/databases"   # pg_dump runs as the cluster's user
  as_postgres "$PG_BIN/pg_dumpall" -h "$PG_HOME" -p "$PG_PORT" -U postgres --roles-only --no-role-passwords \
    -f "$work/databases/roles.sql"
  for entry in "${DATABASES[@]}"; do
    db=${entry%%:*}; owner=${entry#*:}
    [ -n "$(pg_psql_value "SELECT 1 FROM pg_database WHERE datname = '$db'")" ] || { log "backup: no database $db, skipped"; continue; }
    log "backup: database $db"
    as_postgres "$PG_BIN/pg_dump" -h "$PG_HOME" -p "$PG_PORT" -U postgres -Fc -Z 6 -f "$work/databases/$db.dump" "$db"
    echo "$db $owner" >>"$work/databases/list"
  done
  log "backup: bucket $HUB_S3_BUCKET"
  "$PYTHON" "$DEPLOY_DIR/tools/bucket_archive.py" dump "$work/bucket" >&2
  local stores=() instance
  for instance in ckan ckan_member; do [ -d "$STACK_DIR/$instance/storage" ] && stores+=("$instance/storage"); done
  [ ${#stores[@]} -eq 0 ] || tar -C "$STACK_DIR" -cf "$work/ckan-storage.tar" "${stores[@]}"
  if [ -f "${HUB_COMMITTEE_FILE:-}" ]; then
    mkdir -p "$work/committee"; cp "$HUB_COMMITTEE_FILE" "$work/committee/committee.yaml"
    printf '%s\n' "$HUB_COMMITTEE_FILE" >"$work/committee/path"
  fi
  if [ $secrets = 1 ]; then
    mkdir -p "$work/secrets"
    gpg_pass --symmetric --cipher-algo AES256 --s2k-mode 3 --s2k-count 65011712 \
      -o "$work/secrets/env.gpg" "$ENV_FILE" || die "backup: cannot encrypt the secrets"
  fi
  printf 'format=%s\ncreated=%s\ncommit=%s\nsecrets=%s\n' "$FORMAT" "$(date -u +%FT%TZ)" \
    "$(git -C "$PROJECT_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)" "$secrets" >"$work/MANIFEST"
  tar -C "$work" -cf "$out.tmp" . && mv -f "$out.tmp" "$out"
  log "backup written to $out ($(du -h "$out" | cut -f1), $((SECONDS - t0)) s; secrets: $([ $secrets = 1 ] && echo encrypted || echo no))"
  echo "$out"
}

restore() {
  local file=${1:-}
  [ -f "$file" ] || die "restore: no archive ${file:-given} (make restore FILE=...)"
  local work t0=$SECONDS db owner
  WORK=$(mktemp -d "$STACK_DIR/restore.XXXXXX"); work=$WORK
  chmod 711 "$work"
  tar -C "$work" -xf "$file" || die "restore: $file is not a readable archive"
  grep -qx "format=$FORMAT" "$work/MANIFEST" 2>/dev/null || die "restore: $file: not a backup of format $FORMAT (MANIFEST)"
  if [ -f "$work/secrets/env.gpg" ]; then
    apt_ensure gnupg; passphrase decrypt
    ( umask 077; gpg_pass --decrypt -o "$work/env" "$work/secrets/env.gpg" ) \
      || die "restore: cannot decrypt the secrets (wrong passphrase, or the archive was altered)"
    if [ -f "$ENV_FILE" ] && ! cmp -s "$work/env" "$ENV_FILE"; then
      cp -p "$ENV_FILE" "$ENV_FILE.before-restore"; log "restore: the former settings are in $ENV_FILE.before-restore"
    fi
    install -m 600 "$work/env" "$ENV_FILE"
  fi
  [ -f "$ENV_FILE" ] || die "restore: $file holds no secrets and $ENV_FILE is missing (back up with --secrets)"
  load_env
  # The services started from here on get the usual mask, as `stack.sh up` gives them; the
  # archive's files keep the modes they were written with (600).
  umask 022

  postgres_install; postgres_start
  # What holds the databases stops first; `stack.sh up` at the end starts it again.
  dagster_stop; superset_stop; ckan_member_stop; ckan_stop
  # Roles first (the dumps name their owners and grantees), statement by statement: those
  # that exist already are refused and stay as they are; `stack.sh up` sets the stack's
  # passwords, and the hub's next run those of the lead roles.
  [ "$(id -u)" -eq 0 ] && chown -R postgres: "$work/databases"
  as_postgres "$PG_BIN/psql" -q -h "$PG_HOME" -p "$PG_PORT" -U postgres -d postgres \
    -f "$work/databases/roles.sql" >>"$LOG_DIR/restore.log" 2>&1 || true
  while read -r db owner; do
    log "restore: database $db"
    echo "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE);" | pg_psql
    # --create: the database as it was, with its owner ($owner), its own grants (CKAN's
    # DataStore reader) and settings, not only its contents.
    as_postgres "$PG_BIN/pg_restore" -h "$PG_HOME" -p "$PG_PORT" -U postgres -d postgres --create --exit-on-error \
      "$work/databases/$db.dump" || die "restore: pg_restore of $db failed"
  done <"$work/databases/list"

  seaweedfs_install; seaweedfs_start
  log "restore: bucket $HUB_S3_BUCKET"
  "$PYTHON" "$DEPLOY_DIR/tools/bucket_archive.py" load "$work/bucket" >&2
  if [ -f "$work/ckan-storage.tar" ]; then   # each CKAN instance's uploaded files
    local folder
    for folder in $(tar -tf "$work/ckan-storage.tar" | grep -E '^(ckan|ckan_member)/storage/$'); do
      rm -rf "${STACK_DIR:?}/$folder"
    done
    tar -C "$STACK_DIR" -xf "$work/ckan-storage.tar"
  fi
  restore_committee "$work/committee"
  "$DEPLOY_DIR/stack.sh" up
  # Solr's index is not in the archive: rebuilt from the restored catalogues.
  local instance
  for instance in ckan ckan_member; do
    ckan_instance "$instance"; log "restore: search index of $instance"
    ckan_cli search-index rebuild >>"$CK_LOG" 2>&1 || fail_with_log "$instance" "$CK_LOG"
  done
  log "restore: done in $((SECONDS - t0)) s from $file"
}

# restore_committee DIR: the committee file back at its path; a different file already
# there is left alone and the archive's written beside it as .restored.
restore_committee() {
  [ -f "$1/committee.yaml" ] || return 0
  local path; path=$(cat "$1/path")
  if [ ! -f "$path" ]; then
    mkdir -p "$(dirname "$path")"; cp "$1/committee.yaml" "$path"; log "restore: committee file $path"
  elif ! cmp -s "$1/committee.yaml" "$path"; then
    cp "$1/committee.yaml" "$path.restored"
    log "restore: $path differs from the archive's; the archive's is in $path.restored"
  fi
}

case "${1:-}" in
  backup) shift; backup "$@" ;;
  restore) shift; restore "$@" ;;
  *) echo "usage: $0 backup [--secrets] [FILE] | restore FILE" >&2; exit 2 ;;
esac
