# SeaweedFS (Apache-2.0): the S3-compatible object store of the local stack.
# Built once per machine from the Go module proxy through the wrapper module in
# deploy/local/seaweedfs/ (pinned pseudo-version in its go.mod + go.sum), cached as
# $BIN_DIR/weed, and run as a single `weed mini` process (master, volume, filer, S3, admin).
# The hub only speaks core S3 to it (see docs: no MinIO admin API).

SEAWEEDFS_MODULE_DIR="$DEPLOY_DIR/seaweedfs"
SEAWEEDFS_DIR="$STACK_DIR/seaweedfs"          # data (volumes, filer metadata, mini.options)
SEAWEEDFS_LOG="$LOG_DIR/seaweedfs.log"
SEAWEEDFS_BUILD_LOG="$LOG_DIR/seaweedfs-build.log"
SEAWEEDFS_BUCKET=territorial-data-hub
# S3 identities (mode 600, generated from .stack/env at every start, never in git): the
# stack's admin (STACK_S3_ADMIN_*, used only here to create the bucket) and the hub
# (HUB_S3_*, limited to Read/Write/List/Tagging on $SEAWEEDFS_BUCKET).
SEAWEEDFS_S3_CONFIG="$SEAWEEDFS_DIR/s3-identities.json"
# JWT keys (security.toml in weed's -config_dir, mode 600, written from .stack/env's
# STACK_SEAWEEDFS_JWT_* at every start, never in git): the volume server refuses a read or
# write without a token the master signed, the filer's HTTP port one the filer keys signed;
# the S3 gateway, inside the same weed, signs its own. Without them anything on the machine
# could write into the bucket's volumes past the S3 keys (as deploy/k8s/secrets.sh does).
SEAWEEDFS_SECURITY="$SEAWEEDFS_DIR/security.toml"
# sha256 of that file + weed's arguments, as the running weed was started with them: a
# change (new identities, new flags, an installation from before the scoped key) restarts it.
SEAWEEDFS_CONFIG_MARKER="$RUN_DIR/seaweedfs.config.sha256"
# Go's module and build caches are the machine's own (`go env GOMODCACHE GOCACHE`), as
# ~/.m2 is for Solr: another checkout on this machine rebuilds weed from cache in seconds.
# Every port explicit (mini silently moves a defaulted port that is busy, and derives gRPC
# ports as http+10000, which overflows here), all beside S3_PORT, away from SeaweedFS's
# defaults (9333, 9340, 8888, 8333, 12535, 23646...). WebDAV, Iceberg, Lance are disabled.
SEAWEEDFS_MASTER_PORT=28334
SEAWEEDFS_VOLUME_PORT=28335
SEAWEEDFS_FILER_PORT=28336
SEAWEEDFS_ADMIN_PORT=28337
SEAWEEDFS_S3_GRPC_PORT=28343
SEAWEEDFS_MASTER_GRPC_PORT=28344
SEAWEEDFS_VOLUME_GRPC_PORT=28345
SEAWEEDFS_FILER_GRPC_PORT=28346
SEAWEEDFS_ADMIN_GRPC_PORT=28347

# The pinned version, read from the committed go.mod.
seaweedfs_pinned_version() {
  grep -Eo 'github\.com/seaweedfs/seaweedfs v[^ ]+' "$SEAWEEDFS_MODULE_DIR/go.mod" | head -n1 | cut -d' ' -f2
}

# The SeaweedFS module version recorded in the built binary's build info (the weed
# package's module is listed as `mod`, as the main package comes from it).
seaweedfs_built_version() {
  go version -m "$BIN_DIR/weed" 2>/dev/null \
    | awk '($1 == "mod" || $1 == "dep") && $2 == "github.com/seaweedfs/seaweedfs" { print $3; exit }'
}

