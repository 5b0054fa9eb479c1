"""Daily partitions discovered from what landed, never from a hard-coded start date."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg

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


def register_days(instance: dg.DagsterInstance, days: list[dt.date]) -> list[str]:
    """Add days not yet known to the instance, in date order; returns the newly added keys."""
    known = set(instance.get_dynamic_partitions(landing_days.name))
    new = [d.isoformat() for d in sorted(days) if d.isoformat() not in known]
    if new:
        instance.add_dynamic_partitions(landing_days.name, new)
    return new
