"""`python -m orchestration.cli run`: materialise everything over the landing tree, as `make run`.

Every landed day is registered (orchestration.partitions), then one run extracts the whole
range and builds and tests the dbt models (orchestration.cli.runner). The run is
recorded in the Dagster instance of $CADENCE_HOME/dagster (SQLite files there, or PostgreSQL:
orchestration/dagster_instance.py), so `make dev` shows it.
`backfill --from D --to D` does the same over a range of landed days; `run --full-refresh`
rebuilds every incremental dbt model from raw. `rollback` switches readers back to the previously
published version.

The terminal shows each step as it starts and ends, then a short summary; the full dbt log, every
message of the run and every check go to $CADENCE_HOME/reports/ (`--verbose` prints them too).
One run at a time per $CADENCE_HOME: a run that finds another in progress waits for it
(orchestration/run_lock.py).

Exit code 0 when the run succeeded and published, 1 when a step or a blocking check failed (and
nothing was published) or another run was still in progress when it stopped waiting, 2 when
there is nothing to load, a day asked for has not landed, or Dagster's storage cannot be opened
(CADENCE_DAGSTER_POSTGRES_URL, orchestration/dagster_instance.py).
"""

from __future__ import annotations

import argparse
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import dagster as dg
from dagster._utils.error import SerializableErrorInfo

from orchestration.cli.check_report import CheckLine, check_lines, render_checks, write_check_list
from orchestration.cli.runner import NothingLandedError, UnknownDayError, run_everything
from orchestration.cli.summary import render, render_both
from orchestration.cli.terminal import STEPS, RunWatcher, first_line
from orchestration.dagster_instance import DagsterStorageError, dagster_instance
from orchestration.publishing.versions import RollbackError, rollback
from orchestration.resources import resources_for
from orchestration.run_lock import RunInProgressError, run_lock
from orchestration.settings import Settings, SettingsError
from sources.generator.identity_quality import truth_beside

PUBLISH_STEP = "published__marts"


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def locked(settings: Settings, command: str, action: Callable[[], int]) -> int:
    """Run `action` holding the home's run lock; 1 when another run outlasted the wait."""
    try:
        with run_lock(
            settings.home,
            f"python -m orchestration.cli {command}",
            settings.run_wait_seconds,
            say=_stderr,
        ):
            return action()
    except RunInProgressError as error:
        _stderr(f"error: {error}; nothing was done.")
        return 1


def run(
    settings: Settings,
    first: str | None = None,
    last: str | None = None,
    verbose: bool = False,
    full_refresh: bool = False,
) -> int:
    home, landing = settings.home, settings.landing_dir
    reports = home / "reports"
    # Loaded when a run needs it, as the job is (orchestration.cli.runner): `--help` stays quick.
    from orchestration.assets.dbt import dbt_models

    try:
        instance = dagster_instance(settings)
    except DagsterStorageError as error:
        _stderr(f"error: {error}; nothing was done.")
        return 2
    with instance:
        run_id = str(uuid.uuid4())
        watcher = RunWatcher(sys.stdout, len(dbt_models.keys) + len(dbt_models.check_keys))
        print(f"Run {run_id} on {home}, landing {landing}", flush=True)
        try:
            with watcher.watching(instance, run_id, reports, verbose):
                result = run_everything(
                    instance,
                    landing,
                    resources_for(settings),
                    first=first,
                    last=last,
                    full_refresh=full_refresh,
                    run_id=run_id,
                    console_log_level="CRITICAL",
                )
        except NothingLandedError as error:
            _stderr(f"error: {error}. Run `make generate`, or set CADENCE_LANDING_DIR.")
            return 2
        except UnknownDayError as error:
            _stderr(f"error: {error}")
            return 2
        lines = check_lines(result.get_asset_check_evaluations())
        full, short = render_both(
            settings.warehouse, truth_beside(landing), settings.spark_warehouse
        )
        header = [f"Dagster run `{result.run_id}`", f"Landing: `{landing}`", "", "```", full, "```"]
        write_check_list(reports / "run_summary.md", lines, header)
        if verbose:  # dbt's output was shown as it ran
            print(full)
        print(short)
        print(render_checks(lines, every=verbose))
        print(f"Landing:     {landing}")
        print(f"Warehouse:   {home / 'warehouse.duckdb'}")
        print(f"Run summary: {reports / 'run_summary.md'} (every check; rows of every table)")
        print(f"Logs:        {reports / 'dbt.log'} (dbt), {reports / 'run.log'} (every step)")
        print(f"Data Docs:   {reports / 'data_docs' / 'index.html'}")
        print(f"Dagster run {result.run_id} recorded under {home / 'dagster'} (see `make dev`)")
        return report_outcome(result, lines, settings.published_dir)


