"""The Spark engine (CADENCE_ENGINE=spark, dbt-spark's in-process session) runs the whole
pipeline on the sample, as `make run` does: extraction writes the Parquet lake, dbt-spark builds
and tests every model from it (the lifetime-value Python models in its session), publishing reads
the marts' Parquet. What it publishes must equal what the DuckDB engine's run published on the
same landing, file by file, mart by mart: columns, types and rows. Marked `spark`: a few minutes
on 2 cores (README, The models on Spark)."""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.process_environment import process_environment
from sources.contract import entities
from sources.lake import differing_days, lake_dir, raw_table_dir
from tests.conftest import materialize, run_dbt
from tests.spark_marts import published_differences, published_marts

pytestmark = pytest.mark.spark

# Wall seconds of each fit: not a result.
NOT_RESULTS = {"mart_clv_model_fit": {"fit_seconds"}}


@dataclass
class SparkRun:
    home: Path
    result: dg.ExecuteInProcessResult
    seconds: float

    @property
    def published(self) -> Path:
        return self.home / "published"


@pytest.fixture(scope="module")
def spark_run(pipeline, tmp_path_factory) -> SparkRun:
    home = tmp_path_factory.mktemp("spark_home")
    began = time.perf_counter()
    with process_environment({"CADENCE_ENGINE": "spark"}):
        result = materialize(
            dg.DagsterInstance.ephemeral(), home, pipeline.landing, pipeline.acknowledgements
        )
    return SparkRun(home, result, time.perf_counter() - began)


def test_spark_runs_the_pipeline(spark_run):
    print(f"The sample's run on Spark: {spark_run.seconds:.0f} s")
    failures = [e.message for e in spark_run.result.all_events if e.is_failure]
    assert spark_run.result.success, "\n".join(m or "" for m in failures)[-5000:]


def test_the_raw_lake_spark_reads_holds_exactly_the_raw_rows(spark_run):
    with duckdb.connect(str(spark_run.home / "warehouse.duckdb"), read_only=True) as con:
        for entity in entities().values():
            assert differing_days(con, entity, lake_dir(spark_run.home)) == {}, entity.name
            files = f"{raw_table_dir(lake_dir(spark_run.home), entity)}/*/*.parquet"
            in_lake = con.execute(f"SELECT count(*) FROM read_parquet('{files}')").fetchone()[0]
            in_raw = con.execute(f"SELECT count(*) FROM raw.{entity.table_name}").fetchone()[0]
            assert in_lake == in_raw > 0, entity.name


def test_spark_publishes_every_mart(pipeline, spark_run):
    assert published_marts(spark_run.published) == published_marts(pipeline.home / "published")


def test_spark_publishes_the_marts_duckdb_publishes(pipeline, spark_run):
    assert (
        published_differences(pipeline.home / "published", spark_run.published, NOT_RESULTS) == {}
    )


@pytest.fixture
def tampered(pipeline, tmp_path) -> Path:
    """A copy of the DuckDB run's published files: one order's amount changed in the masked
    file, a column's type in the restricted one."""
    published = tmp_path / "published"
    published.mkdir()
    for name in ("cadence.duckdb", "cadence_restricted.duckdb"):
        shutil.copy(pipeline.home / "published" / name, published / name)
    with duckdb.connect(str(published / "cadence.duckdb")) as con:
        con.execute(
            "UPDATE marts.fct_orders SET amount = amount + 1 "
            "WHERE order_id = (SELECT min(order_id) FROM marts.fct_orders)"
        )
    with duckdb.connect(str(published / "cadence_restricted.duckdb")) as con:
        con.execute("ALTER TABLE marts.dim_customer ALTER first_seen_at TYPE TIMESTAMPTZ")
    return published


def test_a_changed_row_or_type_is_a_difference(tampered, spark_run):
    """The comparison fails on bad data."""
    assert published_differences(tampered, spark_run.published, NOT_RESULTS) == {
        "cadence.duckdb/fct_orders": (1, 1),
        "cadence_restricted.duckdb/dim_customer": {
            "first_seen_at": ("TIMESTAMP WITH TIME ZONE", "TIMESTAMP")
        },
    }


def test_spark_appends_a_changed_key_to_the_history(spark_run):
    """Spark keeps the key history across runs, as DuckDB does: two records whose latest row
    holds another key get a row of their current one, and mart_customer_merges lists the move.
    Last in this module: it changes the Spark run's home."""
    history = spark_run.home / "lake" / "spark-warehouse" / "intermediate.db"
    table = history / "int_key_assignments_recorded"
    rewritten = history / "rewritten.parquet"
    with duckdb.connect() as con:
        records = con.execute(f"SELECT count(*) FROM '{table}/*.parquet'").fetchone()[0]
        con.execute(
            f"COPY (SELECT * REPLACE (CASE WHEN row_number() OVER (ORDER BY record_key) <= 2 "
            f"THEN 'absorbed' ELSE customer_key END AS customer_key) FROM '{table}/*.parquet') "
            f"TO '{rewritten}' (FORMAT parquet)"
        )
    for stale in [*table.glob("*.parquet"), *table.glob(".*.crc")]:
        stale.unlink()
    rewritten.rename(table / "part-00000-rewritten.parquet")
    result = run_dbt(
        spark_run.home,
        "run",
        "--select",
        "int_key_assignments_recorded",
        "mart_customer_merges",
        env={"CADENCE_ENGINE": "spark"},
    )
    assert result.returncode == 0, result.stdout[-3000:]
    marts = spark_run.home / "lake" / "spark-warehouse" / "marts.db"
    with duckdb.connect() as con:
        assert con.execute(f"SELECT count(*) FROM '{table}/*.parquet'").fetchone()[0] == records + 2
        moves = con.execute(
            f"SELECT previous_customer_key, sum(records_moved) "
            f"FROM '{marts}/mart_customer_merges/*.parquet' GROUP BY ALL"
        ).fetchall()
    assert moves == [("absorbed", 2)]
