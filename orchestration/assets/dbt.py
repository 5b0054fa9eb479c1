"""The dbt models as assets; their tests surface as asset checks."""

import signal
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliInvocation,
    DbtCliResource,
    dbt_assets,
)

from orchestration.project import dbt_project
from orchestration.resources import Warehouse
from orchestration.run_scope import dbt_build


def dbt_target_dir(home: Path) -> Path:
    """dbt's target folder for the runs on `home`, kept from one run to the next so that dbt
    parses only the files changed since the last run. dagster-dbt's default, a new folder per
    invocation, starts from the parse of `make manifest`, made with another profile environment
    (CADENCE_HOME, CADENCE_CODE_DIR), on which dbt parses the whole project again."""
    return home / "dbt_target"


class CadenceDbtTranslator(DagsterDbtTranslator):
    """Models are grouped by their layer folder (staging, intermediate, marts), seeds as seeds."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        resource_type = dbt_resource_props["resource_type"]
        if resource_type == "model":
            return dbt_resource_props["fqn"][1]
        if resource_type == "seed":
            return "seeds"
        return super().get_group_name(dbt_resource_props)


class StaleManifestError(RuntimeError):
    """dbt ran a node that the manifest Dagster loaded does not have."""


def _stop(invocation: DbtCliInvocation) -> None:
    """Interrupt dbt, as dagster-dbt does on a Dagster interruption (dbt cancels its queries and
    closes the database; DuckDB rolls back what it had not committed); kill it if it has not
    ended in time."""
    process = invocation.process
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=invocation.termination_timeout_seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def events_until_dbt_ends(invocation: DbtCliInvocation) -> Iterator[Any]:
    """The invocation's Dagster events; if the step stops before dbt ends (an error handling an
    event, an interruption), dbt is stopped with it. dagster-dbt stops dbt only on a Dagster
    interruption: when its events stop being read, dbt went on writing to the warehouse after
    the run had failed and released it (until the abandoned reader was collected, and its bare
    `except:` even swallows that close). A node missing from Dagster's manifest (dagster-dbt's
    KeyError) is named in one line."""
    try:
        yield from invocation.stream()
    except BaseException as error:
        _stop(invocation)
        node = _node_missing_from(invocation.manifest, error)
        if node is None:
            raise
        raise StaleManifestError(
            f"dbt ran {node}, which Dagster's manifest lacks: run `make manifest` (make run "
            f"and make backfill do) and restart Dagster ({dbt_project.manifest_path})"
        ) from error


def _node_missing_from(manifest: Mapping[str, Any], error: BaseException) -> str | None:
    """The dbt unique_id (kind.package.name) of dagster-dbt's KeyError for a node `manifest`
    lacks; None for any other error."""
    node = error.args[0] if isinstance(error, KeyError) and error.args else None
    if not isinstance(node, str) or node.count(".") < 2:
        return None
    known = {*manifest.get("nodes", {}), *manifest.get("sources", {})}
    return None if node in known else node


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    name="dbt_models",
    # The raw assets' checks are the quality gates: dbt has no tests of its sources.
    dagster_dbt_translator=CadenceDbtTranslator(
        settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)
    ),
)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, duckdb: Warehouse):
    as_of = duckdb.as_of_date()
    context.log.info(f"marts as of {as_of}")
    build = dbt_build(context.instance, context.run.tags, as_of)
    target = dbt_target_dir(duckdb.home_dir)
    # dbt.cli starts dbt with this process's environment: it streams its events afterwards
    with duckdb.dbt_environment(), build.handed_over():
        invocation = dbt.cli(build.args, context=context, target_path=target)
    yield from events_until_dbt_ends(invocation)
