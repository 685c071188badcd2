#!/usr/bin/env bash
# Docker Compose v2 CLI plugin (Apache-2.0), a tool of the test suite, not a service: the
# docker client on a dev/CI machine may lack the compose plugin, and tests/test_project.py
# checks deploy/compose/compose.yaml with `docker compose config` (no engine needed).
#   deploy/local/tools/docker-compose.sh      # idempotent: builds once, then only checks
# Built from the Go module proxy at the pinned tag below (compose's own go.mod has no
# replace lines, so `go install module/cmd@tag` works; its go.sum, checksummed by
# sum.golang.org, pins every dependency) into $STACK_DIR/bin/cli-plugins/docker-compose.
# The docker client finds it through a DOCKER_CONFIG whose config.json lists that folder in
# cliPluginsExtraDirs; this script writes one in $STACK_DIR/docker-config (~/.docker is
# never touched):
#   DOCKER_CONFIG=$PWD/.stack/docker-config docker compose version
set -euo pipefail

COMPOSE_MODULE=github.com/docker/compose/v2
COMPOSE_VERSION=v2.40.3   # the newest v2 tag; needs Go >= 1.24.9

DEPLOY_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PROJECT_DIR=$(cd "$DEPLOY_DIR/../.." && pwd)
STACK_DIR=${STACK_DIR:-$PROJECT_DIR/.stack}
export DEPLOY_DIR PROJECT_DIR STACK_DIR
mkdir -p "$STACK_DIR"
. "$DEPLOY_DIR/lib.sh"

PLUGIN_DIR="$BIN_DIR/cli-plugins"
PLUGIN="$PLUGIN_DIR/docker-compose"
DOCKER_CONFIG_DIR="$STACK_DIR/docker-config"
BUILD_LOG="$LOG_DIR/docker-compose-build.log"
# Same Go module and build caches as the SeaweedFS build (rm -rf .stack/go frees them).
GOPATH_DIR="$STACK_DIR/go"

built_version() { "$PLUGIN" version --short 2>/dev/null || true; }

write_docker_config() {
  mkdir -p "$DOCKER_CONFIG_DIR"
  printf '{"cliPluginsExtraDirs": ["%s"]}\n' "$PLUGIN_DIR" >"$DOCKER_CONFIG_DIR/config.json.tmp"
  mv -f "$DOCKER_CONFIG_DIR/config.json.tmp" "$DOCKER_CONFIG_DIR/config.json"
}

mkdir -p "$PLUGIN_DIR"
# One build at a time when make and a test run start together.
exec 9>"$PLUGIN_DIR/.docker-compose.lock"
flock 9

if [ -x "$PLUGIN" ] && [ "$(built_version)" = "${COMPOSE_VERSION#v}" ]; then
  write_docker_config
  exit 0
fi

command -v go >/dev/null 2>&1 || die "docker-compose: the Go toolchain (>= 1.24.9) is required to build the compose plugin"
log "building the docker compose plugin $COMPOSE_VERSION from the Go module proxy (about 5-10 min once per machine; log: $BUILD_LOG)"
t0=$SECONDS
tmp_bin=$(mktemp -d "$PLUGIN_DIR/.build.XXXXXX")
# GOTOOLCHAIN=local: never download another Go. CGO off, like compose's release builds.
if ! GOBIN="$tmp_bin" GOMODCACHE="$GOPATH_DIR/mod" GOCACHE="$GOPATH_DIR/cache" \
     GOFLAGS="-modcacherw -buildvcs=false" GOTOOLCHAIN=local CGO_ENABLED=0 GOWORK=off \
     go install -trimpath -ldflags "-s -w -X $COMPOSE_MODULE/internal.Version=$COMPOSE_VERSION" \
       "$COMPOSE_MODULE/cmd@$COMPOSE_VERSION" >>"$BUILD_LOG" 2>&1; then
  rm -rf "$tmp_bin"
  fail_with_log docker-compose-build "$BUILD_LOG"
fi
mv -f "$tmp_bin/cmd" "$PLUGIN"   # the main package is .../cmd, hence the binary's name
rm -rf "$tmp_bin"
[ "$(built_version)" = "${COMPOSE_VERSION#v}" ] || die "docker-compose: $PLUGIN reports '$(built_version)', expected ${COMPOSE_VERSION#v}"
write_docker_config
log "built $PLUGIN (compose $(built_version)) in $((SECONDS - t0)) s"
