"""Dagster's resources, configured from the settings (orchestration/settings.py) by
`resources_for`, the one place that maps the one onto the other."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource
from pydantic import Field

from orchestration.as_of import newest_loaded_day
from orchestration.process_environment import process_environment
from orchestration.publishing.built_marts import BuiltMarts, DuckDBMarts, ParquetMarts
from orchestration.run_lock import run_lock
from orchestration.settings import (
    DBT_FILE_LOG_LEVELS,
    DEFAULT_SPARK_DRIVER_MEMORY,
    ENGINES,
    REPO_ROOT,
    Settings,
)
from sources.lake import lake_dir, spark_warehouse_dir


class Warehouse(DuckDBResource):
    """The DuckDB warehouse file `$CADENCE_HOME/warehouse.duckdb` (`database`), opened with the
    settings' DuckDB configuration (`connection_config`). It holds the raw layer on every engine;
    the models are built by `engine`."""

    engine: str = Field(default=ENGINES[0], description="What builds the dbt project.")
    spark_driver_memory: str = Field(
        default=DEFAULT_SPARK_DRIVER_MEMORY, description="The in-process Spark's JVM heap."
    )

    run_wait_seconds: float = Field(
        description="Seconds a run waits for another in progress on the same home."
    )
    dbt_threads: int = Field(description="How many dbt nodes run at once.")
    dbt_file_log_level: str = Field(
        default=DBT_FILE_LOG_LEVELS[0], description="What dbt writes to its own file log."
    )
    as_of: str | None = Field(
        default=None,
        description="The as-of date of the marts, YYYY-MM-DD; none: the newest loaded day.",
    )

    @property
    def path(self) -> Path:
        return Path(self.database)

    @property
    def home_dir(self) -> Path:
        return self.path.parent

    @property
    def scratch_dir(self) -> Path:
        return self.home_dir / "scratch"

    @property
    def lake_dir(self) -> Path:
        return lake_dir(self.home_dir)

    @property
    def reads_raw_lake(self) -> bool:
        """Whether the engine's dbt sources read the raw lake: Spark's are external tables over
        it, DuckDB's are the raw tables themselves, and a DuckDB run removes a lake Spark runs
        left. A home that moves to Spark gets every day written from raw by its first run, since
        extraction then finds them missing from the lake (sources.lake.sync_days): nothing is
        extracted again."""
        return self.engine == "spark"

    def built_marts(self, manifest_path: Path) -> BuiltMarts:
        """The marts the engine built, for publishing to read."""
        if self.engine == "spark":
            return ParquetMarts(spark_warehouse_dir(self.home_dir), manifest_path)
        return DuckDBMarts(self.path)

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator[Warehouse]:
        """A run holds its home's run lock from before its first step until its last, whoever
        launched it: one run at a time writes the warehouse and publishes."""
        say = context.log.info if context.log else print
        run_id = context.run.run_id if context.run else "outside a run"
        with run_lock(self.home_dir, f"Dagster run {run_id}", self.run_wait_seconds, say=say):
            yield self

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        Path(self.connection_config["temp_directory"]).mkdir(parents=True, exist_ok=True)
        with ExitStack() as stack:
            try:
                # DuckDBResource retries a refused connection for about 100 s before it gives up.
                con = stack.enter_context(super().get_connection())
            except duckdb.IOException as error:
                if "lock" not in str(error).lower():
                    raise
                # Another process holds the warehouse (a query tool left open, a run
                # overlapping): transient, so the step is retried; wrong data never is.
                raise dg.RetryRequested(max_retries=3, seconds_to_wait=20) from error
            # Closed before dbt (a separate process) opens the same file, even when the step
            # failed: one writer at a time.
            stack.callback(con.close)
            yield con

    def as_of_date(self) -> dt.date:
        """The as-of date of the marts: the configured one, else the newest loaded day, else
        today (UTC)."""
        if self.as_of:
            return dt.date.fromisoformat(self.as_of)
        with self.get_connection() as con:
            return newest_loaded_day(con) or dt.datetime.now(dt.UTC).date()

    @property
    def dbt_variables(self) -> dict[str, str]:
        """The environment dbt's profile reads: the engine (its target), the warehouse's home,
        the engines' memory and checkpoints, how many nodes run at once and the code its Python
        models import; and dbt's file log level (dbt's own variable)."""
        return {
            "CADENCE_ENGINE": self.engine,
            "CADENCE_HOME": str(self.home_dir),
            "CADENCE_DUCKDB_MEMORY_LIMIT": self.connection_config["memory_limit"],
            "CADENCE_DUCKDB_CHECKPOINT_THRESHOLD": self.connection_config["checkpoint_threshold"],
            "CADENCE_SPARK_DRIVER_MEMORY": self.spark_driver_memory,
            "CADENCE_DBT_THREADS": str(self.dbt_threads),
            "CADENCE_CODE_DIR": str(REPO_ROOT),
            "DBT_LOG_LEVEL_FILE": self.dbt_file_log_level,
            # orchestration.dbt_command, and the lifetime-value models' clv/ on Spark
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])
            ),
        }

    @contextmanager
    def dbt_environment(self) -> Iterator[None]:
        """While entered, `dbt_variables` are in this process's environment: dagster-dbt gives
        its subprocess a copy of it when it starts it, and has no other way to pass one; the
        process's own environment is restored on exit."""
        Path(self.connection_config["temp_directory"]).mkdir(parents=True, exist_ok=True)
        with process_environment(self.dbt_variables):
            yield