seaweedfs_install() {
  ensure_secret HUB_S3_ACCESS_KEY 20
  ensure_secret HUB_S3_SECRET_KEY 40
  ensure_secret STACK_S3_ADMIN_ACCESS_KEY 20
  ensure_secret STACK_S3_ADMIN_SECRET_KEY 40
  mkdir -p "$SEAWEEDFS_DIR"
  ensure_go "$SEAWEEDFS_MODULE_DIR"
  local want; want=$(seaweedfs_pinned_version)
  [ -n "$want" ] || die "seaweedfs: no github.com/seaweedfs/seaweedfs version in $SEAWEEDFS_MODULE_DIR/go.mod"
  if [ -x "$BIN_DIR/weed" ] && [ "$(seaweedfs_built_version)" = "$want" ]; then return 0; fi
  log "building SeaweedFS $want from the Go module proxy (5-15 min once per machine; log: $SEAWEEDFS_BUILD_LOG)"
  local t0=$SECONDS commit=${want##*-}
  # GOTOOLCHAIN=local: never download another Go; -mod=readonly: go.sum is the pin.
  if ! (cd "$SEAWEEDFS_MODULE_DIR" \
        && GOFLAGS="-modcacherw -buildvcs=false -mod=readonly" GOTOOLCHAIN=local CGO_ENABLED=0 \
           go build -trimpath \
             -ldflags "-s -w -X github.com/seaweedfs/seaweedfs/weed/util/version.COMMIT=${commit:0:8}" \
             -o "$BIN_DIR/weed.tmp" github.com/seaweedfs/seaweedfs/weed) >>"$SEAWEEDFS_BUILD_LOG" 2>&1; then
    rm -f "$BIN_DIR/weed.tmp"
    fail_with_log seaweedfs-build "$SEAWEEDFS_BUILD_LOG"
  fi
  mv -f "$BIN_DIR/weed.tmp" "$BIN_DIR/weed"
  log "built $BIN_DIR/weed ($("$BIN_DIR/weed" version 2>/dev/null | head -n1)) in $((SECONDS - t0)) s"
}

seaweedfs_healthy() {
  curl -fsS -o /dev/null --max-time 3 "http://127.0.0.1:$S3_PORT/healthz" 2>/dev/null
}

# weed's arguments after the binary. Identities come only from -s3.config (no AWS_* in
# weed's environment: SeaweedFS makes those an admin and logs the access key id).
# The embedded IAM API is off: nothing here manages users over S3.
seaweedfs_args() {
  SEAWEEDFS_ARGS=(-logtostderr=true -config_dir="$SEAWEEDFS_DIR" mini
    -dir="$SEAWEEDFS_DIR" -ip=127.0.0.1 -ip.bind=127.0.0.1
    -master.telemetry=false -master.volumeSizeLimitMB=128
    -master.port=$SEAWEEDFS_MASTER_PORT -master.port.grpc=$SEAWEEDFS_MASTER_GRPC_PORT
    -volume.port=$SEAWEEDFS_VOLUME_PORT -volume.port.grpc=$SEAWEEDFS_VOLUME_GRPC_PORT
    -filer.port=$SEAWEEDFS_FILER_PORT -filer.port.grpc=$SEAWEEDFS_FILER_GRPC_PORT
    -filer.localSocket="$SEAWEEDFS_DIR/filer.sock"
    -s3.port=$S3_PORT -s3.port.grpc=$SEAWEEDFS_S3_GRPC_PORT
    -s3.localSocket="$SEAWEEDFS_DIR/s3.sock"
    -s3.config="$SEAWEEDFS_S3_CONFIG" -s3.iam=false
    -s3.port.iceberg=0 -s3.port.lance=0 -webdav=false
    -s3.autoCreateBucket=false -s3.allowDeleteBucketNotEmpty=false
    -admin.ui=false -admin.port=$SEAWEEDFS_ADMIN_PORT
    -admin.port.grpc=$SEAWEEDFS_ADMIN_GRPC_PORT -admin.port.legacy=0
    -admin.dataDir="$SEAWEEDFS_DIR/admin")
}

# Write the identities file from the secrets (printf is a builtin: no secret in any argv).
# The file is replaced only when its content changes.
seaweedfs_write_s3_config() {
  local k b=$SEAWEEDFS_BUCKET tmp="$SEAWEEDFS_S3_CONFIG.tmp"
  for k in HUB_S3_ACCESS_KEY HUB_S3_SECRET_KEY STACK_S3_ADMIN_ACCESS_KEY STACK_S3_ADMIN_SECRET_KEY; do
    [[ ${!k:-} =~ ^[A-Za-z0-9]+$ ]] || die "seaweedfs: $k missing or not alphanumeric in $ENV_FILE (run seaweedfs_install)"
  done
  [ "$HUB_S3_ACCESS_KEY" != "$STACK_S3_ADMIN_ACCESS_KEY" ] \
    || die "seaweedfs: HUB_S3_ACCESS_KEY and STACK_S3_ADMIN_ACCESS_KEY must differ"
  mkdir -p "$SEAWEEDFS_DIR"
  rm -f "$tmp"
  ( umask 077; {
    printf '{\n  "identities": [\n'
    printf '    {\n      "name": "stack-admin",\n'
    printf '      "credentials": [{"accessKey": "%s", "secretKey": "%s"}],\n' \
      "$STACK_S3_ADMIN_ACCESS_KEY" "$STACK_S3_ADMIN_SECRET_KEY"
    printf '      "actions": ["Admin", "Read", "List", "Tagging", "Write"]\n    },\n'
    printf '    {\n      "name": "hub",\n'
    printf '      "credentials": [{"accessKey": "%s", "secretKey": "%s"}],\n' \
      "$HUB_S3_ACCESS_KEY" "$HUB_S3_SECRET_KEY"
    printf '      "actions": ["Read:%s", "Write:%s", "List:%s", "Tagging:%s"]\n    }\n' "$b" "$b" "$b" "$b"
    printf '  ]\n}\n'; } >"$tmp" )
  chmod 600 "$tmp"
  if cmp -s "$tmp" "$SEAWEEDFS_S3_CONFIG"; then rm -f "$tmp"; else mv -f "$tmp" "$SEAWEEDFS_S3_CONFIG"; fi
}

# security.toml from the JWT keys, generated once per installation (an installation from
# before them gets them at its next start); printf is a builtin: no key in any argv. The
# file is replaced only when its content changes. Writes expire after 10 s, reads after
# 60 s, as in deploy/k8s.
seaweedfs_write_security() {
  local k tmp="$SEAWEEDFS_SECURITY.tmp"
  for k in WRITE READ FILER_WRITE FILER_READ; do
    k="STACK_SEAWEEDFS_JWT_$k"
    ensure_secret "$k" 48
    [[ ${!k:-} =~ ^[A-Za-z0-9]+$ ]] || die "seaweedfs: $k not alphanumeric in $ENV_FILE"
  done
  mkdir -p "$SEAWEEDFS_DIR"
  rm -f "$tmp"
  ( umask 077; {
    printf '# made by deploy/local/services/seaweedfs.sh from .stack/env; do not edit\n'
    printf '[jwt.signing]\nkey = "%s"\nexpires_after_seconds = 10\n\n' "$STACK_SEAWEEDFS_JWT_WRITE"
    printf '[jwt.signing.read]\nkey = "%s"\nexpires_after_seconds = 60\n\n' "$STACK_SEAWEEDFS_JWT_READ"
    printf '[jwt.filer_signing]\nkey = "%s"\nexpires_after_seconds = 10\n\n' "$STACK_SEAWEEDFS_JWT_FILER_WRITE"
    printf '[jwt.filer_signing.read]\nkey = "%s"\nexpires_after_seconds = 60\n' "$STACK_SEAWEEDFS_JWT_FILER_READ"
    } >"$tmp" )
  chmod 600 "$tmp"
  if cmp -s "$tmp" "$SEAWEEDFS_SECURITY"; then rm -f "$tmp"; else mv -f "$tmp" "$SEAWEEDFS_SECURITY"; fi
}

seaweedfs_config_hash() {
  seaweedfs_args
  { cat "$SEAWEEDFS_S3_CONFIG" "$SEAWEEDFS_SECURITY"; printf '%s\n' "${SEAWEEDFS_ARGS[@]}"; } | sha256sum | cut -d' ' -f1
}

# Redact the stack's S3 and JWT keys from the service log (an older start logged the access key
# id of its admin identity). Run only while weed is stopped: it replaces the file.
seaweedfs_scrub_log() {
  [ -s "$SEAWEEDFS_LOG" ] || return 0
  local tmp="$SEAWEEDFS_LOG.scrub" rc=0
  KEYS="$HUB_S3_ACCESS_KEY $HUB_S3_SECRET_KEY $STACK_S3_ADMIN_ACCESS_KEY $STACK_S3_ADMIN_SECRET_KEY ${STACK_SEAWEEDFS_JWT_WRITE:-} ${STACK_SEAWEEDFS_JWT_READ:-} ${STACK_SEAWEEDFS_JWT_FILER_WRITE:-} ${STACK_SEAWEEDFS_JWT_FILER_READ:-}" \
  awk 'BEGIN { n = split(ENVIRON["KEYS"], k, " ") }
       { for (i = 1; i <= n; i++) while ((p = index($0, k[i])) > 0)
           { $0 = substr($0, 1, p - 1) "<redacted>" substr($0, p + length(k[i])); found = 1 }
         print }
       END { exit found ? 0 : 3 }' "$SEAWEEDFS_LOG" >"$tmp" || rc=$?
  case $rc in
    0) cat "$tmp" >"$SEAWEEDFS_LOG"; log "seaweedfs: redacted S3 keys from $SEAWEEDFS_LOG" ;;
    3) ;;
    *) rm -f "$tmp"; die "seaweedfs: cannot scrub $SEAWEEDFS_LOG" ;;
  esac
  rm -f "$tmp"
}

