"""`python -m orchestration.cli run`: materialise everything over the landing tree, as `make run`.

Every landed day is registered as a partition, then one run extracts the whole range (a
single-run backfill) and builds and tests the dbt models (orchestration.runner). The run is
recorded in the Dagster instance under $CADENCE_HOME/dagster, so `make dev` shows it.
`backfill --from D --to D` does the same over a range of landed days; `run --full-refresh`
rebuilds every incremental dbt model from raw. Exit code 0 when the run succeeded and published,
1 when a step or a blocking check failed (and nothing was published), 2 when there is nothing to
load or a day asked for has not landed. `rollback` switches readers back to the previously
published version.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import dagster as dg

from orchestration.check_report import check_lines, render_checks, write_report
from orchestration.publishing.versions import RollbackError, rollback
from orchestration.resources import PublishedMarts, cadence_home, landing_dir
from orchestration.runner import NothingLandedError, UnknownDayError, run_everything
from orchestration.summary import render

PUBLISH_STEP = "published__marts"


def dagster_instance(home: Path) -> dg.DagsterInstance:
    dagster_home = home / "dagster"
    dagster_home.mkdir(parents=True, exist_ok=True)
    config = dagster_home / "dagster.yaml"
    if not config.exists():
        # Local SQLite storage in this folder (Dagster's default); no usage statistics sent.
        config.write_text("telemetry:\n  enabled: false\n")
    os.environ["DAGSTER_HOME"] = str(dagster_home)
    return dg.DagsterInstance.get()


def truth_dir(landing: Path) -> Path:
    """The generator writes its truth beside the landing tree; a real landing has none."""
    return landing.parent / "truth"


def run(first: str | None = None, last: str | None = None, full_refresh: bool = False) -> int:
    home = cadence_home()
    landing = landing_dir(home=home)
    os.environ["CADENCE_HOME"] = str(home)
    with dagster_instance(home) as instance:
        try:
            result = run_everything(
                instance, landing, first=first, last=last, full_refresh=full_refresh
            )
        except NothingLandedError as error:
            print(
                f"error: {error}. Run `make generate`, or set CADENCE_LANDING_DIR.", file=sys.stderr
            )
            return 2
        except UnknownDayError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        print(render(home / "warehouse.duckdb", truth_dir(landing)))
        lines = check_lines(result.get_asset_check_evaluations())
        print(render_checks(lines))
        print(render_steps(result))
        report = home / "reports" / "run_summary.md"
        published = PublishedMarts(home=str(home)).path
        write_report(report, lines, [f"Dagster run `{result.run_id}`", f"Landing: `{landing}`"])
        print(f"Landing:     {landing}")
        print(f"Warehouse:   {home / 'warehouse.duckdb'}")
        print(f"Run summary: {report}")
        print(f"Data Docs:   {home / 'reports' / 'data_docs' / 'index.html'}")
        print(f"Dagster run {result.run_id} recorded under {home / 'dagster'} (see `make dev`)")
        return report_outcome(result, lines, published)


def render_steps(result: dg.ExecuteInProcessResult) -> str:
    """Each step of the job, in the order it ran, with its outcome and duration."""
    outcome: dict[str, str] = {}
    for event in result.all_events:
        if event.is_step_success:
            seconds = event.event_specific_data.duration_ms / 1000
            outcome[event.step_key] = f"succeeded in {seconds:,.1f} s"
        elif event.is_step_failure:
            outcome[event.step_key] = "FAILED"
    for step in result.job_def.graph.node_names():
        outcome.setdefault(step, "not run (an upstream step or blocking check failed)")
    return "\n".join(["Steps:", *(f"  {step:<22} {state}" for step, state in outcome.items())])


def report_outcome(result: dg.ExecuteInProcessResult, lines, published: Path) -> int:
    """Errors that stopped publishing, or where the published marts are. Exit code."""
    for line in lines:
        if line.status == "error":
            print(f"error: check {line.name} failed: {line.detail}", file=sys.stderr)
    failures = [e for e in result.all_events if e.is_step_failure]
    for event in failures:
        print(
            f"error: step {event.step_key} failed: {event.step_failure_data.error.message}",
            file=sys.stderr,
        )
    was_published = any(e.is_step_success and e.step_key == PUBLISH_STEP for e in result.all_events)
    if was_published and not failures:
        print(f"Published:   {published / 'cadence.duckdb'} (schema marts, personal data masked)")
        print(f"             {published / 'parquet'}/<mart>.parquet")
        print(
            f"Restricted:  {published / 'cadence_restricted.duckdb'} (unmasked; authorised users)"
        )
        print("Run succeeded.")
        return 0
    print(
        f"Run failed: nothing published; readers still see the previous version in {published}.",
        file=sys.stderr,
    )
    return 1


def roll_back() -> int:
    published = PublishedMarts().path
    try:
        manifest = rollback(published)
    except RollbackError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(
        f"Readers now see version {manifest['version']} (run {manifest['run_id']}, as of "
        f"{manifest['as_of_date']}) in {published}."
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration.cli", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="materialise everything over $CADENCE_LANDING_DIR")
    run_parser.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild every incremental dbt model from raw (splits customers; schedule weekly)",
    )
    backfill = commands.add_parser(
        "backfill", help="re-run the days FROM..TO (landed days) in one run, then publish"
    )
    backfill.add_argument("--from", dest="first", required=True, metavar="YYYY-MM-DD")
    backfill.add_argument("--to", dest="last", required=True, metavar="YYYY-MM-DD")
    commands.add_parser("summary", help="print what the warehouse holds")
    commands.add_parser("rollback", help="publish the previous version again")
    args = parser.parse_args(argv)
    if args.command == "run":
        return run(full_refresh=args.full_refresh)
    if args.command == "rollback":
        return roll_back()
    if args.command == "backfill":
        return run(args.first, args.last)
    home = cadence_home()
    print(render(home / "warehouse.duckdb", truth_dir(landing_dir(home=home))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
