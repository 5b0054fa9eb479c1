"""`python -m orchestration.cli run`: materialise everything over the landing tree, as `make run`.

Every landed day is registered as a partition, then one run extracts the whole range (a
single-run backfill) and builds and tests the dbt models (orchestration.runner). The run is
recorded in the Dagster instance under $CADENCE_HOME/dagster, so `make dev` shows it.
Exit code 0 when the run succeeded, 1 when a step or a blocking check failed, 2 when there is
nothing to load.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import dagster as dg

from orchestration.resources import cadence_home, landing_dir
from orchestration.runner import NothingLandedError, run_everything
from orchestration.summary import render


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


def run() -> int:
    home = cadence_home()
    landing = landing_dir(home=home)
    os.environ["CADENCE_HOME"] = str(home)
    with dagster_instance(home) as instance:
        try:
            result = run_everything(instance, landing)
        except NothingLandedError as error:
            print(
                f"error: {error}. Run `make generate`, or set CADENCE_LANDING_DIR.", file=sys.stderr
            )
            return 2
        print(render(home / "warehouse.duckdb", truth_dir(landing)))
        print(f"Landing:   {landing}")
        print(f"Warehouse: {home / 'warehouse.duckdb'}")
        print(f"Dagster run {result.run_id} recorded under {home / 'dagster'} (see `make dev`)")
        return report_outcome(result)


def report_outcome(result: dg.ExecuteInProcessResult) -> int:
    """Every failed check (warnings and errors), then on failure the failed steps. Exit code."""
    for check in result.get_asset_check_evaluations():
        if check.passed:
            continue
        is_error = check.severity == dg.AssetCheckSeverity.ERROR
        print(
            f"{'error' if is_error else 'warning'}: check "
            f"{check.asset_key.to_user_string()}:{check.check_name} failed ({_failed_rows(check)})",
            file=sys.stderr if is_error else sys.stdout,
        )
    if result.success:
        print("Run succeeded.")
        return 0
    for event in result.all_events:
        if event.is_step_failure:
            print(
                f"error: step {event.step_key} failed: {event.step_failure_data.error.message}",
                file=sys.stderr,
            )
    print("Run failed.", file=sys.stderr)
    return 1


def _failed_rows(check: dg.AssetCheckEvaluation) -> str:
    count = check.metadata.get("dagster_dbt/failed_row_count")
    return f"{count.value} failing rows" if count is not None else "see the run's logs"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration.cli", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="materialise everything over $CADENCE_LANDING_DIR")
    commands.add_parser("summary", help="print what the warehouse holds")
    args = parser.parse_args(argv)
    if args.command == "run":
        return run()
    home = cadence_home()
    print(render(home / "warehouse.duckdb", truth_dir(landing_dir(home=home))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
