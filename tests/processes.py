"""Servers a test starts for itself (a throw-away weed, a Dagster code server): started in
a process group of their own, so that stopping one stops everything it forked."""

from __future__ import annotations

import os
import signal
import subprocess


def stop_group(process: subprocess.Popen, grace_seconds: float) -> None:
    """TERM the process group, KILL it when it has not ended after `grace_seconds`."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace_seconds)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
