"""Run the whole graph over every landed day in one run: what `make run` and the tests do."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import dagster as dg
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from orchestration.partitions import discover_days, full_range, register_days


class NothingLandedError(RuntimeError):
    pass


def run_everything(
    instance: dg.DagsterInstance,
    landing: Path,
    resources: Mapping[str, object] | None = None,
) -> dg.ExecuteInProcessResult:
    """Register every landed day as a partition, then extract the whole range in one step (a
    single-run backfill) and build and test every dbt model."""
    days = discover_days(landing)
    if not days:
        raise NothingLandedError(
            f"no partitions under {landing} (expected <source>/<entity>/dt=YYYY-MM-DD/)"
        )
    register_days(instance, days)
    first, last = full_range(instance)
    from orchestration.definitions import defs

    return defs.resolve_job_def("materialize_everything").execute_in_process(
        instance=instance,
        tags={
            ASSET_PARTITION_RANGE_START_TAG: first,
            ASSET_PARTITION_RANGE_END_TAG: last,
        },
        run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
        resources=resources,
        raise_on_error=False,
    )
