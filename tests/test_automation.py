"""The landing sensor and the daily schedule, evaluated without running anything."""

from __future__ import annotations

import datetime as dt
import json

import dagster as dg

from orchestration.automation import daily_schedule, landing_sensor, weekly_full_rebuild
from orchestration.cli.runner import UnknownDayError, run_everything
from orchestration.partitions import FIRST_DAY_TAG, LAST_DAY_TAG, landing_days
from orchestration.resources import LandingZone
from orchestration.run_scope import AS_OF_DATE_ENV, RUN_END_ENV, RUN_START_ENV, dbt_build
from orchestration.settings import declared_sources
from tests.landing_files import ACTIVITY_HEADER, activity, partition, write_csv

RANGE_START, RANGE_END = FIRST_DAY_TAG, LAST_DAY_TAG


def land(landing, entity: str, day: str) -> None:
    write_csv(partition(landing, entity, day), "a.csv", ACTIVITY_HEADER, [activity(f"A{day}")])


def evaluate_sensor(instance, landing, cursor):
    context = dg.build_sensor_context(
        instance=instance,
        cursor=cursor,
        resources={
            "landing": LandingZone(landing_dir=str(landing), sources=list(declared_sources(None)))
        },
    )
    result = landing_sensor(context)
    for request in getattr(result, "dynamic_partitions_requests", None) or []:
        instance.add_dynamic_partitions(landing_days.name, list(request.partition_keys))
    return result


def test_sensor_runs_the_new_days_once_and_again_when_a_source_lands_late(tmp_path):
    landing = tmp_path / "landing"
    instance = dg.DagsterInstance.ephemeral()
    land(landing, "crm/activities", "2026-06-01")
    land(landing, "crm/activities", "2026-06-03")

    first = evaluate_sensor(instance, landing, None)
    (request,) = first.run_requests
    # 06-02 landed nowhere: it is registered too, so that the gap check sees it.
    assert instance.get_dynamic_partitions(landing_days.name) == [
        "2026-06-01",
        "2026-06-02",
        "2026-06-03",
    ]
    assert (request.tags[RANGE_START], request.tags[RANGE_END]) == ("2026-06-01", "2026-06-03")

    quiet = evaluate_sensor(instance, landing, first.cursor)
    assert isinstance(quiet, dg.SkipReason)

    land(landing, "email/events", "2026-06-02")  # the email platform catches up
    late = evaluate_sensor(instance, landing, first.cursor)
    (request,) = late.run_requests
    assert (request.tags[RANGE_START], request.tags[RANGE_END]) == ("2026-06-02", "2026-06-02")
    assert "email/events/dt=2026-06-02" in json.loads(late.cursor)


def test_daily_schedule_runs_the_newest_day(tmp_path):
    landing = tmp_path / "landing"
    land(landing, "crm/activities", "2026-06-01")
    land(landing, "crm/activities", "2026-06-02")
    # A schedule's context needs a persistent instance (not instance_for_test: it leaves
    # Dagster's definitions-state storage pointing at an instance closed after the test).
    (tmp_path / "dagster").mkdir()
    instance = dg.DagsterInstance.local_temp(tempdir=str(tmp_path / "dagster"))
    context = dg.build_schedule_context(
        instance=instance,
        scheduled_execution_time=dt.datetime(2026, 6, 3, 7, tzinfo=dt.UTC),
        resources={
            "landing": LandingZone(landing_dir=str(landing), sources=list(declared_sources(None)))
        },
    )
    request = daily_schedule(context)
    assert (request.tags[RANGE_START], request.tags[RANGE_END]) == ("2026-06-02", "2026-06-02")
    assert request.run_key == "daily:2026-06-03"
    assert instance.get_dynamic_partitions(landing_days.name) == ["2026-06-01", "2026-06-02"]
    # dbt builds and tests that day only.
    assert build_env(instance, request.tags) == {
        AS_OF_DATE_ENV: "2026-06-02",
        RUN_START_ENV: "2026-06-02",
        RUN_END_ENV: "2026-06-02",
    }

    weekly = weekly_full_rebuild(context)
    assert weekly.run_key == "weekly-full:2026-06-03"
    assert (weekly.tags[RANGE_START], weekly.tags[RANGE_END]) == ("2026-06-01", "2026-06-02")
    assert dbt_build(instance, weekly.tags, dt.date(2026, 6, 2)).args == ["build", "--full-refresh"]
    assert build_env(instance, weekly.tags) == EVERY_DAY


# No days named: dbt's vars run_start and run_end are empty, and every day is built and tested.
EVERY_DAY = {AS_OF_DATE_ENV: "2026-06-02", RUN_START_ENV: "", RUN_END_ENV: ""}


def build_env(instance, tags) -> dict[str, str]:
    return dbt_build(instance, tags, dt.date(2026, 6, 2)).env


def test_a_range_that_ends_on_a_late_landed_day_builds_every_day_between_its_ends():
    instance = dg.DagsterInstance.ephemeral()
    # 06-02 landed after 06-03 and 06-04: the partitions keep the order they were added in.
    instance.add_dynamic_partitions(
        landing_days.name, ["2026-06-01", "2026-06-03", "2026-06-04", "2026-06-02"]
    )
    tags = {RANGE_START: "2026-06-04", RANGE_END: "2026-06-02"}
    assert build_env(instance, tags) == {
        AS_OF_DATE_ENV: "2026-06-02",
        RUN_START_ENV: "2026-06-02",
        RUN_END_ENV: "2026-06-04",
    }
    # Without partitions (a run launched by hand over nothing in particular): everything.
    assert build_env(instance, {}) == EVERY_DAY


def test_backfill_refuses_a_day_that_has_not_landed(tmp_path):
    landing = tmp_path / "landing"
    land(landing, "crm/activities", "2026-06-01")
    try:
        run_everything(dg.DagsterInstance.ephemeral(), landing, {}, first="2025-01-01")
    except UnknownDayError as error:
        assert "2025-01-01 is not a landed day" in str(error)
    else:
        raise AssertionError("expected UnknownDayError")
