"""dbt's command line as Cadence runs it: `python -m orchestration.dbt_command <dbt arguments>`,
with the repository on PYTHONPATH (`Warehouse.dbt_variables`). It is dbt's own command, with one
addition: Python models can run on dbt-spark's in-process session
(`orchestration.spark_session_python`)."""

from dbt.cli.main import cli

from orchestration.spark_session_python import register

if __name__ == "__main__":
    register()
    cli()