seaweedfs_start() {
  [ -x "$BIN_DIR/weed" ] || die "seaweedfs: $BIN_DIR/weed missing; run seaweedfs_install"
  seaweedfs_write_s3_config
  seaweedfs_write_security
  local want; want=$(seaweedfs_config_hash)
  if [ "$(cat "$SEAWEEDFS_CONFIG_MARKER" 2>/dev/null)" != "$want" ]; then
    if pid_alive seaweedfs; then
      log "seaweedfs: S3 identities, JWT keys or flags changed, restarting"
      stop_daemon seaweedfs
    elif seaweedfs_healthy; then
      die "seaweedfs: port $S3_PORT answers but not from a weed this stack started ($RUN_DIR/seaweedfs.pid); stop it to apply the S3 identities"
    fi
  fi
  if seaweedfs_healthy; then seaweedfs_ensure_bucket; return 0; fi
  if ! pid_alive seaweedfs; then
    mkdir -p "$SEAWEEDFS_DIR/admin"
    seaweedfs_scrub_log
    seaweedfs_args
    # A clean environment: no AWS_* (an admin identity), none of .stack/env's secrets.
    # HOME and the working directory point into the data dir so no ~/.seaweedfs/*.toml
    # or ./*.toml of the developer is picked up.
    ( cd "$SEAWEEDFS_DIR" || exit 1
      start_daemon seaweedfs "$SEAWEEDFS_LOG" env -i HOME="$SEAWEEDFS_DIR" PATH="$PATH" \
        "$BIN_DIR/weed" "${SEAWEEDFS_ARGS[@]}" ) || fail_with_log seaweedfs "$SEAWEEDFS_LOG"
    ( umask 077; echo "$want" >"$SEAWEEDFS_CONFIG_MARKER" )
  fi
  wait_for_http seaweedfs "http://127.0.0.1:$S3_PORT/healthz" "$SEAWEEDFS_LOG" 90 seaweedfs
  seaweedfs_ensure_bucket
}

