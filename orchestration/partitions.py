"""The landed days: discovered from the `dt=` folders, never from a hard-coded start date, and
registered with Dagster as the dynamic partitions set `landing_days`, in the order they landed.

The set is a registry, not the raw assets' partitioning: a run names its days with two tags
(first and last day, in the registry's order), and extraction writes each day's status to
`raw.load_log`. Partitioned assets cost Dagster events per day and asset (a planned and a
materialised event for each, every one its own SQLite commit: about 100 s of a 730-day first
load); named by tags, a run writes the same events whatever its number of days."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

import dagster as dg

from sources.contract import entities
from sources.landing import landed_days

landing_days = dg.DynamicPartitionsDefinition(name="landing_days")
FIRST_DAY_TAG = "cadence/first_day"
LAST_DAY_TAG = "cadence/last_day"


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
    """Run tags that name the registered days `first`..`last` (in the registry's order)."""
    return {FIRST_DAY_TAG: first, LAST_DAY_TAG: last}


def named_days(instance: dg.DagsterInstance, tags: Mapping[str, str]) -> list[str] | None:
    """The registered days a run's tags name, from its first to its last day in the registry's
    order (a day that landed late sits after newer ones, so the days between its ends may lie
    either way in time); None when the tags name no days."""
    if FIRST_DAY_TAG not in tags:
        return None
    order = instance.get_dynamic_partitions(landing_days.name)
    ends = sorted(order.index(tags[key]) for key in (FIRST_DAY_TAG, LAST_DAY_TAG))
    return order[ends[0] : ends[1] + 1]


def full_range(instance: dg.DagsterInstance) -> tuple[str, str]:
    """First and last registered day in the partitions' own order. Dynamic partitions keep the
    order they were added in: a day that landed late sits after newer ones, so the range must
    run from the first key to the last key, not from the oldest date to the newest."""
    keys = instance.get_dynamic_partitions(landing_days.name)
    return keys[0], keys[-1]
