"""The dbt models as assets; their tests surface as asset checks."""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)

from orchestration.project import dbt_project
from orchestration.resources import Warehouse
from orchestration.run_scope import dbt_build_args


class CadenceDbtTranslator(DagsterDbtTranslator):
    """Models are grouped by their layer folder (staging, intermediate, marts); seeds and
    snapshots by their kind."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        resource_type = dbt_resource_props["resource_type"]
        if resource_type == "model":
            return dbt_resource_props["fqn"][1]
        if resource_type in ("seed", "snapshot"):
            return f"{resource_type}s"
        return super().get_group_name(dbt_resource_props)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    name="dbt_models",
    dagster_dbt_translator=CadenceDbtTranslator(
        settings=DagsterDbtTranslatorSettings(
            # Source tests (duplicates, null keys in raw) are checks of the raw assets.
            enable_asset_checks=True,
            enable_source_tests_as_checks=True,
        )
    ),
)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, duckdb: Warehouse):
    as_of = duckdb.as_of_date()
    context.log.info(f"marts as of {as_of}")
    args = dbt_build_args(context.instance, context.run.tags, as_of)
    with duckdb.dbt_environment():
        invocation = dbt.cli(args, context=context)
    yield from invocation.stream()
