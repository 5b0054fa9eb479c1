"""A model's required columns are checked by one test (dbt_project/tests/generic/
not_null_columns.sql), which fails on a null in any of them and names the columns it found null."""

from __future__ import annotations

import duckdb

from tests.test_run_scope import dbt, failing_rows, generic_test_of, outcomes, raw_activities


def test_a_null_required_column_fails_the_models_test_which_names_it(tmp_path):
    raw_activities(tmp_path)  # day 1's activity A1 has no customer
    assert dbt(tmp_path, "run", env={}).returncode == 0
    required = generic_test_of("model.cadence.stg_crm__activities", "not_null_columns")

    dbt(tmp_path, "test", env={})
    assert outcomes(tmp_path)[required] == ("fail", 1)
    assert failing_rows(tmp_path, required, "null_columns", "activity_id") == [
        ("customer_id", "A1")
    ]

    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        con.execute(
            "UPDATE staging.stg_crm__activities SET occurred_at = NULL WHERE activity_id = 'A1'"
        )
    assert failing_rows(tmp_path, required, "null_columns", "activity_id") == [
        ("customer_id, occurred_at", "A1")
    ]

    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        con.execute(
            "UPDATE staging.stg_crm__activities SET customer_id = 'C1', occurred_at = now() "
            "WHERE activity_id = 'A1'"
        )
    dbt(tmp_path, "test", env={})
    assert outcomes(tmp_path)[required] == ("pass", 0)
