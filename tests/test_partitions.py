"""Partitions come from what landed, and a run's range covers every registered day."""

from __future__ import annotations

import datetime as dt

import dagster as dg

from orchestration.partitions import discover_days, full_range, landing_days, register_days
from tests.landing_files import ACTIVITY_HEADER, partition, write_csv


def test_days_come_from_landed_folders_with_gaps_filled(tmp_path):
    for entity, day in [("crm/activities", "2026-03-01"), ("email/events", "2026-03-04")]:
        write_csv(partition(tmp_path, entity, day), "f.csv", ACTIVITY_HEADER, [])
    (tmp_path / "crm" / "activities" / "dt=not-a-date").mkdir()
    assert discover_days(tmp_path) == [dt.date(2026, 3, d) for d in range(1, 5)]


def test_range_covers_a_day_registered_after_newer_days():
    instance = dg.DagsterInstance.ephemeral()
    register_days(instance, [dt.date(2026, 3, 1), dt.date(2026, 3, 3)])
    assert register_days(instance, [dt.date(2026, 3, 2), dt.date(2026, 3, 3)]) == ["2026-03-02"]
    first, last = full_range(instance)
    keys = instance.get_dynamic_partitions(landing_days.name)
    with dg.partition_loading_context(dynamic_partitions_store=instance):
        covered = landing_days.get_partition_keys_in_range(dg.PartitionKeyRange(first, last))
    assert sorted(covered) == sorted(keys) == ["2026-03-01", "2026-03-02", "2026-03-03"]