class LandingZone(dg.ConfigurableResource):
    """The landing tree: `<landing>/<source>/<entity>/dt=YYYY-MM-DD/<file>`, and which sources
    this deployment has."""

    landing_dir: str
    sources: list[str] = Field(description="The sources this deployment has, in contract order.")

    @property
    def path(self) -> Path:
        return Path(self.landing_dir)

    @property
    def declared_sources(self) -> tuple[str, ...]:
        return tuple(self.sources)


class QualityGates(dg.ConfigurableResource):
    """The great-expectations suites' configuration and where their Data Docs go."""

    data_docs_dir: str
    acknowledgements: str | None = Field(
        default=None, description="A YAML file of acknowledged known problems, if any."
    )

    @property
    def docs_dir(self) -> Path:
        return Path(self.data_docs_dir)

    def config(self):
        from expectations.config import load_quality_config

        extra = Path(self.acknowledgements) if self.acknowledgements else None
        return load_quality_config(extra_acknowledgements=extra)


class PublishedMarts(dg.ConfigurableResource):
    """Where readers find the marts: `$CADENCE_HOME/published`."""

    directory: str
    keep_versions: int = Field(description="Published versions kept for rollback.")

    @property
    def path(self) -> Path:
        return Path(self.directory)


def resources_for(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    """The resources of a run over `settings` (dbt's, which needs none, is in the definitions)."""
    return {
        "duckdb": Warehouse(
            database=str(settings.warehouse),
            connection_config=settings.duckdb_config(),
            run_wait_seconds=settings.run_wait_seconds,
            dbt_threads=settings.dbt_threads,
            dbt_file_log_level=settings.dbt_file_log_level,
            as_of=settings.as_of.isoformat() if settings.as_of else None,
            engine=settings.engine,
            spark_driver_memory=settings.spark_driver_memory,
        ),
        "landing": LandingZone(
            landing_dir=str(settings.landing_dir), sources=list(settings.sources)
        ),
        "quality": QualityGates(
            data_docs_dir=str(settings.home / "reports" / "data_docs"),
            acknowledgements=str(settings.acknowledgements) if settings.acknowledgements else None,
        ),
        "published": PublishedMarts(
            directory=str(settings.published_dir), keep_versions=settings.keep_versions
        ),
    }
