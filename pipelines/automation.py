"""`tdh automation on|off|status`: the daily schedule and the sensors, in the instance.

They ship stopped (Dagster's default): a fresh installation, a CI machine or a test run
never starts gathering on its own. Turned on, their state lives in the instance's
PostgreSQL storage and the stack's daemon fires them: the schedule at 06:00 Europe/Paris,
the inbox sensor within a minute of a file dropped in a member's inbox, the committee
sensor once member runs are over (pipelines/defs/automation.py). Runs they launch wait in
the run queue and share the pools of in-process runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

WORKSPACE = Path(__file__).resolve().parents[1] / "workspace.yaml"
AUTOMATIONS = (("schedule", "daily_gathering"), ("sensor", "members_sensor"), ("sensor", "inbox_sensor"),
               ("sensor", "committee_sensor"))


def automation_command(state: str) -> int:
    if not os.environ.get("DAGSTER_HOME"):
        print("tdh automation: DAGSTER_HOME is not set (make up writes the instance to .stack/dagster)",
              file=sys.stderr)
        return 2
    for kind, name in AUTOMATIONS:
        verb = {"on": "start", "off": "stop", "status": "list"}[state]
        command = [str(Path(sys.executable).with_name("dagster")), kind, verb,
                   *([name] if state != "status" else []), "-w", str(WORKSPACE)]
        result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        if result.returncode != 0:
            print(f"tdh automation: {kind} {name}: {result.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
            return 1
        if state == "status":
            line = next((ln for ln in result.stdout.splitlines() if ln.startswith(f"{kind.title()}: {name}")), "")
            print(line or f"{kind.title()}: {name} [unknown]")
        else:
            print(f"{kind} {name}: {'running' if state == 'on' else 'stopped'}")
    return 0
