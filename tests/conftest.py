"""Shared fixtures: a small generated sample, and the whole graph materialised over it once."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.cli.runner import run_everything
from orchestration.dbt_cli import DBT_COMMAND
from orchestration.project import DBT_PROJECT_DIR
from orchestration.resources import resources_for
from orchestration.settings import Settings
from sources.generator.cli import main as generate

# Each test names the acknowledgements it runs with; none leak in from the caller's environment.
os.environ.pop("CADENCE_ACKNOWLEDGEMENTS", None)

# Long enough for the cadence marts (a 90-day baseline before the last 30 days) to see the
# generator's decliners in the middle of their decline.
SAMPLE_ARGS = ["--customers", "600", "--days", "150", "--seed", "7", "--quiet"]
# Columns of the published marts that measure the run rather than the data: a fit's wall time.
RUN_MEASURES = {"mart_clv_model_fit": "fit_seconds"}


@dataclass
class Pipeline:
    home: Path
    landing: Path
    truth: Path
    manifest: dict
    instance: dg.DagsterInstance
    first_run: dg.ExecuteInProcessResult  # the run that made this home what it is

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse.duckdb"

    def connect(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(self.warehouse), read_only=True)

    def run(self) -> dg.ExecuteInProcessResult:
        """Run again on this home: never on the session's `pipeline`, which other tests read
        (run on a copy, see the `rerun` fixture)."""
        return materialize(self.instance, self.home, self.landing, self.acknowledgements)

    @property
    def acknowledgements(self) -> Path:
        return self.landing.parent / "acknowledgements.yml"

    def dbt_on_copy(
        self, workdir: Path, *args: str, tamper: str | None = None
    ) -> subprocess.CompletedProcess:
        """Run dbt on a copy of the warehouse in `workdir`, leaving the shared one untouched;
        `tamper` is SQL run on the copy first (bad data for a check to catch)."""
        self.copy_warehouse(workdir)
        if tamper:
            with duckdb.connect(str(workdir / "warehouse.duckdb")) as con:
                con.execute(tamper)
        return run_dbt(workdir, *args)

    def copy_warehouse(self, workdir: Path) -> Path:
        """A copy of the warehouse in `workdir`, to alter before `run_dbt`."""
        return Path(shutil.copy(self.warehouse, workdir / "warehouse.duckdb"))


def run_dbt(
    home: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    project_dir: Path = DBT_PROJECT_DIR,
) -> subprocess.CompletedProcess:
    """Run dbt on the warehouse of `home`, its output captured, in the profile environment a run
    gives dbt (the Python models import the project's code), with `env` added (the variables a
    run hands over, or CADENCE_ENGINE); the target folder is kept from one call to the next."""
    environment = {**os.environ, "CADENCE_HOME": str(home), **(env or {})}
    settings = Settings.from_env(environment)
    return subprocess.run(
        [
            *DBT_COMMAND,
            *args,
            "--project-dir",
            str(project_dir),
            "--profiles-dir",
            str(project_dir),
            "--target-path",
            str(home / "target"),
        ],
        env={**environment, **resources_for(settings)["duckdb"].dbt_variables},
        capture_output=True,
        text=True,
        check=False,
    )


def materialize(
    instance,
    home: Path,
    landing: Path,
    acknowledgements: Path | None = None,
    first: str | None = None,
    last: str | None = None,
    full_refresh: bool = False,
) -> dg.ExecuteInProcessResult:
    """A run as `make run` makes it, over the environment's settings (a test may set
    CADENCE_SOURCES, say) with this home, landing and acknowledgements."""
    settings = Settings.from_env(
        {
            **os.environ,
            "CADENCE_HOME": str(home),
            "CADENCE_LANDING_DIR": str(landing),
            "CADENCE_ACKNOWLEDGEMENTS": str(acknowledgements or ""),
        }
    )
    return run_everything(
        instance,
        landing,
        resources_for(settings),
        first=first,
        last=last,
        full_refresh=full_refresh,
    )


def check_of(result: dg.ExecuteInProcessResult, asset: str, check: str) -> dg.AssetCheckEvaluation:
    """The evaluation of check `check` of asset `asset` (e.g. "raw/crm__activities") in a run."""
    return next(
        e
        for e in result.get_asset_check_evaluations()
        if e.asset_key.to_user_string() == asset and e.check_name == check
    )


@pytest.fixture(scope="session")
def sample(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sample")
    generate([*SAMPLE_ARGS, "--out", str(out)])
    return out


@pytest.fixture(scope="session")
def pipeline(sample, tmp_path_factory) -> Pipeline:
    home = tmp_path_factory.mktemp("home")
    instance = dg.DagsterInstance.ephemeral()
    result = materialize(instance, home, sample / "landing", sample / "acknowledgements.yml")
    manifest = json.loads((sample / "truth" / "manifest.json").read_text())
    return Pipeline(home, sample / "landing", sample / "truth", manifest, instance, result)


@pytest.fixture(scope="session")
def rerun(pipeline, tmp_path_factory) -> Pipeline:
    """A copy of the pipeline's home, run a second time over the same landing (incrementally):
    for the tests of a second run, so that the shared `pipeline` stays as its run left it."""
    home = tmp_path_factory.mktemp("rerun") / "home"
    shutil.copytree(pipeline.home, home, symlinks=True)
    copy = replace(pipeline, home=home, instance=dg.DagsterInstance.ephemeral())
    return replace(copy, first_run=copy.run())
