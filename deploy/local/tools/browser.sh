#!/usr/bin/env bash
# The headless browser of the test suite, a tool, not a service: Debian's `chromium`,
# driven by Playwright (a dev dependency in uv.lock) through its executable path, so
# Playwright never downloads a browser build of its own (tests/browser.py).
#   deploy/local/tools/browser.sh      # idempotent: installs once, then only checks
# Fonts: Liberation and DejaVu cover Latin-1 and the no-break spaces of French numbers;
# without any font, a headless page renders boxes.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/../env.sh"

apt_ensure chromium fonts-liberation fonts-dejavu-core
command -v chromium >/dev/null 2>&1 || die "browser: chromium is not on PATH after installing the Debian package"
# A browser that cannot start fails here, not in the middle of a test.
version=$(chromium --headless --no-sandbox --version 2>/dev/null) || die "browser: chromium does not start"
log "browser: $version"
