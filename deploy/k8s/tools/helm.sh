#!/usr/bin/env bash
# Helm 4 (Apache-2.0) and the SeaweedFS chart: tools of the test suite, not services.
# tests/integration/test_k8s_deploy.py renders deploy/k8s/seaweedfs/values.yaml with
# `helm template` (no cluster needed).
#   deploy/k8s/tools/helm.sh      # idempotent: builds once, then only checks
# - helm is built from the Go module proxy through the wrapper module deploy/k8s/helm/
#   (pinned tag in go.mod, checksums in go.sum) into $STACK_DIR/bin/helm (3 min once);
# - the SeaweedFS chart is the one inside the SeaweedFS module the local stack already
#   pins (deploy/local/seaweedfs/go.mod: k8s/charts/seaweedfs), copied from the module
#   cache to $STACK_DIR/charts/seaweedfs, so the chart matches the server the stack runs.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/../../local/env.sh"

HELM_MODULE=helm.sh/helm/v4
HELM_MODULE_DIR="$PROJECT_DIR/deploy/k8s/helm"
HELM="$BIN_DIR/helm"
SEAWEEDFS_MODULE_DIR="$DEPLOY_DIR/seaweedfs"
CHARTS_DIR="$STACK_DIR/charts"
BUILD_LOG="$LOG_DIR/helm-build.log"

pinned_version() { grep -Eo "^require $HELM_MODULE v[^ ]+" "$HELM_MODULE_DIR/go.mod" | cut -d' ' -f3; }
# `helm version --short` prints v4.3.2 (its build metadata after a +, none here).
built_version() { "$HELM" version --short 2>/dev/null | cut -d+ -f1 || true; }

want=$(pinned_version)
[ -n "$want" ] || die "helm: no '$HELM_MODULE v...' require line in $HELM_MODULE_DIR/go.mod"
mkdir -p "$CHARTS_DIR"
# One build at a time when make and a test run start together.
exec 9>"$BIN_DIR/.helm.lock"
flock 9

if ! [ -x "$HELM" ] || [ "$(built_version)" != "$want" ]; then
  ensure_go "$HELM_MODULE_DIR"
  log "building helm $want from the Go module proxy (about 3 min once per machine; log: $BUILD_LOG)"
  t0=$SECONDS
  # GOTOOLCHAIN=local: never download another Go; -mod=readonly: go.sum is the pin.
  if ! (cd "$HELM_MODULE_DIR" \
        && GOFLAGS="-modcacherw -buildvcs=false -mod=readonly" GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0 \
           go build -trimpath -ldflags "-s -w -X $HELM_MODULE/internal/version.version=$want" \
             -o "$HELM.tmp" "$HELM_MODULE/cmd/helm") >>"$BUILD_LOG" 2>&1; then
    rm -f "$HELM.tmp"
    fail_with_log helm-build "$BUILD_LOG"
  fi
  mv -f "$HELM.tmp" "$HELM"
  [ "$(built_version)" = "$want" ] || die "helm: $HELM reports '$(built_version)', expected $want"
  log "built $HELM ($want) in $((SECONDS - t0)) s"
fi

# The SeaweedFS chart of the pinned module (downloaded already if the stack built weed).
sw_version=$(grep -Eo 'github\.com/seaweedfs/seaweedfs v[^ ]+' "$SEAWEEDFS_MODULE_DIR/go.mod" | head -n1 | cut -d' ' -f2)
[ -n "$sw_version" ] || die "helm: no SeaweedFS version in $SEAWEEDFS_MODULE_DIR/go.mod"
chart="$CHARTS_DIR/seaweedfs"
if [ "$(cat "$chart/.module-version" 2>/dev/null)" != "$sw_version" ]; then
  ensure_go "$SEAWEEDFS_MODULE_DIR"
  dir=$(cd "$SEAWEEDFS_MODULE_DIR" && GOFLAGS="-modcacherw -mod=readonly" GOTOOLCHAIN=local \
        go mod download -json "github.com/seaweedfs/seaweedfs@$sw_version" \
        | python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')
  [ -f "$dir/k8s/charts/seaweedfs/Chart.yaml" ] || die "helm: no k8s/charts/seaweedfs in $dir"
  rm -rf "$chart.tmp" && cp -R "$dir/k8s/charts/seaweedfs" "$chart.tmp" && chmod -R u+w "$chart.tmp"
  echo "$sw_version" >"$chart.tmp/.module-version"
  rm -rf "$chart" && mv "$chart.tmp" "$chart"
  log "SeaweedFS chart $(awk '$1 == "version:" { print $2 }' "$chart/Chart.yaml") of $sw_version in $chart"
fi
