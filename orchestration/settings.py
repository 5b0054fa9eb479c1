"""Cadence's settings: every environment variable it reads, with its default and meaning.

They are read once, by what starts the work: the CLI per command, Dagster when it loads the
definitions (orchestration/definitions.py). Dagster's resources are configured from them
(`orchestration.resources.resources_for`), and dbt's profile (dbt_project/profiles.yml) reads
the warehouse's from the environment the dbt step gives its subprocess
(`orchestration.resources.Warehouse.dbt_environment`).
An empty variable counts as unset.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sources.contract import entities
from sources.lake import spark_warehouse_dir

REPO_ROOT = Path(__file__).resolve().parent.parent
# DuckDB's process grows up to 2 GB past its limit on the 50M-row window passes (fct_interactions:
# 6.1 GiB in 94 s at 4GB, 4.8 GiB in 78 s at 3GB), and Dagster's own process holds about 1 GiB
# beside dbt's: 3GB is meant to keep a 50M-row build within 6 GiB (see the README's Benchmark).
DEFAULT_MEMORY_LIMIT = "3GB"
# DuckDB checkpoints in the commit whose write-ahead log passes this size (its default 16MB): a
# daily dbt run crossed it in most of its ~56 commits, each checkpoint rewriting row groups that
# later nodes changed again (models 40.3 -> 35.2 s on the 10M day). Above what a run writes, the
# one checkpoint is the database's close, and a crash still replays the log.
CHECKPOINT_THRESHOLD = "4GB"
# dbt's own file log ($CADENCE_HOME/dbt_target/dbt.log): every event at debug level, JSON, cost
# the 1M daily run about 1 s of its ~16 s in dbt; the run's dbt output is reports/dbt.log anyway.
DBT_FILE_LOG_LEVELS = ("none", "error", "warn", "info", "debug")
# dbt builds this many independent nodes at once, on one DuckDB database (one process, a cursor
# each). On this 2-core machine, idle, 1 is fastest: the 1M daily run took 68.5 s with 1 thread,
# 75.3 s with 2 and 76.9 s with 4 (the README's Benchmark); measure again on more cores.
DEFAULT_DBT_THREADS = 1
DEFAULT_KEEP_VERSIONS = 3
DEFAULT_RUN_WAIT_SECONDS = 3600
POSTGRES_URL = "CADENCE_DAGSTER_POSTGRES_URL"
# What builds the dbt project: DuckDB in the warehouse file, or Spark over the Parquet lake.
ENGINES = ("duckdb", "spark")
# The in-process Spark's JVM heap: the sample's build fits in it beside Dagster on a 2-core CI box.
DEFAULT_SPARK_DRIVER_MEMORY = "2g"


class SettingsError(ValueError):
    """An environment variable holds a value Cadence cannot use."""


class UnknownSourceError(SettingsError):
    """CADENCE_SOURCES names a source the landing contract does not have."""


@dataclass(frozen=True)
class Settings:
    home: Path
    """CADENCE_HOME: where the warehouse, published files and reports live (default: `.cadence`
    in the repository)."""
    landing_dir: Path
    """CADENCE_LANDING_DIR: the landing tree to load (default: $CADENCE_HOME/sample/landing)."""
    sources: tuple[str, ...]
    """CADENCE_SOURCES: the sources this deployment has, comma-separated, kept in the contract's
    order (default: every source of the landing contract); the others are neither expected nor
    checked, and their raw tables stay empty."""
    duckdb_memory_limit: str = DEFAULT_MEMORY_LIMIT
    """CADENCE_DUCKDB_MEMORY_LIMIT: DuckDB's memory limit for extraction, dbt and publishing;
    beyond it DuckDB spills to $CADENCE_HOME/scratch/duckdb_spill."""
    dbt_threads: int = DEFAULT_DBT_THREADS
    """CADENCE_DBT_THREADS: how many dbt nodes run at once (dbt's `threads`)."""
    acknowledgements: Path | None = None
    """CADENCE_ACKNOWLEDGEMENTS: a YAML file of acknowledged known problems, added to those in
    expectations/quality.yml (default: none; `make demo` names the sample's)."""
    keep_versions: int = DEFAULT_KEEP_VERSIONS
    """CADENCE_KEEP_VERSIONS: published versions kept for rollback."""
    run_wait_seconds: float = DEFAULT_RUN_WAIT_SECONDS
    """CADENCE_RUN_WAIT: seconds a run waits for another in progress on the same home before it
    gives up (0: at once); see orchestration/run_lock.py."""
    as_of: dt.date | None = None
    """CADENCE_AS_OF: the as-of date of the marts, YYYY-MM-DD (default: the newest loaded day)."""
    dagster_postgres_url: str | None = None
    """CADENCE_DAGSTER_POSTGRES_URL: a PostgreSQL URL (postgresql://user:password@host:5432/db)
    where Dagster keeps its runs, events, sensor cursors and schedule ticks, shared by a daemon,
    the webserver and runs on other machines (orchestration/dagster_instance.py; default: SQLite
    files under $CADENCE_HOME/dagster). Dagster's own configuration reads it from the
    environment too (orchestration/dagster_postgres.yaml), so the password is never written."""
    engine: str = ENGINES[0]
    """CADENCE_ENGINE: what builds the dbt project, `duckdb` (into $CADENCE_HOME/warehouse.duckdb)
    or `spark` (dbt-spark's target in dbt_project/profiles.yml; its tables are Parquet under
    $CADENCE_HOME/lake/spark-warehouse). Extraction, the landed-data checks and the published
    files are the same on both (see the README's Scaling out)."""
    spark_driver_memory: str = DEFAULT_SPARK_DRIVER_MEMORY
    """CADENCE_SPARK_DRIVER_MEMORY: the heap of the in-process Spark's JVM (spark.driver.memory,
    e.g. 2g or 512m), with CADENCE_ENGINE=spark."""
    dbt_file_log_level: str = DBT_FILE_LOG_LEVELS[0]
    """CADENCE_DBT_FILE_LOG_LEVEL: what dbt writes to its own log $CADENCE_HOME/dbt_target/dbt.log,
    one of none, error, warn, info, debug (debug: every SQL statement and its timing; default
    none, the run's dbt output being in reports/dbt.log)."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        """The settings `environ` holds; SettingsError names the first variable it cannot use."""

        def get(name: str) -> str | None:
            return environ.get(name) or None

        home = Path(get("CADENCE_HOME") or REPO_ROOT / ".cadence").resolve()
        landing = get("CADENCE_LANDING_DIR")
        acknowledgements = get("CADENCE_ACKNOWLEDGEMENTS")
        return cls(
            home=home,
            landing_dir=Path(landing).resolve() if landing else home / "sample" / "landing",
            sources=declared_sources(get("CADENCE_SOURCES")),
            duckdb_memory_limit=get("CADENCE_DUCKDB_MEMORY_LIMIT") or DEFAULT_MEMORY_LIMIT,
            dbt_threads=_number(
                get("CADENCE_DBT_THREADS"), "CADENCE_DBT_THREADS", DEFAULT_DBT_THREADS, 1, int
            ),
            acknowledgements=Path(acknowledgements) if acknowledgements else None,
            keep_versions=_number(
                get("CADENCE_KEEP_VERSIONS"), "CADENCE_KEEP_VERSIONS", DEFAULT_KEEP_VERSIONS, 1, int
            ),
            run_wait_seconds=_number(
                get("CADENCE_RUN_WAIT"), "CADENCE_RUN_WAIT", DEFAULT_RUN_WAIT_SECONDS, 0, float
            ),
            as_of=_date(get("CADENCE_AS_OF"), "CADENCE_AS_OF"),
            dagster_postgres_url=get(POSTGRES_URL),
            engine=_one_of(get("CADENCE_ENGINE"), "CADENCE_ENGINE", ENGINES),
            spark_driver_memory=_jvm_memory(
                get("CADENCE_SPARK_DRIVER_MEMORY"), "CADENCE_SPARK_DRIVER_MEMORY"
            ),
            dbt_file_log_level=_one_of(
                get("CADENCE_DBT_FILE_LOG_LEVEL"), "CADENCE_DBT_FILE_LOG_LEVEL", DBT_FILE_LOG_LEVELS
            ),
        )

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def published_dir(self) -> Path:
        return self.home / "published"

    @property
    def spark_warehouse(self) -> Path | None:
        """Where Spark keeps the models' tables when it builds them; None on DuckDB."""
        return spark_warehouse_dir(self.home) if self.engine == "spark" else None

    def duckdb_config(self) -> dict[str, str]:
        """How every DuckDB connection of the pipeline opens: the memory limit, so DuckDB does
        not take 80% of the machine for a large load, and where it spills beyond it (dbt's
        profile builds the same from the variables)."""
        return {
            "memory_limit": self.duckdb_memory_limit,
            "temp_directory": str(self.home / "scratch" / "duckdb_spill"),
            "checkpoint_threshold": CHECKPOINT_THRESHOLD,
        }


def declared_sources(listed: str | None) -> tuple[str, ...]:
    """The sources `listed` names (comma-separated; None: every source of the landing contract),
    in the contract's order."""
    known = list(dict.fromkeys(entity.source for entity in entities().values()))
    listed = listed or ",".join(known)
    names = {name.strip() for name in listed.split(",") if name.strip()}
    unknown = names - set(known)
    if unknown or not names:
        raise UnknownSourceError(
            f"CADENCE_SOURCES={listed!r}: name one or more of {', '.join(known)} "
            f"(unknown: {', '.join(sorted(unknown)) or 'none given'})"
        )
    return tuple(source for source in known if source in names)


def _one_of(value: str | None, name: str, allowed: tuple[str, ...]) -> str:
    """`value`, one of `allowed`; the first of them when unset."""
    if value is None:
        return allowed[0]
    if value not in allowed:
        raise SettingsError(f"{name}={value!r} is not one of {', '.join(allowed)}")
    return value


def _jvm_memory(value: str | None, name: str) -> str:
    if value is None:
        return DEFAULT_SPARK_DRIVER_MEMORY
    if not re.fullmatch(r"[1-9]\d*[kmgt]", value, re.IGNORECASE):
        raise SettingsError(f"{name}={value!r} is not a JVM memory size such as 2g or 512m")
    return value


def _number(value: str | None, name: str, default: float, minimum: float, kind: type) -> float:
    if value is None:
        return default
    try:
        number = kind(value)
    except ValueError:
        number = None
    if number is None or number < minimum:
        whole = "a whole number" if kind is int else "a number"
        raise SettingsError(f"{name}={value!r} is not {whole} of {minimum} or more")
    return number


def _date(value: str | None, name: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as error:
        raise SettingsError(f"{name}={value!r} is not a YYYY-MM-DD date") from error