# seaweedfs_s3 METHOD PATH: one SigV4-signed S3 request with the stack's admin key; prints
# the HTTP status. The key goes to curl on stdin (-K -), never on its command line.
seaweedfs_s3() {
  printf 'user = "%s:%s"\n' "$STACK_S3_ADMIN_ACCESS_KEY" "$STACK_S3_ADMIN_SECRET_KEY" \
    | curl -sS -K - -o /dev/null -w '%{http_code}' --max-time 15 \
        $([ "$1" = HEAD ] && echo --head || echo "-X $1") \
        --aws-sigv4 "aws:amz:us-east-1:s3" \
        -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
        "http://127.0.0.1:$S3_PORT$2"
}

seaweedfs_ensure_bucket() {
  local code i
  for i in $(seq 1 15); do       # the filer may still be settling right after start
    code=$(seaweedfs_s3 HEAD "/$SEAWEEDFS_BUCKET") || code=000
    case $code in
      200) return 0 ;;
      404)
        code=$(seaweedfs_s3 PUT "/$SEAWEEDFS_BUCKET") || code=000
        case $code in 200|409) log "S3 bucket $SEAWEEDFS_BUCKET created"; return 0 ;; esac ;;
      403) log "seaweedfs: S3 admin key refused (HTTP 403) while checking bucket $SEAWEEDFS_BUCKET"
           fail_with_log seaweedfs "$SEAWEEDFS_LOG" ;;
    esac
    sleep 1
  done
  log "seaweedfs: cannot create bucket $SEAWEEDFS_BUCKET (last HTTP status $code)"
  fail_with_log seaweedfs "$SEAWEEDFS_LOG"
}

seaweedfs_stop() { stop_daemon seaweedfs; }

seaweedfs_status() {
  if seaweedfs_healthy; then
    echo "seaweedfs up    http://127.0.0.1:$S3_PORT (S3, bucket $SEAWEEDFS_BUCKET)"
  else
    echo "seaweedfs DOWN"; return 1
  fi
}
