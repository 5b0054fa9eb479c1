"""Unattended runs: a sensor for newly landed `dt=` folders and a daily schedule run the whole
graph (extract, checks, dbt, publish) over the days concerned, in one run, touching only what
those days change; a weekly full rebuild recomputes everything from raw and tests every row."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import dagster as dg

from orchestration.jobs import declared_selection, materialize_everything
from orchestration.partitions import (
    discover_days,
    full_range,
    landing_days,
    range_tags,
    register_days,
    unregistered_days,
)
from orchestration.resources import LandingZone
from orchestration.run_scope import full_refresh_tags
from sources.contract import entities
from sources.landing import landed_days


def landed_folders(landing: Path) -> set[str]:
    """Every `<source>/<entity>/dt=<day>` folder under the landing tree."""
    return {
        f"{entity.qualified_name}/dt={day.isoformat()}"
        for entity in entities().values()
        for day in landed_days(landing, entity)
    }


def day_of(folder: str) -> str:
    return folder.rsplit("dt=", 1)[1]


def run_for_days(
    instance: dg.DagsterInstance,
    days: list[str],
    new_days: list[str],
    run_key: str,
    sources: tuple[str, ...],
) -> dg.RunRequest:
    """One run over the span of `days`, in the partitions' order once `new_days` are added."""
    order = [*instance.get_dynamic_partitions(landing_days.name), *new_days]
    positions = sorted(order.index(day) for day in days)
    first, last = order[positions[0]], order[positions[-1]]
    return dg.RunRequest(
        run_key=run_key,
        tags=range_tags(first, last),
        asset_selection=declared_selection(sources),
    )


@dg.sensor(
    job=materialize_everything,
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Runs everything over the days of newly landed dt= folders (a source landing a "
    "day late re-runs that day). The cursor holds the folders already seen.",
)
def landing_sensor(context: dg.SensorEvaluationContext, landing: LandingZone):
    seen = set(json.loads(context.cursor)) if context.cursor else set()
    present = landed_folders(landing.path)
    new = sorted(present - seen)
    if not new:
        return dg.SkipReason(f"no new dt= folder under {landing.path}")
    new_days = unregistered_days(context.instance, discover_days(landing.path))
    days = sorted({day_of(folder) for folder in new})
    return dg.SensorResult(
        run_requests=[
            run_for_days(
                context.instance,
                days,
                new_days,
                f"landed:{days[0]}..{days[-1]}",
                landing.declared_sources,
            )
        ],
        dynamic_partitions_requests=[landing_days.build_add_request(new_days)] if new_days else [],
        cursor=json.dumps(sorted(present)),
    )


@dg.schedule(
    job=materialize_everything,
    cron_schedule="0 7 * * *",
    execution_timezone="Asia/Shanghai",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Every morning: register what landed and run the newest day end to end.",
)
def daily_schedule(context: dg.ScheduleEvaluationContext, landing: LandingZone):
    # Schedules cannot request partitions; adding them is idempotent.
    register_days(context.instance, discover_days(landing.path))
    keys = context.instance.get_dynamic_partitions(landing_days.name)
    if not keys:
        return dg.SkipReason(f"nothing has landed under {landing.path}")
    newest = max(keys)
    scheduled = (context.scheduled_execution_time or dt.datetime.now(dt.UTC)).date()
    return dg.RunRequest(
        run_key=f"daily:{scheduled.isoformat()}",
        tags=range_tags(newest, newest),
        asset_selection=declared_selection(landing.declared_sources),
    )


@dg.schedule(
    job=materialize_everything,
    cron_schedule="0 2 * * 0",
    execution_timezone="Asia/Shanghai",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Every Sunday night, before the daily run: a full rebuild over every landed day. "
    "It recomputes identity from raw (the only way a cluster splits, e.g. after a blocklist "
    "change), runs every dbt test over all rows rather than the day's, and writes the published "
    "files afresh.",
)
def weekly_full_rebuild(context: dg.ScheduleEvaluationContext, landing: LandingZone):
    register_days(context.instance, discover_days(landing.path))
    if not context.instance.get_dynamic_partitions(landing_days.name):
        return dg.SkipReason(f"nothing has landed under {landing.path}")
    first, last = full_range(context.instance)
    scheduled = (context.scheduled_execution_time or dt.datetime.now(dt.UTC)).date()
    return dg.RunRequest(
        run_key=f"weekly-full:{scheduled.isoformat()}",
        tags=range_tags(first, last) | full_refresh_tags(),
        asset_selection=declared_selection(landing.declared_sources),
    )
