"""The raw lake: each loaded day's accepted rows as Parquet by day, exactly raw's rows, a day
loaded again replacing its folder and nothing else."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.assets.extract import lake_repairs
from sources.contract import entities
from sources.extract import load_partitions
from sources.lake import (
    LakeMismatchError,
    day_dir,
    differing_days,
    raw_table_dir,
    remove_raw_lake,
    sync_days,
)
from tests.landing_files import ACTIVITY_HEADER, activity, partition, write_csv

ACTIVITIES = entities()["crm/activities"]
DAYS = ["2026-06-01", "2026-06-02"]


@pytest.fixture
def con(tmp_path):
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    yield connection
    connection.close()


def land(landing: Path, day: str, rows: list[list[str]]) -> None:
    folder = partition(landing, "crm/activities", day)
    shutil.rmtree(folder)
    folder.mkdir()
    write_csv(folder, "a.csv", ACTIVITY_HEADER, rows)


def extract(con, landing: Path, lake: Path, *days: str) -> list[str]:
    """What the extraction step does for one entity: load the days, then bring the lake in line
    (the days repaired on the way)."""
    dates = [dt.date.fromisoformat(d) for d in days]
    load_partitions(con, ACTIVITIES, landing, dates, landing.parent / "scratch")
    return sync_days(con, ACTIVITIES, days, lake)


def in_lake(con, lake: Path) -> list[tuple]:
    files = str(raw_table_dir(lake, ACTIVITIES) / "*" / "*.parquet")
    return con.execute(
        f"""SELECT * FROM read_parquet('{files}', hive_partitioning = true,
            hive_types = {{'_dt': DATE}}) ORDER BY ALL"""
    ).fetchall()


def in_raw(con) -> list[tuple]:
    columns = [
        c
        for (c,) in con.execute(
            "SELECT name FROM pragma_table_info('raw.crm__activities')"
        ).fetchall()
    ]
    # The lake's files hold every column but the partition, which read_parquet appends.
    ordered = ", ".join(f'"{c}"' for c in columns if c != "_dt")
    return con.execute(f"SELECT {ordered}, _dt FROM raw.crm__activities ORDER BY ALL").fetchall()


def test_the_lake_holds_exactly_the_raw_rows_of_each_day(con, tmp_path):
    landing, lake = tmp_path / "landing", tmp_path / "lake"
    land(landing, DAYS[0], [activity("A1"), activity("A2", activity_type="fax"), activity("A3")])
    land(landing, DAYS[1], [activity("B1")])

    extract(con, landing, lake, *DAYS)

    assert in_lake(con, lake) == in_raw(con)
    assert len(in_lake(con, lake)) == 3  # the rejected row is in raw.rejects only
    assert sorted(p.name for p in raw_table_dir(lake, ACTIVITIES).iterdir()) == [
        "_dt=2026-06-01",
        "_dt=2026-06-02",
    ]
    assert differing_days(con, ACTIVITIES, lake) == {}
    types = dict(
        con.execute(
            f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet("
            f"'{raw_table_dir(lake, ACTIVITIES)}/*/*.parquet', hive_partitioning = true))"
        ).fetchall()
    )
    assert (types["occurred_at"], types["_line_number"], types["_dt"]) == (
        "TIMESTAMP",
        "BIGINT",
        "DATE",
    )


def test_a_day_loaded_again_replaces_its_folder_and_touches_no_other(con, tmp_path):
    landing, lake = tmp_path / "landing", tmp_path / "lake"
    land(landing, DAYS[0], [activity("A1"), activity("A2")])
    land(landing, DAYS[1], [activity("B1")])
    extract(con, landing, lake, *DAYS)
    other_day = [p.stat().st_ino for p in day_dir(lake, ACTIVITIES, DAYS[1]).iterdir()]

    land(landing, DAYS[0], [activity("A9")])
    extract(con, landing, lake, DAYS[0])

    assert [row[0] for row in in_lake(con, lake)] == ["A9", "B1"]
    assert in_lake(con, lake) == in_raw(con)
    assert [p.stat().st_ino for p in day_dir(lake, ACTIVITIES, DAYS[1]).iterdir()] == other_day
    # no folder left behind by the swap
    assert sorted(p.name for p in raw_table_dir(lake, ACTIVITIES).iterdir()) == [
        "_dt=2026-06-01",
        "_dt=2026-06-02",
    ]

    land(landing, DAYS[0], [activity("A10", activity_type="fax")])  # nothing accepted
    extract(con, landing, lake, DAYS[0])

    assert not day_dir(lake, ACTIVITIES, DAYS[0]).exists()
    assert [row[0] for row in in_lake(con, lake)] == ["B1"]
    assert differing_days(con, ACTIVITIES, lake) == {}


def test_a_lake_that_lost_or_gained_rows_is_named_by_day_and_written_again(con, tmp_path):
    landing, lake = tmp_path / "landing", tmp_path / "lake"
    land(landing, DAYS[0], [activity("A1"), activity("A2")])
    land(landing, DAYS[1], [activity("B1")])
    extract(con, landing, lake, *DAYS)
    first, second = (day_dir(lake, ACTIVITIES, day) for day in DAYS)
    (file,) = first.glob("*.parquet")
    shutil.copy(file, first / "copy.parquet")  # a file written twice
    shutil.rmtree(second)  # a day lost, as by a run killed between the renames of its swap
    (raw_table_dir(lake, ACTIVITIES) / ".writing-0123").mkdir()  # what that run left

    assert differing_days(con, ACTIVITIES, lake) == {DAYS[0]: (2, 4), DAYS[1]: (1, 0)}

    land(landing, "2026-06-03", [activity("C1")])
    repaired = extract(con, landing, lake, "2026-06-03")  # a run over another day

    assert repaired == [
        f"raw.crm__activities on 2026-06-01: 2 rows in raw, 4 in the lake ({first})",
        f"raw.crm__activities on 2026-06-02: 1 rows in raw, 0 in the lake ({second})",
    ]
    assert differing_days(con, ACTIVITIES, lake) == {}
    assert in_lake(con, lake) == in_raw(con)
    assert sorted(p.name for p in raw_table_dir(lake, ACTIVITIES).iterdir()) == [
        "_dt=2026-06-01",
        "_dt=2026-06-02",
        "_dt=2026-06-03",
    ]


def test_a_home_that_moves_to_spark_gets_its_history_written_from_raw(con, tmp_path):
    """The DuckDB engine writes no lake: the first Spark run writes every earlier day from raw,
    without extracting it again."""
    landing, lake = tmp_path / "landing", tmp_path / "lake"
    land(landing, DAYS[0], [activity("A1"), activity("A2")])
    land(landing, DAYS[1], [activity("B1")])
    load_partitions(con, ACTIVITIES, landing, [dt.date.fromisoformat(DAYS[0])], tmp_path)

    repaired = extract(con, landing, lake, DAYS[1])

    assert repaired == [
        f"raw.crm__activities on 2026-06-01: 2 rows in raw, 0 in the lake "
        f"({day_dir(lake, ACTIVITIES, DAYS[0])})"
    ]
    assert in_lake(con, lake) == in_raw(con)


def test_a_duckdb_run_removes_the_lake_spark_runs_left(con, tmp_path):
    """Days loaded again by DuckDB runs would leave a kept lake stale for a later Spark run."""
    landing, lake = tmp_path / "landing", tmp_path / "lake"
    land(landing, DAYS[0], [activity("A1")])
    extract(con, landing, lake, DAYS[0])
    (lake / "spark-warehouse").mkdir()  # Spark's own tables, rebuilt by its next run

    assert remove_raw_lake(lake)
    assert not (lake / "raw").exists() and (lake / "spark-warehouse").exists()
    assert not remove_raw_lake(lake)


def test_the_days_a_sync_wrote_make_one_warning():
    days = [
        f"raw.crm__activities on 2026-06-0{day}: 1 rows in raw, 0 in the lake" for day in "1234"
    ]

    assert lake_repairs(days) == (
        "raw lake: wrote 4 day(s) from raw that it lacked or held otherwise: "
        f"{days[0]}; {days[1]}; {days[2]}; and 1 more"
    )
    assert lake_repairs(days[:1]).endswith(f"otherwise: {days[0]}")


def test_a_lake_that_cannot_be_brought_in_line_fails_naming_the_days(con, tmp_path, monkeypatch):
    landing, lake = tmp_path / "landing", tmp_path / "lake"
    land(landing, DAYS[0], [activity("A1"), activity("A2")])
    extract(con, landing, lake, DAYS[0])
    shutil.rmtree(day_dir(lake, ACTIVITIES, DAYS[0]))
    monkeypatch.setattr("sources.lake.write_days", lambda *args: None)  # a write that is lost

    with pytest.raises(LakeMismatchError) as raised:
        sync_days(con, ACTIVITIES, [DAYS[0]], lake)

    assert str(raised.value) == (
        "raw.crm__activities on 2026-06-01: 2 rows in raw, 0 in the lake "
        f"({day_dir(lake, ACTIVITIES, DAYS[0])})"
    )
