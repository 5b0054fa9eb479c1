"""The raw lake: every raw table's accepted rows as Parquet partitioned by delivery day, the one
exchange format both engines read (DuckDB keeps its raw tables; Spark's dbt sources are
external tables over these folders).

Spark's own tables (the dbt models) live beside, in `<lake>/spark-warehouse`.

Layout: `<lake>/raw/<source>__<entity>/_dt=YYYY-MM-DD/*.parquet`, the raw table's columns with
`_dt` as the hive partition column. Extraction writes the days it loaded from the raw table
just committed, so the lake holds exactly raw's rows; a day loaded again replaces its folder
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


def write_days(
    con: duckdb.DuckDBPyConnection, entity: Entity, days: Iterable[str], lake: Path
) -> None:
    """Replace the folders of `days` (ISO dates) with the raw table's rows of those days.

    The days are written in one scan into a folder beside the table's, then each day's folder
    is swapped in by renames, so a reader never finds a day half-written; nothing but those
    days' folders is touched."""
    days = sorted(set(days))
    table_dir = raw_table_dir(lake, entity)
    table_dir.mkdir(parents=True, exist_ok=True)
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


def mismatched_days(
    con: duckdb.DuckDBPyConnection, entity: Entity, days: Iterable[str], lake: Path
) -> list[str]:
    """Conservation between the raw table and the lake: one line per day of `days` whose row
    count differs, naming the table, the day and both counts (none: they agree)."""
    days = sorted(set(days))
    if not days:
        return []
    files = [str(path) for day in days for path in day_dir(lake, entity, day).glob("*.parquet")]
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
            f"""SELECT CAST(_dt AS VARCHAR), count(*) FROM {raw_table(entity)}
            WHERE _dt IN ({_day_list(days)}) GROUP BY ALL"""
        ).fetchall()
    )
    return [
        f"{raw_table(entity)} on {day}: {in_raw.get(day, 0)} rows in raw, "
        f"{in_lake.get(day, 0)} in the lake ({day_dir(lake, entity, day)})"
        for day in days
        if in_raw.get(day, 0) != in_lake.get(day, 0)
    ]
