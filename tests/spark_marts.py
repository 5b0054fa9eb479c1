"""The marts the Spark engine published against the DuckDB engine's, as multisets.

Both engines publish into the same kind of DuckDB files (`published/cadence.duckdb`, personal
data masked, and `cadence_restricted.duckdb`); a mart is equal when its columns, their types and
its rows are. Floating-point columns are rounded to 6 decimals (a float sum depends on the order
rows are added in, which differs between engines), as `make bench` compares the pipeline with its
reference."""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.publishing.versions import PUBLISHED_FILES
from tests.bench.reference import comparable, table_columns


def published_marts(published: Path) -> dict[str, set[str]]:
    """Per published file, the marts it holds."""
    marts = {}
    with duckdb.connect() as con:
        for name in PUBLISHED_FILES:
            con.execute(f"ATTACH '{published / name}' AS published (READ_ONLY)")
            marts[name] = {
                row[0]
                for row in con.execute(
                    "SELECT table_name FROM duckdb_tables() "
                    "WHERE database_name = 'published' AND schema_name = 'marts'"
                ).fetchall()
            }
            con.execute("DETACH published")
    return marts


def published_differences(
    duckdb_published: Path,
    spark_published: Path,
    left_out: dict[str, set[str]] | None = None,
) -> dict[str, object]:
    """Per published file and mart that differs (`<file>/<mart>`): the columns whose name or
    type differ, or the rows only in DuckDB's and only in Spark's, without the columns `left_out`
    names per mart."""
    differences: dict[str, object] = {}
    with duckdb.connect() as con:
        for name in PUBLISHED_FILES:
            con.execute(f"ATTACH '{duckdb_published / name}' AS duck (READ_ONLY)")
            con.execute(f"ATTACH '{spark_published / name}' AS spark (READ_ONLY)")
            marts = sorted(
                row[0]
                for row in con.execute(
                    "SELECT table_name FROM duckdb_tables() "
                    "WHERE database_name = 'duck' AND schema_name = 'marts'"
                ).fetchall()
            )
            for mart in marts:
                types = table_columns(con, "duck", "marts", mart)
                spark_types = table_columns(con, "spark", "marts", mart)
                if list(types.items()) != list(spark_types.items()):
                    differences[f"{name}/{mart}"] = {
                        column: (types.get(column), spark_types.get(column))
                        for column in types.keys() | spark_types.keys()
                        if types.get(column) != spark_types.get(column)
                    }
                    continue
                skipped = (left_out or {}).get(mart, set())
                values = ", ".join(
                    comparable(column, data_type)
                    for column, data_type in types.items()
                    if column not in skipped
                )
                sides = (f'duck.marts."{mart}"', f'spark.marts."{mart}"')
                only = tuple(
                    con.execute(
                        f"SELECT count(*) FROM (SELECT {values} FROM {x} "
                        f"EXCEPT ALL SELECT {values} FROM {y})"
                    ).fetchone()[0]
                    for x, y in (sides, sides[::-1])
                )
                if any(only):
                    differences[f"{name}/{mart}"] = only
            con.execute("DETACH duck")
            con.execute("DETACH spark")
    return differences