def raised_by_step(error: SerializableErrorInfo) -> SerializableErrorInfo:
    """The error a step's own code raised: Dagster reports it as the cause of its
    DagsterExecutionStepExecutionError, whose message names only the step."""
    while error.cls_name == "DagsterExecutionStepExecutionError" and error.cause is not None:
        error = error.cause
    return error


def report_outcome(
    result: dg.ExecuteInProcessResult, lines: list[CheckLine], published: Path
) -> int:
    """Errors that stopped publishing, or where the published marts are. Exit code."""
    for line in lines:
        if line.status == "error":
            _stderr(f"error: check {line.name} failed: {line.detail}")
    failures = [e for e in result.all_events if e.is_step_failure]
    for event in failures:
        # one line even where the message starts on the next (dagster-dbt's does)
        message = first_line(
            " ".join(raised_by_step(event.step_failure_data.error).message.split())
        )
        _stderr(f"error: step {event.step_key} failed: {message}")
    ran = {e.step_key for e in result.all_events if e.is_step_start}
    for step in result.job_def.graph.node_names():
        if step not in ran:
            print(
                f"  {step:<18} not run ({STEPS.get(step, step)}): an upstream step or a "
                "blocking check failed"
            )
    was_published = any(e.is_step_success and e.step_key == PUBLISH_STEP for e in result.all_events)
    if was_published and not failures:
        print(f"Published:   {published / 'cadence.duckdb'} (schema marts, personal data masked)")
        parquet = published / "parquet"
        print(f"             {parquet}/<mart>.parquet; facts: {parquet}/<fact>/<day column>=<day>/")
        print(
            f"Restricted:  {published / 'cadence_restricted.duckdb'} (unmasked; authorised users)"
        )
        print(f"Report:      {published / 'report.html'}")
        print("Run succeeded.")
        return 0
    _stderr(
        f"Run failed: nothing published; readers still see the previous version in {published}."
    )
    return 1


def roll_back(settings: Settings) -> int:
    published = settings.published_dir
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
    verbose = argparse.ArgumentParser(add_help=False)
    verbose.add_argument(
        "--verbose", action="store_true", help="also print dbt's output, every check and table"
    )
    run_command = commands.add_parser(
        "run", parents=[verbose], help="materialise everything over $CADENCE_LANDING_DIR"
    )
    run_command.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild every model from raw and run every test over everything (schedule weekly)",
    )
    backfill = commands.add_parser(
        "backfill",
        parents=[verbose],
        help="re-run the days FROM..TO (landed days) in one run, then publish",
    )
    backfill.add_argument("--from", dest="first", required=True, metavar="YYYY-MM-DD")
    backfill.add_argument("--to", dest="last", required=True, metavar="YYYY-MM-DD")
    commands.add_parser("summary", help="print what the warehouse holds")
    commands.add_parser("rollback", help="publish the previous version again")
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        _stderr(f"error: {error}")
        return 2
    if args.command == "run":
        return locked(
            settings,
            "run",
            lambda: run(settings, verbose=args.verbose, full_refresh=args.full_refresh),
        )
    if args.command == "backfill":
        return locked(
            settings, "backfill", lambda: run(settings, args.first, args.last, args.verbose)
        )
    if args.command == "rollback":
        return locked(settings, "rollback", lambda: roll_back(settings))
    print(render(settings.warehouse, truth_beside(settings.landing_dir), settings.spark_warehouse))
    return 0
