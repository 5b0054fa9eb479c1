"""The one engine-specific step of the dbt Python models: reading a ref into pandas. dbt hands a
Python model a DuckDB relation on DuckDB and a Spark DataFrame on Spark; both filter on a SQL
condition and drop duplicates in the engine, and the fits need only what is left, small enough
for one process either way."""

from __future__ import annotations

import pandas as pd


def to_pandas(
    relation, columns: list[str], where: str | None = None, distinct: bool = False
) -> pd.DataFrame:
    """`columns` of the rows of `relation` that satisfy the SQL condition `where`; each
    distinct row once when `distinct`."""
    if where:
        relation = relation.filter(where)
    if hasattr(relation, "toPandas"):  # pyspark.sql.DataFrame
        selected = relation.select(*columns)
        return (selected.distinct() if distinct else selected).toPandas()
    selected = relation.project(", ".join(f'"{c}"' for c in columns))
    return (selected.distinct() if distinct else selected).df()
