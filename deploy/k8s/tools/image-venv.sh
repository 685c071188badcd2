#!/usr/bin/env bash
# The Python environment of the hub's image (deploy/image/Dockerfile), built the way the
# Dockerfile builds it: `uv sync --frozen --no-dev` of the lock, then the Kubernetes extras
# of deploy/image/k8s-requirements.txt with their hashes. No Docker engine is needed: it lands
# in $STACK_DIR/venvs/hub-image, where tests/integration/test_k8s_image.py serves the code location
# from it and validates the K8sRunLauncher settings with dagster-k8s itself.
#   deploy/k8s/tools/image-venv.sh      # idempotent: rebuilt when the lock or the extras change
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/../../local/env.sh"

VENV="$STACK_DIR/venvs/hub-image"
LOG="$LOG_DIR/hub-image-venv.log"
UV_VERSION=$(awk -F' := ' '$1 == "UV_VERSION" { print $2 }' "$PROJECT_DIR/Makefile")
[ -n "$UV_VERSION" ] || die "image-venv: no UV_VERSION in $PROJECT_DIR/Makefile"

want=$(cd "$PROJECT_DIR" && cat pyproject.toml uv.lock deploy/image/k8s-requirements.txt | sha256sum | cut -c1-64)
[ "$(cat "$VENV/.inputs-hash" 2>/dev/null)" = "$want" ] && exit 0

mkdir -p "$(dirname "$VENV")"
exec 9>"$(dirname "$VENV")/.hub-image.lock"
flock 9
UV=$(bash "$DEPLOY_DIR/tools/uv.sh" "$UV_VERSION")
log "building the hub image's environment in $VENV (log: $LOG)"
t0=$SECONDS
rm -rf "$VENV"
# As the Dockerfile: the lock without the dev group, bytecode compiled, then the extras.
if ! (cd "$PROJECT_DIR" \
      && UV_PROJECT_ENVIRONMENT="$VENV" UV_PYTHON_DOWNLOADS=never \
         "$UV" sync --frozen --no-dev --compile-bytecode --python python3.11 \
      && "$UV" pip install --python "$VENV/bin/python" --require-hashes \
           -r deploy/image/k8s-requirements.txt) >>"$LOG" 2>&1; then
  fail_with_log hub-image-venv "$LOG"
fi
echo "$want" >"$VENV/.inputs-hash"
log "hub image environment ready in $((SECONDS - t0)) s"
