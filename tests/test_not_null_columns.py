"""A model's required columns are checked by one test (dbt_project/tests/generic/
not_null_columns.sql), which fails on a null in any of them and names the columns it found null."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from tests.test_run_scope import dbt, not_null_test_of, outcomes, raw_activities


def failing_rows(home: Path, test: str) -> list[tuple[str, str]]:
    """`null_columns` and activity of each row the last `dbt test` run of `test` finds, from the
    SQL dbt ran, queried on the warehouse as it is now."""
    results = json.loads((home / "target" / "run_results.json").read_text())["results"]
    (compiled,) = (r["compiled_code"] for r in results if r["unique_id"].split(".")[2] == test)
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(f"SELECT null_columns, activity_id FROM ({compiled})").fetchall()


def test_a_null_required_column_fails_the_models_test_which_names_it(tmp_path):
    raw_activities(tmp_path)  # day 1's activity A1 has no customer
    assert dbt(tmp_path, "run", env={}).returncode == 0
    required = not_null_test_of("stg_crm__activities")

    dbt(tmp_path, "test", env={})
    assert outcomes(tmp_path)[required] == ("fail", 1)
    assert failing_rows(tmp_path, required) == [("customer_id", "A1")]

    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        con.execute(
            "UPDATE staging.stg_crm__activities SET occurred_at = NULL WHERE activity_id = 'A1'"
        )
    assert failing_rows(tmp_path, required) == [("customer_id, occurred_at", "A1")]

    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        con.execute(
            "UPDATE staging.stg_crm__activities SET customer_id = 'C1', occurred_at = now() "
            "WHERE activity_id = 'A1'"
        )
    dbt(tmp_path, "test", env={})
    assert outcomes(tmp_path)[required] == ("pass", 0)
