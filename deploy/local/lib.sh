# Shared helpers for the local stack. Sourced by stack.sh; never run directly.
# Each service lives in services/<name>.sh and defines <name>_install, <name>_start,
# <name>_stop and <name>_status, using only the helpers below.

: "${STACK_DIR:?}" "${DEPLOY_DIR:?}"

RUN_DIR="$STACK_DIR/run"     # pid files
LOG_DIR="$STACK_DIR/logs"    # one log per service
BIN_DIR="$STACK_DIR/bin"     # built binaries (weed), cached across down/up
ENV_FILE="$STACK_DIR/env"    # generated secrets + HUB_* settings, mode 600
mkdir -p "$RUN_DIR" "$LOG_DIR" "$BIN_DIR"

# Fixed loopback ports, away from the usual defaults so the stack can run beside a
# developer's own PostgreSQL, Redis, Solr or CKAN, and below the kernel's ephemeral range
# (32768-60999): an outgoing connection once held 58088 when Superset tried to bind it.
PG_PORT=25432
REDIS_PORT=26379
SOLR_PORT=28983
CKAN_PORT=25000
MEMBER_CKAN_PORT=25001
S3_PORT=28333
SUPERSET_PORT=28088
PORTALS_PORT=28700
DAGSTER_PORT=23000

log() { printf '[stack %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

die() { log "ERROR: $*"; exit 1; }

# Print the tail of a service log, then fail: every failed health check ends here.
fail_with_log() {
  local name=$1 logfile=$2
  log "$name failed; last lines of $logfile:"
  tail -n 40 "$logfile" >&2 2>/dev/null || true
  exit 1
}

# True when the process recorded in run/<name>.pid is alive.
pid_alive() {
  local pidfile="$RUN_DIR/$1.pid"
  [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

# start_daemon NAME LOGFILE CMD...: run CMD detached in its own session, record its pid.
start_daemon() {
  local name=$1 logfile=$2; shift 2
  log "starting $name (log: $logfile)"
  # The daemon keeps none of the caller's descriptors beyond 0-2: a `flock` held around
  # `stack.sh up`, or a pipe a test reads to its end, would otherwise stay open as long as
  # the service runs.
  (
    for fd in $(ls "/proc/$BASHPID/fd"); do [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done
    exec setsid nohup "$@" >>"$logfile" 2>&1 < /dev/null
  ) &
  echo $! >"$RUN_DIR/$name.pid"
}

# stop_daemon NAME: TERM the process group, then KILL after 20 s.
stop_daemon() {
  local name=$1 pidfile="$RUN_DIR/$1.pid" pid i
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping $name"
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

# wait_for_http NAME URL LOGFILE [TIMEOUT_S]: poll until URL answers 2xx/3xx.
wait_for_http() {
  local name=$1 url=$2 logfile=$3 timeout=${4:-120} i
  for i in $(seq 1 "$timeout"); do
    if curl -fsS -o /dev/null --max-time 5 "$url" 2>/dev/null; then
      log "$name is healthy ($url)"
      return 0
    fi
    if [ -n "${5:-}" ] && ! pid_alive "$5"; then fail_with_log "$name" "$logfile"; fi
    sleep 1
  done
  fail_with_log "$name" "$logfile"
}

# wait_for_port NAME PORT LOGFILE [TIMEOUT_S]
wait_for_port() {
  local name=$1 port=$2 logfile=$3 timeout=${4:-60} i
  for i in $(seq 1 "$timeout"); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      log "$name is listening on $port (${i}s)"
      return 0
    fi
    sleep 1
  done
  fail_with_log "$name" "$logfile"
}

# A random secret from the kernel's CSPRNG, safe in URLs and shell files.
gen_secret() { head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c "${1:-32}"; }

# set_env KEY VALUE: add or replace one line of .stack/env (values never contain spaces).
set_env() {
  local key=$1 value=$2
  touch "$ENV_FILE"; chmod 600 "$ENV_FILE"
  if grep -q "^$key=" "$ENV_FILE"; then
    sed -i "s|^$key=.*|$key=$value|" "$ENV_FILE"
  else
    printf '%s=%s\n' "$key" "$value" >>"$ENV_FILE"
  fi
  export "$key=$value"
}

# ensure_secret KEY [LENGTH]: generate KEY once per installation, keep it afterwards.
ensure_secret() {
  local key=$1
  if ! grep -q "^$key=" "$ENV_FILE" 2>/dev/null; then set_env "$key" "$(gen_secret "${2:-32}")"; fi
}

load_env() {
  if [ -f "$ENV_FILE" ]; then set -a; . "$ENV_FILE"; set +a; fi
}

# apt_ensure PKG...: install Debian packages only when missing (the stack installs its own).
apt_ensure() {
  local missing=() p
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq >&2 || true
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >&2
}

# service_python: the Python 3.11 the CKAN and Superset venvs are built from. Debian's own
# (/usr/bin/python3.11, installed with its venv module when missing) unless HUB_PYTHON
# names another; never a path of one machine's interpreter manager.
service_python() {
  if [ -n "${HUB_PYTHON:-}" ]; then echo "$HUB_PYTHON"; return 0; fi
  apt_ensure python3.11 python3.11-venv python3.11-dev
  echo /usr/bin/python3.11
}

# ensure_go MODULE_DIR: a Go toolchain at least as new as the `go` line of MODULE_DIR/go.mod
# on PATH. The machine's own when new enough; else Go's release from the Go module proxy
# (golang.org/toolchain, what `GOTOOLCHAIN` would fetch), unpacked once into
# $STACK_DIR/tools: Debian 12's golang-go (1.19) is too old and cannot switch toolchains.
ensure_go() {
  local need have arch proxy dir zip
  need=$(awk '$1 == "go" { print $2; exit }' "$1/go.mod")
  if command -v go >/dev/null 2>&1; then
    have=$(go env GOVERSION 2>/dev/null | sed 's/^go//')
    if [ -n "$have" ] && [ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -n1)" = "$need" ]; then return 0; fi
  fi
  case "$(uname -m)" in x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; *) die "no Go release for $(uname -m)" ;; esac
  dir="$STACK_DIR/tools/go$need"
  if [ ! -x "$dir/bin/go" ]; then
    proxy=${GOPROXY:-https://proxy.golang.org}; proxy=${proxy%%,*}
    [ "$proxy" = direct ] || [ "$proxy" = off ] && proxy=https://proxy.golang.org
    zip="$STACK_DIR/tools/go$need.zip"
    mkdir -p "$STACK_DIR/tools"
    log "fetching Go $need from the Go module proxy ($proxy, golang.org/toolchain; about 70 MB, once)"
    curl -fsSL --retry 3 -o "$zip" "$proxy/golang.org/toolchain/@v/v0.0.1-go$need.linux-$arch.zip" \
      || die "cannot fetch Go $need from $proxy"
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
    python3 -m zipfile -e "$zip" "$dir.tmp" && rm -f "$zip"
    mv "$dir.tmp/golang.org/toolchain@v0.0.1-go$need.linux-$arch" "$dir" && rm -rf "$dir.tmp"
    chmod +x "$dir"/bin/* "$dir"/pkg/tool/*/* 2>/dev/null || true
  fi
  export PATH="$dir/bin:$PATH" GOTOOLCHAIN=local
}
