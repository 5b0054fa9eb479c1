"""Resources, configured from environment variables read when a run starts, with local defaults.

CADENCE_HOME         where the warehouse, published files and reports live (default: ./.cadence)
CADENCE_LANDING_DIR  the landing tree to load (default: $CADENCE_HOME/sample/landing)
CADENCE_SOURCES      the sources this deployment has, comma-separated (default: crm,email,orders,
                     every source of the landing contract); the others are neither expected nor
                     checked, and their raw tables stay empty
CADENCE_DUCKDB_MEMORY_LIMIT  DuckDB's memory limit for extraction and dbt (default: 3GB);
                     beyond it DuckDB spills to $CADENCE_HOME/scratch/duckdb_spill
CADENCE_ACKNOWLEDGEMENTS  a YAML file of acknowledged known problems, added to those in
                     expectations/quality.yml (default: none; `make demo` names the sample's)
CADENCE_KEEP_VERSIONS  published versions kept for rollback (default: 3)
CADENCE_RUN_WAIT     seconds a run waits for another in progress on the same home before it gives
                     up (default: 3600; 0: give up at once); see orchestration/run_lock.py
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.run_lock import run_lock
from sources.contract import entities

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_HOME = REPO_ROOT / ".cadence"
# DuckDB's process grows up to 2 GB past its limit on the 50M-row window passes (fct_interactions:
# 6.1 GiB in 94 s at 4GB, 4.8 GiB in 78 s at 3GB), and Dagster's own process holds about 1 GiB
# beside dbt's: 3GB is meant to keep a 50M-row build within 6 GiB (see the README's Benchmark).
DEFAULT_MEMORY_LIMIT = "3GB"


def duckdb_memory_limit() -> str:
    return os.environ.get("CADENCE_DUCKDB_MEMORY_LIMIT") or DEFAULT_MEMORY_LIMIT


def cadence_home(configured: str | None = None) -> Path:
    return Path(configured or os.environ.get("CADENCE_HOME") or DEFAULT_HOME).resolve()


def landing_dir(configured: str | None = None, home: Path | None = None) -> Path:
    explicit = configured or os.environ.get("CADENCE_LANDING_DIR")
    return Path(explicit).resolve() if explicit else (home or cadence_home()) / "sample" / "landing"


class UnknownSourceError(ValueError):
    """CADENCE_SOURCES names a source the landing contract does not have."""


def declared_sources(configured: str | None = None) -> tuple[str, ...]:
    """The sources this deployment has, in the contract's order: `configured` (comma-separated),
    else $CADENCE_SOURCES, else every source of the landing contract."""
    known = list(dict.fromkeys(entity.source for entity in entities().values()))
    listed = configured or os.environ.get("CADENCE_SOURCES") or ",".join(known)
    names = {name.strip() for name in listed.split(",") if name.strip()}
    unknown = names - set(known)
    if unknown or not names:
        raise UnknownSourceError(
            f"CADENCE_SOURCES={listed!r}: name one or more of {', '.join(known)} "
            f"(unknown: {', '.join(sorted(unknown)) or 'none given'})"
        )
    return tuple(source for source in known if source in names)


class Warehouse(dg.ConfigurableResource):
    """The DuckDB warehouse file `$CADENCE_HOME/warehouse.duckdb`."""

    home: str | None = None

    @property
    def home_dir(self) -> Path:
        return cadence_home(self.home)

    @property
    def path(self) -> Path:
        return self.home_dir / "warehouse.duckdb"

    @property
    def scratch_dir(self) -> Path:
        return self.home_dir / "scratch"

    @property
    def spill_dir(self) -> Path:
        return self.scratch_dir / "duckdb_spill"

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator[Warehouse]:
        """A run holds its home's run lock from before its first step until its last, whoever
        launched it: one run at a time writes the warehouse and publishes."""
        say = context.log.info if context.log else print
        run_id = context.run.run_id if context.run else "outside a run"
        with run_lock(self.home_dir, f"Dagster run {run_id}", say=say):
            yield self

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        self.spill_dir.mkdir(parents=True, exist_ok=True)
        # DuckDB would otherwise take 80% of the machine's memory for a large first load.
        try:
            con = duckdb.connect(
                str(self.path),
                config={
                    "memory_limit": duckdb_memory_limit(),
                    "temp_directory": str(self.spill_dir),
                },
            )
        except duckdb.IOException as error:
            if "lock" not in str(error).lower():
                raise
            # Another process holds the warehouse (a query tool left open, a run overlapping):
            # transient, so the step is retried; wrong data never is.
            raise dg.RetryRequested(max_retries=3, seconds_to_wait=20) from error
        try:
            yield con
        finally:
            # Closed before dbt (a separate process) opens the same file: one writer at a time.
            con.close()

    def export_for_dbt(self) -> None:
        """dbt's profile reads the warehouse location, memory limit and the code its Python
        models import from the environment of the dbt subprocess."""
        self.spill_dir.mkdir(parents=True, exist_ok=True)
        os.environ["CADENCE_HOME"] = str(self.home_dir)
        os.environ["CADENCE_DUCKDB_MEMORY_LIMIT"] = duckdb_memory_limit()
        os.environ["CADENCE_CODE_DIR"] = str(REPO_ROOT)


class LandingZone(dg.ConfigurableResource):
    """The landing tree: `<landing>/<source>/<entity>/dt=YYYY-MM-DD/<file>`, and which sources
    this deployment has (comma-separated; default $CADENCE_SOURCES)."""

    landing_dir: str | None = None
    home: str | None = None
    sources: str | None = None

    @property
    def path(self) -> Path:
        return landing_dir(self.landing_dir, cadence_home(self.home))

    @property
    def declared_sources(self) -> tuple[str, ...]:
        return declared_sources(self.sources)


class QualityGates(dg.ConfigurableResource):
    """The great-expectations suites' configuration and where their Data Docs go."""

    home: str | None = None
    acknowledgements: str | None = None

    @property
    def docs_dir(self) -> Path:
        return cadence_home(self.home) / "reports" / "data_docs"

    def config(self):
        from expectations.config import acknowledgements_file, load_quality_config

        extra = Path(self.acknowledgements) if self.acknowledgements else acknowledgements_file()
        return load_quality_config(extra_acknowledgements=extra)


class PublishedMarts(dg.ConfigurableResource):
    """Where readers find the marts: `$CADENCE_HOME/published`."""

    home: str | None = None
    keep_versions: int | None = None

    @property
    def path(self) -> Path:
        return cadence_home(self.home) / "published"

    @property
    def versions_to_keep(self) -> int:
        return self.keep_versions or int(os.environ.get("CADENCE_KEEP_VERSIONS") or 3)
