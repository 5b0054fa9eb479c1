"""What a run covers: the delivery days it loads (dbt vars `run_start`/`run_end`), or all of
history when it is a full rebuild (`dbt build --full-refresh`, every test over every row)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping

import dagster as dg
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    PARTITION_NAME_TAG,
)

from orchestration.partitions import landing_days

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
    """The first and last delivery day the run loads; None when it names no partitions. A range
    runs in the partitions' order (a day that landed late sits after newer ones), so the days are
    those between its ends in that order, and their dates may lie either way."""
    if PARTITION_NAME_TAG in tags:
        keys = [tags[PARTITION_NAME_TAG]]
    elif ASSET_PARTITION_RANGE_START_TAG in tags:
        order = instance.get_dynamic_partitions(landing_days.name)
        ends = sorted(
            order.index(tags[key])
            for key in (ASSET_PARTITION_RANGE_START_TAG, ASSET_PARTITION_RANGE_END_TAG)
        )
        keys = order[ends[0] : ends[1] + 1]
    else:
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
