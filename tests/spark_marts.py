"""The marts the Spark engine built against the DuckDB engine's, as multisets.

Spark's marts are Parquet tables under its warehouse dir (`<warehouse>/marts.db/<mart>/`, see
dbt_project/profiles.yml); DuckDB reads them beside the DuckDB warehouse's tables. Both sides are
cast to the DuckDB mart's column types, and floating-point columns rounded to 6 decimals (a float
sum depends on the order rows are added in, which differs between engines), as `make bench`
compares the pipeline with its reference."""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.publishing.built_marts import parquet_scan
from tests.bench.reference import comparable


def spark_marts(spark_warehouse: Path) -> set[str]:
    """The tables Spark built in schema marts (seeds included)."""
    return {table.name for table in (spark_warehouse / "marts.db").iterdir() if table.is_dir()}


def mart_differences(
    duckdb_warehouse: Path,
    spark_warehouse: Path,
    marts: set[str],
    left_out: dict[str, set[str]] | None = None,
) -> dict[str, tuple[int, int]]:
    """Per mart that differs: the rows only in DuckDB's build, and only in Spark's, without the
    columns `left_out` names per mart. A mart whose columns differ counts every row of both as
    different."""
    differences = {}
    with duckdb.connect() as con:
        con.execute(f"ATTACH '{duckdb_warehouse}' AS duck (READ_ONLY)")
        for mart in sorted(marts):
            spark = parquet_scan(spark_warehouse / "marts.db" / mart)
            types = dict(
                con.execute(
                    "SELECT column_name, data_type FROM duckdb_columns() "
                    "WHERE database_name = 'duck' AND schema_name = 'marts' AND table_name = ?",
                    [mart],
                ).fetchall()
            )
            spark_columns = [
                row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {spark}").fetchall()
            ]
            if sorted(types) != sorted(spark_columns):
                counts = (
                    con.execute(f'SELECT count(*) FROM duck.marts."{mart}"').fetchone()[0],
                    con.execute(f"SELECT count(*) FROM {spark}").fetchone()[0],
                )
                differences[mart] = counts
                continue
            skipped = (left_out or {}).get(mart, set())
            values = ", ".join(
                f"CAST({comparable(column, data_type)} AS {data_type})"
                for column, data_type in types.items()
                if column not in skipped
            )
            sides = (f'duck.marts."{mart}"', spark)
            only = tuple(
                con.execute(
                    f"SELECT count(*) FROM (SELECT {values} FROM {x} "
                    f"EXCEPT ALL SELECT {values} FROM {y})"
                ).fetchone()[0]
                for x, y in (sides, sides[::-1])
            )
            if any(only):
                differences[mart] = only
    return differences
