"""A daily run tests the days it loaded; a full build or --full-refresh tests every row."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.partitions import range_tags, register_days
from orchestration.project import dbt_project
from orchestration.run_scope import (
    AS_OF_DATE_ENV,
    RUN_START_ENV,
    DbtBuild,
    dbt_build,
    full_refresh_tags,
)
from tests.conftest import run_dbt

DAY_1, DAY_2 = "2026-06-01", "2026-06-02"


def raw_activities(home: Path) -> None:
    """Day 1 holds an activity without its customer (a defect extraction would have kept out);
    day 2 holds a sound one."""
    home.joinpath("scratch", "duckdb_spill").mkdir(parents=True)
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        con.execute("CREATE SCHEMA raw")
        con.execute(
            """CREATE TABLE raw.crm__activities AS SELECT * FROM (VALUES
                ('A1', NULL, 'call', TIMESTAMP '2026-05-31 09:00', DATE '2026-06-01', 'a.csv', 2),
                ('A2', 'C2', 'visit', TIMESTAMP '2026-06-01 11:00', DATE '2026-06-02', 'b.csv', 2)
            ) AS t(activity_id, customer_id, activity_type, occurred_at, _dt, _source_file,
                _line_number)"""
        )
        con.execute(
            "ALTER TABLE raw.crm__activities ADD COLUMN direction VARCHAR DEFAULT 'inbound'"
        )
        for column in ("rep_id", "duration_seconds", "outcome", "subject"):
            con.execute(f"ALTER TABLE raw.crm__activities ADD COLUMN {column} VARCHAR")


def dbt(home: Path, command: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """`dbt <command>` of the staged CRM activities, with `env` added to the environment as a run
    hands it over (orchestration.run_scope); the target folder is kept from one call to the
    next."""
    return run_dbt(home, command, "--select", "stg_crm__activities", *args, env=env)


def outcomes(home: Path) -> dict[str, tuple[str, int]]:
    """Status and failures of each test of the last `dbt test`, by test name."""
    results = json.loads((home / "target" / "run_results.json").read_text())["results"]
    return {r["unique_id"].split(".")[2]: (r["status"], r["failures"]) for r in results}


def failing_rows(home: Path, test: str, *columns: str) -> list[tuple]:
    """`columns` of each row the last `dbt test` run of `test` finds, from the SQL dbt ran, queried
    on the warehouse as it is now."""
    results = json.loads((home / "target" / "run_results.json").read_text())["results"]
    (compiled,) = (r["compiled_code"] for r in results if r["unique_id"].split(".")[2] == test)
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(f"SELECT {', '.join(columns)} FROM ({compiled}) ORDER BY ALL").fetchall()


def generic_test_of(node: str, test: str) -> str:
    """The name of the `test` test (not_null_columns, accepted_column_values) of `node`
    ("model.cadence.<name>", "seed.cadence.<name>"): dbt builds a not_null_columns test's name
    from its arguments; an accepted_column_values test's is given in the yml."""
    manifest = json.loads(dbt_project.manifest_path.read_text())
    (name,) = (
        candidate["name"]
        for candidate in manifest["nodes"].values()
        if candidate["resource_type"] == "test"
        and candidate.get("test_metadata", {}).get("name") == test
        and candidate["attached_node"] == node
    )
    return name


def run_build(tags: dict[str, str]) -> DbtBuild:
    """The dbt build of a run with these tags, days 1 and 2 landed."""
    instance = dg.DagsterInstance.ephemeral()
    register_days(instance, [dt.date.fromisoformat(DAY_1), dt.date.fromisoformat(DAY_2)])
    return dbt_build(instance, tags, dt.date.fromisoformat(DAY_2))


def scope(tags: dict[str, str]) -> dict[str, str]:
    """What a run with these tags hands dbt in its environment."""
    return run_build(tags).env


def test_a_daily_run_tests_the_days_it_loaded(tmp_path):
    raw_activities(tmp_path)
    assert dbt(tmp_path, "run", env=scope({})).returncode == 0
    not_null = generic_test_of("model.cadence.stg_crm__activities", "not_null_columns")

    dbt(tmp_path, "test", env=scope(range_tags(DAY_2, DAY_2)))
    # Day 1's missing customer was day 1's run's to report.
    assert outcomes(tmp_path)[not_null] == ("pass", 0)

    day_1_run = dbt(tmp_path, "test", env=scope(range_tags(DAY_1, DAY_1)))
    # Another day parses nothing again (the days are read while executing), yet tests its own.
    assert "Unable to do partial parsing" not in day_1_run.stdout
    assert outcomes(tmp_path)[not_null] == ("fail", 1)

    for args, tags in (([], {}), (["--full-refresh"], range_tags(DAY_2, DAY_2))):
        dbt(tmp_path, "test", *args, env=scope(tags))
        assert outcomes(tmp_path)[not_null] == ("fail", 1)


def test_a_daily_run_leaves_unit_tests_to_full_builds():
    instance = dg.DagsterInstance.ephemeral()
    as_of = dt.date(2026, 6, 2)
    register_days(instance, [dt.date(2026, 6, 1), as_of])
    daily = dbt_build(instance, range_tags(DAY_2, DAY_2), as_of).args
    assert daily == ["build", "--exclude-resource-type", "unit_test"]
    for everything in ({}, full_refresh_tags()):
        assert "unit_test" not in dbt_build(instance, everything, as_of).args


def test_a_run_hands_dbt_its_days_only_while_starting_it(monkeypatch):
    monkeypatch.delenv(RUN_START_ENV, raising=False)
    monkeypatch.setenv(AS_OF_DATE_ENV, "2026-01-01")  # set by hand before the run
    with run_build(range_tags(DAY_2, DAY_2)).handed_over():
        assert (os.environ[RUN_START_ENV], os.environ[AS_OF_DATE_ENV]) == (DAY_2, DAY_2)
    # dbt started later from this process (the next run, a test) covers every day again.
    assert RUN_START_ENV not in os.environ
    assert os.environ[AS_OF_DATE_ENV] == "2026-01-01"


def test_a_day_scoped_unique_test_is_on_its_models_merge_key():
    """A unique test of an incremental model checks the run's days only (macros/test_scope.sql):
    sound only on the merge key, which the merge keeps unique against history, or on a column
    that determines it (meta determines_unique_key: a hash of the key and more), whose equal
    values share a key and so are replaced together. On another column, a copy written on an
    older day would go unseen."""
    manifest = json.loads(dbt_project.manifest_path.read_text())
    unique_tests = [
        test
        for test in manifest["nodes"].values()
        if test["resource_type"] == "test" and test.get("test_metadata", {}).get("name") == "unique"
    ]
    day_scoped = 0
    for test in unique_tests:
        tested = manifest["nodes"].get(test["attached_node"] or "")
        config = tested["config"] if tested else {}
        if config.get("materialized") == "incremental" and config["meta"].get("run_day_column"):
            column = test["test_metadata"]["kwargs"]["column_name"]
            column_config = tested["columns"].get(column, {}).get("config") or {}
            determines_key = (column_config.get("meta") or {}).get("determines_unique_key")
            assert column == config["unique_key"] or determines_key, test["name"]
            day_scoped += 1
    assert day_scoped >= 4  # the staging models' keys, at least
