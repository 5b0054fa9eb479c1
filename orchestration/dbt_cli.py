"""dagster-dbt's dbt resource without two start-up costs that each dbt step paid for nothing.

Before every invocation, DbtCliResource runs `dbt --version` (a whole dbt start: 14 s of the
incremental day under load, about 3 s idle) to learn which dbt it runs, and opens a dbt adapter
in Dagster's process (importing dbt, loading the profile and the project: 8 s under load) for the
column and row-count metadata of `fetch_column_metadata()` / `fetch_row_counts()`, which the dbt
step never asks for. The definitions give it this environment's dbt, whose version is that of
the installed dbt-core package."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from functools import cached_property
from importlib.metadata import version as installed_version

from dagster_dbt import DbtCliResource
from packaging import version

# dbt as every step and test starts it: this interpreter running orchestration/dbt_command.py,
# dbt's own command plus Python models on Spark's in-process session.
DBT_COMMAND = (sys.executable, "-m", "orchestration.dbt_command")


class EnvironmentDbtCli(DbtCliResource):
    """The dbt CLI of this environment (definitions.py starts it as DBT_COMMAND)."""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(installed_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:
        return None
