#!/usr/bin/env bash
# Docker Compose v2 CLI plugin (Apache-2.0): a tool of the test suite, not a service. The
# docker client of a dev/CI machine may lack the compose plugin, and tests/test_project.py
# checks deploy/compose/compose.yaml with `docker compose config` (no engine needed).
#   deploy/local/tools/docker-compose.sh      # idempotent: builds once, then only checks
# Built from the Go module proxy through the wrapper module in deploy/local/compose-plugin/
# (pinned tag in its go.mod + go.sum; compose's own go.mod has exclude lines, so
# `go install ...@tag` is refused) into $STACK_DIR/bin/cli-plugins/docker-compose.
# The docker client finds it through a DOCKER_CONFIG whose config.json lists that folder in
# cliPluginsExtraDirs; this script writes one in $STACK_DIR/docker-config (~/.docker is
# never read nor touched):
#   DOCKER_CONFIG=$PWD/.stack/docker-config docker compose version
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/../env.sh"

COMPOSE_MODULE=github.com/docker/compose/v2
COMPOSE_MODULE_DIR="$DEPLOY_DIR/compose-plugin"
PLUGIN_DIR="$BIN_DIR/cli-plugins"
PLUGIN="$PLUGIN_DIR/docker-compose"
DOCKER_CONFIG_DIR="$STACK_DIR/docker-config"
BUILD_LOG="$LOG_DIR/docker-compose-build.log"
# The machine's own Go module and build caches, shared with the SeaweedFS build.

# The pinned tag, read from the committed go.mod (v2.40.3 -> 2.40.3, as `version --short`).
pinned_version() {
  grep -Eo "^require $COMPOSE_MODULE v[^ ]+" "$COMPOSE_MODULE_DIR/go.mod" | cut -d' ' -f3
}
built_version() { "$PLUGIN" version --short 2>/dev/null || true; }

write_docker_config() {
  mkdir -p "$DOCKER_CONFIG_DIR"
  printf '{"cliPluginsExtraDirs": ["%s"]}\n' "$PLUGIN_DIR" >"$DOCKER_CONFIG_DIR/config.json.tmp"
  mv -f "$DOCKER_CONFIG_DIR/config.json.tmp" "$DOCKER_CONFIG_DIR/config.json"
}

want=$(pinned_version)
[ -n "$want" ] || die "docker-compose: no '$COMPOSE_MODULE v...' require line in $COMPOSE_MODULE_DIR/go.mod"
mkdir -p "$PLUGIN_DIR"
# One build at a time when make and a test run start together.
exec 9>"$PLUGIN_DIR/.docker-compose.lock"
flock 9

if [ -x "$PLUGIN" ] && [ "$(built_version)" = "${want#v}" ]; then
  write_docker_config
  exit 0
fi

ensure_go "$COMPOSE_MODULE_DIR"
log "building the docker compose plugin $want from the Go module proxy (5-10 min once per machine; log: $BUILD_LOG)"
t0=$SECONDS
# GOTOOLCHAIN=local: never download another Go; -mod=readonly: go.sum is the pin.
# CGO off and internal.Version set, like compose's own release builds.
if ! (cd "$COMPOSE_MODULE_DIR" \
      && GOFLAGS="-modcacherw -buildvcs=false -mod=readonly" GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0 \
         go build -trimpath -ldflags "-s -w -X $COMPOSE_MODULE/internal.Version=$want" \
           -o "$PLUGIN.tmp" "$COMPOSE_MODULE/cmd") >>"$BUILD_LOG" 2>&1; then
  rm -f "$PLUGIN.tmp"
  fail_with_log docker-compose-build "$BUILD_LOG"
fi
mv -f "$PLUGIN.tmp" "$PLUGIN"
[ "$(built_version)" = "${want#v}" ] || die "docker-compose: $PLUGIN reports '$(built_version)', expected ${want#v}"
write_docker_config
log "built $PLUGIN (compose $(built_version)) in $((SECONDS - t0)) s"
