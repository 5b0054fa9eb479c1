"""Jobs: what `make run`, the schedule and the sensor materialise."""

import dagster as dg

from orchestration.raw_assets import raw_asset_key
from sources.contract import entities

materialize_everything = dg.define_asset_job(
    "materialize_everything",
    selection=dg.AssetSelection.all(),
    description="Extract the partitions given, then rebuild and test every dbt model.",
)


def declared_selection(sources: tuple[str, ...]) -> list[dg.AssetKey] | None:
    """What a run of a deployment with `sources` materialises: every asset but the raw tables of
    the sources it has not declared, whose landed-data checks are then not planned either (dbt
    still builds their staging models, and tests them, over the empty tables). None: the job's
    whole selection."""
    undeclared = [raw_asset_key(e) for e in entities().values() if e.source not in sources]
    if not undeclared:
        return None
    from orchestration.definitions import defs  # which imports this module

    selection = dg.AssetSelection.all() - dg.AssetSelection.assets(*undeclared)
    return sorted(selection.resolve(defs.resolve_asset_graph()), key=lambda k: k.path)
