"""Extraction: landed files of each source entity into `raw.<source>__<entity>`, per day, then
the landed-data checks over what was loaded (orchestration/assets/quality.py).

One step loads every selected entity over the days the run names (orchestration.partitions; all
registered days when it names none): a first load may hold years of days, and one DuckDB
connection serves them all. On the Spark engine, whose dbt sources read the raw lake
(sources/lake.py), each loaded day is also written there, with any other day that differs from
the raw table; the step fails if the lake still does not hold exactly the raw table's rows. The
DuckDB engine reads the raw tables, writes no lake and removes one Spark runs left. A run
selects the
raw assets of the sources the deployment declares (CADENCE_SOURCES, orchestration.jobs); every
raw table exists, empty for a source not declared, so that dbt builds.
"""

import datetime as dt

import dagster as dg

from expectations.preload import start_importing_great_expectations
from orchestration import progress
from orchestration.assets.quality import CHECK_SPECS, landed_check_results
from orchestration.partitions import landing_days, named_days
from orchestration.raw_assets import ENTITY_BY_KEY, raw_asset_key
from orchestration.resources import LandingZone, QualityGates, Warehouse
from sources.contract import entities
from sources.extract import ensure_tables, load_partitions
from sources.lake import remove_raw_lake, sync_days


def lake_repairs(repaired: list[str], shown: int = 3) -> str:
    """One warning for the days the lake lacked or held otherwise than raw, the first `shown`
    named: every day of a home's history when it first runs on Spark."""
    more = f"; and {len(repaired) - shown} more" if len(repaired) > shown else ""
    return (
        f"raw lake: wrote {len(repaired)} day(s) from raw that it lacked or held otherwise: "
        + "; ".join(repaired[:shown])
        + more
    )


@dg.multi_asset(
    name="extract_landing",
    specs=[
        dg.AssetSpec(
            key=raw_asset_key(entity),
            group_name="raw",
            description=f"{entity.description} Contract: sources/{entity.source}.yml.",
            kinds={"duckdb", "parquet"},
            metadata={"table": f"raw.{entity.table_name}", "file_formats": list(entity.formats)},
        )
        for entity in entities().values()
    ],
    check_specs=CHECK_SPECS,
    can_subset=True,
)
def extract_landing(
    context: dg.AssetExecutionContext,
    duckdb: Warehouse,
    landing: LandingZone,
    quality: QualityGates,
):
    keys = named_days(
        context.instance, context.run.tags
    ) or context.instance.get_dynamic_partitions(landing_days.name)
    days = [dt.date.fromisoformat(key) for key in keys]
    context.log.info(f"loading {len(days)} day(s) from {landing.path}")
    selected = sorted(context.selected_asset_keys, key=lambda k: k.to_user_string())
    checked = {key.asset_key for key in context.selected_asset_check_keys}
    if checked:
        start_importing_great_expectations()
    days_read = 0

    def day_read(_: dt.date) -> None:
        nonlocal days_read
        days_read += 1
        progress.report("days loaded", days_read, len(days) * len(selected))

    with duckdb.get_connection() as con:
        for entity in entities().values():
            ensure_tables(con, entity)
        if not duckdb.reads_raw_lake and remove_raw_lake(duckdb.lake_dir):
            context.log.warning(
                f"removed the raw lake Spark runs left in {duckdb.lake_dir / 'raw'}: DuckDB "
                "runs do not keep it; a Spark run writes it again from raw"
            )
        for key in selected:
            entity = ENTITY_BY_KEY[key]
            summary = load_partitions(
                con, entity, landing.path, days, duckdb.scratch_dir, on_day_read=day_read
            )
            if duckdb.reads_raw_lake:
                repaired = sync_days(con, entity, keys, duckdb.lake_dir)
                if repaired:
                    context.log.warning(lake_repairs(repaired))
            for problem in summary.problems:
                context.log.warning(problem)
            context.log.info(
                f"{entity.qualified_name}: {summary.files} file(s), {summary.data_rows} data "
                f"rows = {summary.loaded_rows} loaded + {summary.rejected_rows} rejected"
            )
            yield dg.MaterializeResult(
                asset_key=key,
                metadata={
                    "days": summary.days,
                    "files": summary.files,
                    "data_rows": summary.data_rows,
                    "loaded_rows": summary.loaded_rows,
                    "rejected_rows": summary.rejected_rows,
                    "file_problems": len(summary.problems),
                    "first_problems": dg.MetadataValue.md(
                        "\n".join(f"- {p}" for p in summary.problems[:20]) or "none"
                    ),
                },
            )
        if checked:
            yield from landed_check_results(
                context,
                con,
                quality,
                [ENTITY_BY_KEY[k] for k in selected if k in checked],
                days,
                landing.path,
            )
