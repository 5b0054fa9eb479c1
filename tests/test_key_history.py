"""The key history (int_key_assignments_recorded) takes over the dbt snapshot that kept it before
2026-12-03: its first build in a warehouse that has `snapshots.snap_customer_key_assignments`
starts from the snapshot's rows, so the merges recorded there stay listed in
mart_customer_merges."""

from __future__ import annotations

import datetime as dt

import duckdb

# As the snapshot kept them: every record's current key since T1, and for two records an
# earlier key held from T0 to T1 (they moved to their customer then).
T0, T1 = dt.datetime(2026, 1, 1), dt.datetime(2026, 2, 1)
SNAPSHOT = f"""
    DROP TABLE intermediate.int_key_assignments_recorded;
    DROP TABLE marts.mart_customer_merges;
    CREATE SCHEMA snapshots;
    CREATE TABLE snapshots.snap_customer_key_assignments AS
    SELECT record_key, customer_key, TIMESTAMPTZ '{T1}+00' AS dbt_valid_from,
        CAST(NULL AS TIMESTAMPTZ) AS dbt_valid_to
    FROM intermediate.int_records_clustered;
    INSERT INTO snapshots.snap_customer_key_assignments
    SELECT record_key, 'absorbed', TIMESTAMPTZ '{T0}+00', TIMESTAMPTZ '{T1}+00'
    FROM intermediate.int_records_clustered ORDER BY record_key LIMIT 2;
"""


def test_the_first_build_takes_over_the_snapshots_history(pipeline, tmp_path):
    result = pipeline.dbt_on_copy(
        tmp_path,
        "build",
        "--select",
        "int_key_assignments_recorded",
        "mart_customer_merges",
        tamper=SNAPSHOT,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        records = con.execute("SELECT count(*) FROM intermediate.int_records_clustered").fetchone()
        history = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE assigned_at = ?), "
            "count(*) FILTER (WHERE assigned_at = ? AND customer_key = 'absorbed') "
            "FROM intermediate.int_key_assignments_recorded",
            [T1, T0],
        ).fetchone()
        merges = con.execute(
            "SELECT previous_customer_key, changed_at, records_moved "
            "FROM marts.mart_customer_merges"
        ).fetchall()
    # the snapshot's rows, and nothing new: every current key equals the snapshot's
    assert history == (records[0] + 2, records[0], 2)
    assert [(previous, changed_at) for previous, changed_at, _ in merges] == [
        ("absorbed", T1)
    ] * len(merges)
    assert sum(moved for _, _, moved in merges) == 2
