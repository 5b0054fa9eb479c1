"""The benchmark's hand-written reference (tests/bench/reference.sql) and the pipeline compute the
same marts: an independent implementation of every definition, checked row by row."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from tests.bench.reference import COMPARED_MARTS, compare, differences, run


@pytest.fixture(scope="module")
def reference(pipeline, tmp_path_factory):
    database = tmp_path_factory.mktemp("reference") / "reference.duckdb"
    return database, run(pipeline.landing, database)


def test_reference_marts_equal_the_pipeline_marts(pipeline, reference):
    database, built = reference
    results = compare(pipeline.warehouse, database)
    assert list(differences(results)) == []
    for mart in COMPARED_MARTS:
        assert results[mart]["pipeline_rows"] == built["rows"][mart] > 0, mart
    assert built["stitch_iterations"] >= 2  # labels moved at least once, then held


def test_the_comparison_finds_one_changed_value(pipeline, reference, tmp_path):
    database, _ = reference
    changed = tmp_path / "changed.duckdb"
    shutil.copy(database, changed)
    with duckdb.connect(str(changed)) as con:
        con.execute(
            """UPDATE mart_customer_cadence SET cadence_status = 'on_track'
            WHERE customer_key = (
                SELECT min(customer_key) FROM mart_customer_cadence
                WHERE cadence_status = 'neglected')"""
        )
    assert list(differences(compare(pipeline.warehouse, changed))) == [
        "mart_customer_cadence: 1 rows only in the pipeline, 1 only in the reference"
    ]
