"""The one Definitions object of Cadence."""

import dagster as dg

from orchestration.assets.dbt import dbt_models
from orchestration.assets.extract import extract_landing
from orchestration.assets.publish import published_marts
from orchestration.assets.report import published_report
from orchestration.automation import daily_schedule, landing_sensor, weekly_full_rebuild
from orchestration.dbt_cli import DBT_COMMAND, EnvironmentDbtCli
from orchestration.jobs import materialize_everything
from orchestration.project import dbt_project
from orchestration.resources import resources_for
from orchestration.settings import Settings

defs = dg.Definitions(
    assets=[extract_landing, dbt_models, published_marts, published_report],
    jobs=[materialize_everything],
    schedules=[daily_schedule, weekly_full_rebuild],
    sensors=[landing_sensor],
    resources={
        # Read once, when Dagster loads the code (`make dev`, and each run it launches).
        **resources_for(Settings.from_env()),
        # The dbt of this environment, whether or not the virtualenv is on PATH.
        "dbt": EnvironmentDbtCli(
            project_dir=dbt_project,
            dbt_executable=DBT_COMMAND[0],
            global_config_flags=list(DBT_COMMAND[1:]),
        ),
    },
    # One process: DuckDB allows one writer per file, and every step writes the warehouse.
    executor=dg.in_process_executor,
)
