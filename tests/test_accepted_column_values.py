"""A model's accepted values and ranges are checked by one test (dbt_project/tests/generic/
accepted_column_values.sql), which fails on a value outside any of them and names the columns it
found broken; nulls pass, as in dbt's accepted_values."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from orchestration.partitions import range_tags
from orchestration.project import dbt_project
from tests.conftest import run_dbt
from tests.test_run_scope import (
    DAY_1,
    DAY_2,
    dbt,
    failing_rows,
    generic_test_of,
    outcomes,
    raw_activities,
    scope,
)


def update(home: Path, statement: str) -> None:
    """Alter the built warehouse by hand, as a defect in a model's SQL would."""
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        con.execute(statement)


def test_a_value_outside_its_set_fails_the_models_test_which_names_it(tmp_path):
    raw_activities(tmp_path)  # day 1's activity A1, day 2's A2
    assert dbt(tmp_path, "run", env={}).returncode == 0
    accepted = generic_test_of("model.cadence.stg_crm__activities", "accepted_column_values")
    activities = "UPDATE staging.stg_crm__activities SET {} WHERE activity_id = 'A1'"

    update(tmp_path, activities.format("activity_type = 'fax'"))
    dbt(tmp_path, "test", env={})
    assert outcomes(tmp_path)[accepted] == ("fail", 1)
    assert failing_rows(tmp_path, accepted, "failing_columns", "activity_id") == [
        ("activity_type", "A1")
    ]
    # Scoped to the run's days like any test of the model: day 1's row is day 1's run's to report.
    dbt(tmp_path, "test", env=scope(range_tags(DAY_2, DAY_2)))
    assert outcomes(tmp_path)[accepted] == ("pass", 0)

    update(tmp_path, activities.format("direction = 'sideways'"))
    dbt(tmp_path, "test", env=scope(range_tags(DAY_1, DAY_1)))
    assert outcomes(tmp_path)[accepted] == ("fail", 1)
    assert failing_rows(tmp_path, accepted, "failing_columns", "activity_id") == [
        ("activity_type, direction", "A1")
    ]

    update(tmp_path, activities.format("activity_type = NULL, direction = 'inbound'"))
    dbt(tmp_path, "test", env={})
    assert outcomes(tmp_path)[accepted] == ("pass", 0)


def test_a_value_outside_its_range_fails_the_seeds_test_which_names_it(tmp_path):
    tmp_path.joinpath("scratch", "duckdb_spill").mkdir(parents=True)
    assert run_dbt(tmp_path, "seed", "--select", "tag_rules").returncode == 0
    accepted = generic_test_of("seed.cadence.tag_rules", "accepted_column_values")
    tag_rules = "UPDATE marts.tag_rules SET {} WHERE rule = '{}'"

    update(tmp_path, tag_rules.format("window_days = 0", "new"))
    run_dbt(tmp_path, "test", "--select", "tag_rules")
    assert outcomes(tmp_path)[accepted] == ("fail", 1)
    assert failing_rows(tmp_path, accepted, "failing_columns", "rule") == [("window_days", "new")]

    update(tmp_path, tag_rules.format("tag_group = 'mood', window_days = 3651", "new"))
    assert failing_rows(tmp_path, accepted, "failing_columns", "rule") == [
        ("tag_group, window_days", "new")
    ]

    # The range [1, 3650] holds its ends; a null passes.
    update(tmp_path, tag_rules.format("tag_group = 'activity', window_days = 3650", "new"))
    update(tmp_path, tag_rules.format("window_days = 1", "active"))
    update(tmp_path, tag_rules.format("window_days = NULL", "silent"))
    run_dbt(tmp_path, "test", "--select", "tag_rules")
    assert outcomes(tmp_path)[accepted] == ("pass", 0)


def test_each_use_is_named_after_its_model():
    """dbt would name the test from its values: one rule changed would rename the model's only
    check, and Dagster would keep its history under the old name."""
    manifest = json.loads(dbt_project.manifest_path.read_text())
    uses = [
        node
        for node in manifest["nodes"].values()
        if (node.get("test_metadata") or {}).get("name") == "accepted_column_values"
    ]

    assert len(uses) == 24
    for node in uses:
        model = node["attached_node"].split(".")[-1]
        assert node["name"] == f"accepted_column_values_{model}", node["original_file_path"]
