"""What a run covers: the delivery days it loads (dbt vars `run_start`/`run_end`), or all of
history when it is a full rebuild (`dbt build --full-refresh`, every test over every row)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping

import dagster as dg

from orchestration.partitions import named_days

# A run tagged so rebuilds every model from raw and runs every test over everything: the only
# path that can split an identity cluster, and the one that compacts the published files.
FULL_REFRESH_TAG = "cadence/full_refresh"


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


def dbt_build_args(
    instance: dg.DagsterInstance, tags: Mapping[str, str], as_of: dt.date
) -> list[str]:
    """`dbt build` for this run: over its delivery days, or everything on a full rebuild."""
    build_vars = {"as_of_date": as_of.isoformat()}
    if is_full_refresh(tags):
        return ["build", "--full-refresh", "--vars", json.dumps(build_vars)]
    days = run_days(instance, tags)
    if not days:
        return ["build", "--vars", json.dumps(build_vars)]
    build_vars |= {"run_start": days[0].isoformat(), "run_end": days[1].isoformat()}
    # Unit tests check the SQL, not the day's data: they run in every build over all of history
    # (a first load, a full rebuild, `make test`), not again in each daily run (9 of its 54 s
    # of dbt at 1M).
    return ["build", "--vars", json.dumps(build_vars), "--exclude-resource-type", "unit_test"]
