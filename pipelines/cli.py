"""`tdh`: the hub's command line.

  tdh check FILE               validate a committee configuration
  tdh inspect PATH_OR_URL      read one file as the hub does and report (see --help)
  tdh run                      run the whole graph once, headlessly, and print a summary
  tdh demo                     drop the demo inbox files, run, print where to look
  tdh report MEMBER            what failed for one member, to send to its contact
  tdh lead-login LEAD          the Superset login of a lead collectivity
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
DEMO_COMMITTEE = PROJECT_DIR / "demo" / "committee.yaml"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tdh", description="Territorial Data Hub")
    commands = parser.add_subparsers(dest="command", required=True)

    check = commands.add_parser("check", help="validate a committee configuration file")
    check.add_argument("file")

    inspect = commands.add_parser("inspect", help="read one file as the hub does and report")
    inspect.add_argument("source", help="a local path or an http(s) URL")
    inspect.add_argument("--schema", help="TableSchema (path or URL) to validate against")
    inspect.add_argument("--out", help="write the normalised table to this Parquet file")
    inspect.add_argument("--json", action="store_true", help="print one JSON object")

    run = commands.add_parser("run", help="run what changed since the last complete run and print a summary")
    run.add_argument("--committee", help="committee file (default: $HUB_COMMITTEE_FILE)")
    run.add_argument("--full", action="store_true",
                     help="every member and every step, even if nothing changed (reconciles hand edits)")

    demo = commands.add_parser("demo", help="seed the demo inbox, run everything, print where to look")
    demo.add_argument("--committee", default=str(DEMO_COMMITTEE))

    report = commands.add_parser("report", help="one member's failures, for its contact")
    report.add_argument("member")

    login = commands.add_parser("lead-login", help="the Superset login of a lead collectivity")
    login.add_argument("lead", help="member slug of the lead")

    automation = commands.add_parser(
        "automation", help="turn the daily schedule and the inbox sensor on or off (the daemon fires them)")
    automation.add_argument("state", choices=["on", "off", "status"])

    args = parser.parse_args(argv)
    from connectors.outages import ServiceUnavailable

    try:
        return _command(args)
    except ServiceUnavailable as exc:  # CKAN, S3 or PostgreSQL did not answer: said, not a traceback
        print(f"tdh {args.command}: FAILED: {exc}", file=sys.stderr)
        return 1


def _command(args: argparse.Namespace) -> int:
    if args.command == "automation":
        from pipelines.automation import automation_command

        return automation_command(args.state)
    if args.command == "lead-login":
        from pipelines.dashboards import lead_user_password

        print(f"user lead-{args.lead}  password {lead_user_password(os.environ['HUB_SUPERSET_PASSWORD'], args.lead)}")
        return 0
    if args.command == "check":
        return _check(args.file)
    if args.command == "inspect":
        from pipelines.inspect import inspect_command

        return inspect_command(args.source, schema=args.schema, out=args.out, as_json=args.json)
    if args.command == "report":
        return _report(args.member)
    committee = args.committee or os.environ.get("HUB_COMMITTEE_FILE") or str(DEMO_COMMITTEE)
    os.environ["HUB_COMMITTEE_FILE"] = str(Path(committee).resolve())
    if args.command == "demo":
        from pipelines.demo import seed_inbox

        seed_inbox()
    check = todo = None
    if args.command == "run":
        from pipelines.settled import Check

        check = Check.from_environment(committee)
        todo = check.todo(full=args.full)
        if todo.nothing:
            print(f"Nothing changed since the last complete run ({len(check.committee.members)} members checked): "
                  "no run started. `tdh run --full` runs every step anyway.")
            return 0
        if todo.everything:
            print(f"Every member runs: {todo.reasons['*']}.")
        else:
            print(f"{len(todo.members)} of {len(check.committee.members)} members to run"
                  f"{'' if todo.members else ', then the committee run'}:")
            for member, why in todo.reasons.items():
                print(f"  {'committee' if member == '*' else member}: {why}")
    from pipelines.runner import print_summary, run_hub

    if todo is None or todo.everything:
        outcome = run_hub()
    else:
        outcome = run_hub(todo.members, committee=todo.committee)
    print_summary(outcome, demo=args.command == "demo")
    if check is not None:
        from connectors.outages import ServiceUnavailable

        try:
            check.record(todo, outcome)
        except ServiceUnavailable as exc:  # the run's outcome stands; the next run asks again
            print(f"tdh run: the run's record was not written ({exc}): the next tdh run runs these members again",
                  file=sys.stderr)
    return 0 if outcome.success else 1


def _check(path: str) -> int:
    from catalog.committee import ConfigError, load_committee
    from catalog.packs import PackError
    from catalog.projects.library import load_library
    from pipelines.packs import enabled_packs

    try:
        committee = load_committee(path)
        packs = enabled_packs(committee, path)
        # The AI projects beside it and the charter they answer to (projets-ia/, charte-ethique.yaml).
        library = load_library(path, committee, packs)
    except (ConfigError, PackError) as exc:
        print(f"{path}: invalid committee configuration", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    sources = sum(len(m.sources) for m in committee.members)
    charter = f", charter: {len(library.charter.engagements)} commitments" if library.charter else ""
    print(f"{path}: ok ({len(committee.members)} members, {sources} sources, {len(committee.leads)} leads, "
          f"packs: {', '.join(packs) or 'none'}, AI projects: {len(library.projects)}{charter})")
    return 0


def _report(member: str) -> int:
    from pipelines.runner import member_report

    try:
        report = member_report(member)
    except LookupError as exc:
        print(f"tdh report: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
