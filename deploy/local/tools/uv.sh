#!/usr/bin/env bash
# Prints the path of a uv of the pinned version (argument), installing it when missing:
# the machine's own when it is that version, else one in its own venv under
# $STACK_DIR/tools/uv, built from Debian's python3.11 (with its venv module installed from
# Debian when missing). A bare Debian 12 has no pip and refuses system-wide installs
# (PEP 668), so `python3.11 -m pip install uv` is not an option there.
#   deploy/local/tools/uv.sh 0.13.9
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/../env.sh"

want=$1
if command -v uv >/dev/null 2>&1 && [ "$(uv --version | cut -d' ' -f2)" = "$want" ]; then
  command -v uv
  exit 0
fi
venv="$STACK_DIR/tools/uv"
if [ ! -x "$venv/bin/uv" ] || [ "$("$venv/bin/uv" --version | cut -d' ' -f2)" != "$want" ]; then
  log "installing uv $want into $venv"
  "$(service_python)" -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check "uv==$want" >&2
fi
echo "$venv/bin/uv"
