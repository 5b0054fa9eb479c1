"""Write-audit-publish: the marts reach readers only from a run whose every check passed.

The published files are separate from the warehouse, so a BI tool holding them open never
blocks a run and never sees a half-written state (orchestration/publishing/versions.py).
"""

import datetime as dt
import shutil

import dagster as dg
import duckdb
from dagster import DagsterEventType

from orchestration.assets.dbt import dbt_models
from orchestration.cli.check_report import check_lines, tally
from orchestration.project import dbt_project
from orchestration.publishing.build import build_version, new_version_name
from orchestration.publishing.currency import reporting_currency
from orchestration.publishing.gate import audit_problems, run_check_evaluations, run_events
from orchestration.publishing.masking import marts_from_manifest
from orchestration.publishing.versions import (
    current_version,
    finish_version,
    prune,
    start_version,
    switch_to,
    versions_dir,
)
from orchestration.resources import PublishedMarts, Warehouse
from orchestration.run_scope import is_full_refresh

MART_KEYS = [spec.key for spec in dbt_models.specs if spec.group_name == "marts"]


@dg.asset(
    key=["published", "marts"],
    group_name="published",
    deps=MART_KEYS,
    kinds={"duckdb", "parquet"},
    description="The marts for readers, $CADENCE_HOME/published: masked cadence.duckdb (schema "
    "marts) and parquet/, unmasked cadence_restricted.duckdb; only from a run whose checks all "
    "passed. Earlier versions are kept for `make rollback`. A run writes only the marts, and the "
    "days of the facts, that changed since the previous version; a full rebuild writes all.",
)
def published_marts(
    context: dg.AssetExecutionContext, duckdb: Warehouse, published: PublishedMarts
):
    evaluations = run_check_evaluations(context.instance, context.run.run_id)
    problems = audit_problems(context.instance, context.run.run_id, evaluations)
    if problems:
        raise dg.Failure(
            description="nothing published: " + "; ".join(problems),
            metadata={"problems": dg.MetadataValue.md("\n".join(f"- {p}" for p in problems))},
        )
    as_of = duckdb.as_of_date()
    version = new_version_name(context.run.run_id)
    publication = {
        "version": version,
        "run_id": context.run.run_id,
        "as_of_date": as_of.isoformat(),
        "published_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "reporting_currency": reporting_currency(dbt_project.manifest_path),
        "checks": tally(check_lines(evaluations)),
    }
    previous = current_version(published.path)
    building = start_version(published.path, version)
    try:
        manifest = build_version(
            building,
            duckdb.built_marts(dbt_project.manifest_path),
            marts_from_manifest(dbt_project.manifest_path),
            publication,
            duckdb.connection_config,
            # A full rebuild writes every file afresh, compacting what daily runs patched.
            previous=None
            if previous is None or is_full_refresh(context.run.tags)
            else versions_dir(published.path) / previous,
            rebuilt=rebuilt_marts(context.instance, context.run.run_id),
        )
    except Exception:
        shutil.rmtree(building, ignore_errors=True)
        raise
    version_dir = finish_version(building)
    switch_to(published.path, version)
    removed = prune(published.path, published.keep_versions)
    context.log.info(f"published version {version} to {published.path}")
    # Read the version's own file: DuckDB caches open databases by path, so a connection this
    # process still holds to published/cadence.duckdb would answer with the previous version.
    previews = mart_previews(version_dir / "cadence.duckdb", list(manifest["tables"]))
    return dg.MaterializeResult(
        metadata={
            "version": version,
            "as_of_date": as_of.isoformat(),
            "reporting_currency": publication["reporting_currency"],
            "published_file": dg.MetadataValue.path(str(published.path / "cadence.duckdb")),
            "restricted_file": dg.MetadataValue.path(
                str(published.path / "cadence_restricted.duckdb")
            ),
            "parquet_dir": dg.MetadataValue.path(str(published.path / "parquet")),
            "rows": dg.MetadataValue.json({t: v["rows"] for t, v in manifest["tables"].items()}),
            "masked_columns": dg.MetadataValue.json(
                {
                    t: v["masked_columns"]
                    for t, v in manifest["tables"].items()
                    if v["masked_columns"]
                }
            ),
            "written": dg.MetadataValue.json(manifest["written"]),
            "versions_removed": len(removed),
            **{f"preview_{t}": preview for t, preview in previews.items()},
        }
    )


def rebuilt_marts(instance: dg.DagsterInstance, run_id: str) -> set[str]:
    """The marts a dbt model materialised in this run (a mart's key is its model's name)."""
    materialised = run_events(instance, run_id, DagsterEventType.ASSET_MATERIALIZATION)
    keys = {event.materialization.asset_key for event in materialised}
    return {key.path[-1] for key in MART_KEYS if key in keys}


def _cell(value: object) -> str | int | float | bool | None:
    """A value as a table record holds it: dates, decimals and lists as text."""
    return value if value is None or isinstance(value, str | int | float | bool) else str(value)


def mart_previews(
    published_file, tables: list[str], rows: int = 5
) -> dict[str, dg.TableMetadataValue]:
    """The first rows of each published mart, as readers see them (masked)."""
    con = duckdb.connect(str(published_file), read_only=True)
    try:
        previews = {}
        for table in tables:
            result = con.execute(f'SELECT * FROM marts."{table}" LIMIT {rows}')
            columns = [(name, str(type_code)) for name, type_code, *_ in result.description]
            records = [
                dg.TableRecord({name: _cell(v) for (name, _), v in zip(columns, row, strict=True)})
                for row in result.fetchall()
            ]
            schema = dg.TableSchema(columns=[dg.TableColumn(n, t) for n, t in columns])
            previews[table] = dg.MetadataValue.table(records, schema)
        return previews
    finally:
        con.close()
