"""A daily run tests the days it loaded; a full build or --full-refresh tests every row."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.partitions import range_tags, register_days
from orchestration.project import DBT_PROJECT_DIR
from orchestration.run_scope import dbt_build_args, full_refresh_tags

DAY_1, DAY_2 = "2026-06-01", "2026-06-02"


def raw_activities(home: Path) -> None:
    """Day 1 holds a row without its key; day 2 re-delivers a day-1 row as is, and a new one."""
    home.joinpath("scratch", "duckdb_spill").mkdir(parents=True)
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        con.execute("CREATE SCHEMA raw")
        con.execute(
            """CREATE TABLE raw.crm__activities AS SELECT * FROM (VALUES
                ('A1', 'C1', 'call', TIMESTAMP '2026-05-31 09:00', DATE '2026-06-01'),
                (NULL, 'C1', 'call', TIMESTAMP '2026-05-31 10:00', DATE '2026-06-01'),
                ('A1', 'C1', 'call', TIMESTAMP '2026-05-31 09:00', DATE '2026-06-02'),
                ('A3', 'C2', 'visit', TIMESTAMP '2026-06-01 11:00', DATE '2026-06-02')
            ) AS t(activity_id, customer_id, activity_type, occurred_at, _dt)"""
        )
        for column in ("rep_id", "direction", "duration_seconds", "outcome", "subject"):
            con.execute(f"ALTER TABLE raw.crm__activities ADD COLUMN {column} VARCHAR")


def dbt_test_outcomes(home: Path, *args: str) -> dict[str, tuple[str, int]]:
    """Status and failures of each test of the raw CRM activities, by test name."""
    target = home / "target"
    subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"),
            "test",
            "--select",
            "source:crm.activities",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(target),
            *args,
        ],
        env={**os.environ, "CADENCE_HOME": str(home)},
        capture_output=True,
        check=False,
    )
    results = json.loads((target / "run_results.json").read_text())["results"]
    return {r["unique_id"].split(".")[2]: (r["status"], r["failures"]) for r in results}


def test_a_daily_run_tests_its_days_and_keys_against_history(tmp_path):
    raw_activities(tmp_path)
    not_null = "source_not_null_crm_activities_activity_id"
    copies = "crm__activities_exact_duplicates"

    day_2 = dbt_test_outcomes(
        tmp_path, "--vars", json.dumps({"run_start": DAY_2, "run_end": DAY_2})
    )
    # Day 1's missing key was day 1's run's to report; the re-delivered copy is found in history.
    assert day_2[not_null] == ("pass", 0)
    assert day_2[copies] == ("warn", 1)

    day_1 = dbt_test_outcomes(
        tmp_path, "--vars", json.dumps({"run_start": DAY_1, "run_end": DAY_1})
    )
    assert day_1[not_null] == ("fail", 1)
    # Re-running day 1 finds its copy delivered on day 2: keys are checked against all others.
    assert day_1[copies] == ("warn", 1)

    for everything in (
        [],
        ["--full-refresh", "--vars", json.dumps({"run_start": DAY_2, "run_end": DAY_2})],
    ):
        results = dbt_test_outcomes(tmp_path, *everything)
        assert results[not_null] == ("fail", 1)
        assert results[copies] == ("warn", 1)


def test_a_daily_run_leaves_unit_tests_to_full_builds():
    instance = dg.DagsterInstance.ephemeral()
    as_of = dt.date(2026, 6, 2)
    register_days(instance, [dt.date(2026, 6, 1), as_of])
    daily = dbt_build_args(instance, range_tags(DAY_2, DAY_2), as_of)
    assert daily[-2:] == ["--exclude-resource-type", "unit_test"]
    assert json.loads(daily[2]) == {"as_of_date": DAY_2, "run_start": DAY_2, "run_end": DAY_2}
    for everything in ({}, full_refresh_tags()):
        assert "unit_test" not in dbt_build_args(instance, everything, as_of)
