"""Daily partitions discovered from what landed, never from a hard-coded start date."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from sources.contract import entities
from sources.landing import landed_days

landing_days = dg.DynamicPartitionsDefinition(name="landing_days")


def discover_days(landing: Path) -> list[dt.date]:
    """Every day with a partition folder for any entity, plus the days between the first and the
    last, so that a day missing for every source still shows up as a partition (and as a gap)."""
    found = {day for entity in entities().values() for day in landed_days(landing, entity)}
    if not found:
        return []
    first, last = min(found), max(found)
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def unregistered_days(instance: dg.DagsterInstance, days: list[dt.date]) -> list[str]:
    """The keys of `days` not yet known to the instance, in date order."""
    known = set(instance.get_dynamic_partitions(landing_days.name))
    return [d.isoformat() for d in sorted(days) if d.isoformat() not in known]


def register_days(instance: dg.DagsterInstance, days: list[dt.date]) -> list[str]:
    """Add days not yet known to the instance, in date order; returns the newly added keys."""
    new = unregistered_days(instance, days)
    if new:
        instance.add_dynamic_partitions(landing_days.name, new)
    return new


def range_tags(first: str, last: str) -> dict[str, str]:
    """Run tags that select the partitions `first`..`last` (in the partitions' order)."""
    return {ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last}


def full_range(instance: dg.DagsterInstance) -> tuple[str, str]:
    """First and last registered day in the partitions' own order. Dynamic partitions keep the
    order they were added in: a day that landed late sits after newer ones, so the range must
    run from the first key to the last key, not from the oldest date to the newest."""
    keys = instance.get_dynamic_partitions(landing_days.name)
    return keys[0], keys[-1]
