"""Run the whole graph over every landed day in one run: what `make run` and the tests do."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import dagster as dg

from orchestration.jobs import declared_selection
from orchestration.partitions import (
    discover_days,
    full_range,
    landing_days,
    range_tags,
    register_days,
)
from orchestration.run_scope import full_refresh_tags


class NothingLandedError(RuntimeError):
    pass


class UnknownDayError(ValueError):
    pass


def run_everything(
    instance: dg.DagsterInstance,
    landing: Path,
    resources: Mapping[str, object],
    first: str | None = None,
    last: str | None = None,
    full_refresh: bool = False,
    run_id: str | None = None,
    console_log_level: str = "INFO",
) -> dg.ExecuteInProcessResult:
    """Register every landed day, then extract the range `first`..`last` (all days by default)
    of the declared sources in one step, check it,
    build and test the dbt models over those days (every model from raw and every test over
    everything with `full_refresh`), and publish when every check passed. Dagster's console
    log shows messages from `console_log_level` up; the run gets `run_id` when given (to
    watch its events)."""
    days = discover_days(landing)
    if not days:
        raise NothingLandedError(
            f"no partitions under {landing} (expected <source>/<entity>/dt=YYYY-MM-DD/)"
        )
    register_days(instance, days)
    all_first, all_last = full_range(instance)
    keys = instance.get_dynamic_partitions(landing_days.name)
    for day in (first, last):
        if day is not None and day not in keys:
            raise UnknownDayError(
                f"{day} is not a landed day under {landing} (days run from {min(keys)} to "
                f"{max(keys)})"
            )
    first, last = first or all_first, last or all_last
    if keys.index(first) > keys.index(last):
        first, last = last, first
    from orchestration.definitions import defs

    job = defs.resolve_job_def("materialize_everything")
    selection = declared_selection(resources["landing"].declared_sources)
    if selection is not None:
        # Subset first: execute_in_process refuses a selection together with resources.
        job = job.get_subset(asset_selection=set(selection))
    return job.execute_in_process(
        instance=instance,
        tags=range_tags(first, last) | (full_refresh_tags() if full_refresh else {}),
        run_config={"loggers": {"console": {"config": {"log_level": console_log_level}}}},
        resources=resources,
        run_id=run_id,
        raise_on_error=False,
    )
