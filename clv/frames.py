"""The frames the dbt Python models exchange with the engine. Reading a ref into pandas is their
one engine-specific step: dbt hands a Python model a DuckDB relation on DuckDB and a Spark
DataFrame on Spark; both filter on a SQL condition and drop duplicates in the engine, and the
fits need only what is left, small enough for one process either way. Frames they return are
typed the same whether they have rows or not."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pyarrow as pa

# A column of dates as the marts store them (DuckDB DATE, Spark DateType), also when empty: an
# empty object column would be created as INTEGER.
DATE = pd.ArrowDtype(pa.date32())


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


def for_engine(frame: pd.DataFrame, session):
    """What a Python model returns: the frame on DuckDB (dbt-duckdb stores a pandas frame); on
    Spark (`session` a SparkSession) a Spark DataFrame typed from the frame's dtypes, which Spark
    cannot infer from a frame without rows."""
    if not hasattr(session, "createDataFrame"):
        return frame
    from pyspark.sql.pandas.types import from_arrow_schema

    arrow = pa.Schema.from_pandas(frame, preserve_index=False)
    # an empty column of text is an object column before pandas 3, typed null by Arrow
    arrow = pa.schema(
        [field.with_type(pa.string()) if pa.types.is_null(field.type) else field for field in arrow]
    )
    return session.createDataFrame(frame, schema=from_arrow_schema(arrow))


def empty_frame(columns: dict[str, object]) -> pd.DataFrame:
    """No rows, with the dtypes the filled frame has, so the table's schema does not depend on
    whether the run had rows for it (strings as "str", dates as DATE)."""
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in columns.items()})


def as_of_date(relation) -> dt.date:
    """The run's as-of date: the one row of `relation` (int_as_of_dates_resolved, macro
    as_of_date() resolved while the run executes)."""
    if hasattr(relation, "toPandas"):  # pyspark.sql.DataFrame
        return relation.select("as_of_date").collect()[0][0]
    return relation.project("as_of_date").fetchall()[0][0]
