"""What a run covers: the delivery days it loads (dbt vars `run_start`/`run_end`), or all of
history when it is a full rebuild (`dbt build --full-refresh`, every test over every row).

The days and the as-of date reach dbt in environment variables that those vars default to
(dbt_project.yml), never as `--vars`: dbt parses the whole project again whenever `--vars` differ
from its last parse, and these change with every run."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass

import dagster as dg

from orchestration.partitions import named_days
from orchestration.process_environment import process_environment

# A run tagged so rebuilds every model from raw and runs every test over everything: the only
# path that can split an identity cluster, and the one that compacts the published files.
FULL_REFRESH_TAG = "cadence/full_refresh"

# What dbt's vars as_of_date, run_start and run_end default to (dbt_project.yml).
AS_OF_DATE_ENV = "CADENCE_DBT_AS_OF_DATE"
RUN_START_ENV = "CADENCE_DBT_RUN_START"
RUN_END_ENV = "CADENCE_DBT_RUN_END"


def full_refresh_tags() -> dict[str, str]:
    return {FULL_REFRESH_TAG: "true"}


def is_full_refresh(tags: Mapping[str, str]) -> bool:
    return tags.get(FULL_REFRESH_TAG) == "true"


def run_days(
    instance: dg.DagsterInstance, tags: Mapping[str, str]
) -> tuple[dt.date, dt.date] | None:
    """The first and last delivery day the run loads (by date); None when it names no days."""
    keys = named_days(instance, tags)
    if not keys:
        return None
    days = [dt.date.fromisoformat(key) for key in keys]
    return min(days), max(days)


@dataclass(frozen=True)
class DbtBuild:
    """A run's `dbt build`: its arguments, and the environment variables that hand dbt the run's
    as-of date and days (empty when the run names no days)."""

    args: list[str]
    env: dict[str, str]

    def handed_over(self) -> AbstractContextManager[None]:
        """`env` in this process's environment while dbt is started (dagster-dbt passes dbt a copy
        of it), and as it was afterwards: dbt or a tool started later from this process (the next
        run, a test) must not take this run's days for its own."""
        return process_environment(self.env)


def dbt_build(instance: dg.DagsterInstance, tags: Mapping[str, str], as_of: dt.date) -> DbtBuild:
    """`dbt build` for this run: over its delivery days, or everything on a full rebuild."""
    env = {AS_OF_DATE_ENV: as_of.isoformat(), RUN_START_ENV: "", RUN_END_ENV: ""}
    if is_full_refresh(tags):
        return DbtBuild(["build", "--full-refresh"], env)
    days = run_days(instance, tags)
    if not days:
        return DbtBuild(["build"], env)
    env |= {RUN_START_ENV: days[0].isoformat(), RUN_END_ENV: days[1].isoformat()}
    # Unit tests check the SQL, not the day's data: they run in every build over all of history
    # (a first load, a full rebuild, `make test`), not again in each daily run (9 of its 54 s
    # of dbt at 1M).
    return DbtBuild(["build", "--exclude-resource-type", "unit_test"], env)
