#!/usr/bin/env bash
# data.gouv.fr's harvester, for the test that harvests the hub's catalogue with it
# (tests/e2e/test_demo_udata_harvest.py): a tool of the test suite, not a service. udata
# (PyPI) pins its own Flask, mongoengine, rdflib...: it gets a venv of its own, built from
# Debian's Python 3.11 and the exact versions of deploy/local/udata/constraints.txt, again
# only when they change. Prints the venv's python.
#   deploy/local/tools/udata.sh
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/../env.sh"

UDATA_VENV="$STACK_DIR/venvs/udata"
UDATA_PKGS=("udata==17.18.0" "mongomock==4.3.0")
CONSTRAINTS="$DEPLOY_DIR/udata/constraints.txt"
VLOG="$LOG_DIR/udata-venv.log"

mkdir -p "$STACK_DIR/venvs" "$LOG_DIR"
# One build at a time when two test runs start together.
exec 9>"$STACK_DIR/venvs/.udata.lock"
flock 9
want=$( { cat "$CONSTRAINTS"; echo "${UDATA_PKGS[*]}"; } | sha256sum | cut -d' ' -f1)
if [ "$(cat "$UDATA_VENV/.stack-installed" 2>/dev/null)" != "$want" ]; then
  log "building the udata venv in $UDATA_VENV (about two minutes; log: $VLOG)"
  t0=$SECONDS
  [ -x "$UDATA_VENV/bin/python" ] || "$(service_python)" -m venv "$UDATA_VENV" >>"$VLOG" 2>&1 \
    || fail_with_log udata-venv "$VLOG"
  "$UDATA_VENV/bin/pip" install -q --disable-pip-version-check -c "$CONSTRAINTS" "${UDATA_PKGS[@]}" >>"$VLOG" 2>&1 \
    || fail_with_log udata-venv "$VLOG"
  echo "$want" >"$UDATA_VENV/.stack-installed"
  log "udata venv ready in $((SECONDS - t0)) s"
fi
echo "$UDATA_VENV/bin/python"
