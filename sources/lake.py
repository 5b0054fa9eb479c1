"""The raw lake: every raw table's accepted rows as Parquet partitioned by delivery day, which
the Spark engine's dbt sources read (external tables over these folders). The DuckDB engine
reads its raw tables and keeps no lake: a lake left by Spark runs is removed by the first DuckDB
run (`remove_raw_lake`), since days loaded again without it would leave it stale, and a later
Spark run writes every day again from raw (`sync_days`).

Spark's own tables (the dbt models) live beside, in `<lake>/spark-warehouse`.

Layout: `<lake>/raw/<source>__<entity>/_dt=YYYY-MM-DD/*.parquet`, the raw table's columns with
`_dt` as the hive partition column. Extraction on Spark writes the days it loaded from the raw
table just committed, so the lake holds exactly raw's rows; a day loaded again replaces its folder
whole, and a day with no accepted row has none.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterable
from pathlib import Path

import duckdb

from sources.contract import Entity
from sources.extract import raw_table
from sources.sql import quote_literal

PARTITION_COLUMN = "_dt"


def lake_dir(home: Path) -> Path:
    """The lake of the warehouse at `home` ($CADENCE_HOME)."""
    return home / "lake"


def spark_warehouse_dir(home: Path) -> Path:
    """spark.sql.warehouse.dir of the Spark engine on `home`: dbt-spark's tables live there."""
    return lake_dir(home) / "spark-warehouse"


def raw_table_dir(lake: Path, entity: Entity) -> Path:
    return lake / "raw" / entity.table_name


def day_dir(lake: Path, entity: Entity, day: str) -> Path:
    return raw_table_dir(lake, entity) / f"{PARTITION_COLUMN}={day}"


def _day_list(days: Iterable[str]) -> str:
    return ", ".join(f"DATE {quote_literal(day)}" for day in days) or "NULL"


class LakeMismatchError(RuntimeError):
    """The lake still differs from the raw table after its days were written again from it."""


def write_days(
    con: duckdb.DuckDBPyConnection, entity: Entity, days: Iterable[str], lake: Path
) -> None:
    """Replace the folders of `days` (ISO dates) with the raw table's rows of those days.

    The days are written in one scan into a hidden folder beside theirs (readers skip names
    starting with a dot), then each day's folder is swapped in by renames, so a reader never
    finds a day half-written; nothing but those days' folders is touched."""
    days = sorted(set(days))
    table_dir = raw_table_dir(lake, entity)
    table_dir.mkdir(parents=True, exist_ok=True)
    # Left by a writer killed midway: one run at a time (the run lock), so none is in use.
    for leftover in table_dir.glob(".*"):
        shutil.rmtree(leftover, ignore_errors=True)
    staging = table_dir / f".writing-{uuid.uuid4().hex}"
    try:
        con.execute(
            f"""COPY (SELECT * FROM {raw_table(entity)} WHERE _dt IN ({_day_list(days)}))
            TO {quote_literal(str(staging))}
            (FORMAT parquet, COMPRESSION zstd, PARTITION_BY ({PARTITION_COLUMN}))"""
        )
        for day in days:
            _swap(staging / f"{PARTITION_COLUMN}={day}", day_dir(lake, entity, day))
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _swap(written: Path, target: Path) -> None:
    """Put `written` (absent: the day has no row) in place of `target`."""
    retired = target.with_name(f".retired-{uuid.uuid4().hex}")
    if target.exists():
        target.rename(retired)
    if written.exists():
        written.rename(target)
    shutil.rmtree(retired, ignore_errors=True)


def remove_raw_lake(lake: Path) -> bool:
    """Remove the raw lake, if any, of a home whose runs no longer write it; True if there was
    one."""
    folder = lake / "raw"
    if not folder.exists():
        return False
    shutil.rmtree(folder)
    return True


def differing_days(
    con: duckdb.DuckDBPyConnection, entity: Entity, lake: Path
) -> dict[str, tuple[int, int]]:
    """Conservation between the raw table and the lake over every day either holds: the days
    whose row counts differ, each with (rows in raw, rows in the lake). Counted from the
    Parquet footers, so a check of every day costs about a second at 1M rows."""
    files = [str(p) for p in raw_table_dir(lake, entity).glob(f"{PARTITION_COLUMN}=*/*.parquet")]
    in_lake = (
        dict(
            con.execute(
                f"""SELECT CAST({PARTITION_COLUMN} AS VARCHAR), count(*)
                FROM read_parquet(?, hive_partitioning = true, hive_types = {{'_dt': DATE}})
                GROUP BY ALL""",
                [files],
            ).fetchall()
        )
        if files
        else {}
    )
    in_raw = dict(
        con.execute(
            f"SELECT CAST(_dt AS VARCHAR), count(*) FROM {raw_table(entity)} GROUP BY ALL"
        ).fetchall()
    )
    return {
        day: (in_raw.get(day, 0), in_lake.get(day, 0))
        for day in sorted(set(in_raw) | set(in_lake))
        if in_raw.get(day, 0) != in_lake.get(day, 0)
    }


def _described(entity: Entity, lake: Path, differences: dict[str, tuple[int, int]]) -> list[str]:
    return [
        f"{raw_table(entity)} on {day}: {in_raw} rows in raw, {in_lake} in the lake "
        f"({day_dir(lake, entity, day)})"
        for day, (in_raw, in_lake) in differences.items()
    ]


def sync_days(
    con: duckdb.DuckDBPyConnection, entity: Entity, days: Iterable[str], lake: Path
) -> list[str]:
    """Write `days` to the lake, then again every other day that differs from the raw table (a
    run killed between a day's renames, a folder removed by hand), so the lake holds exactly
    raw's rows. Returns a line per day so repaired; LakeMismatchError names the days that still
    differ."""
    write_days(con, entity, days, lake)
    stale = differing_days(con, entity, lake)
    if stale:
        write_days(con, entity, stale, lake)
        still = differing_days(con, entity, lake)
        if still:
            raise LakeMismatchError("; ".join(_described(entity, lake, still)))
    return _described(entity, lake, stale)
