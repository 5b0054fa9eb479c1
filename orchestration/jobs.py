"""Jobs: what `make run`, the schedule and the sensor materialise."""

import dagster as dg

materialize_everything = dg.define_asset_job(
    "materialize_everything",
    selection=dg.AssetSelection.all(),
    description="Extract the partitions given, then rebuild and test every dbt model.",
)
