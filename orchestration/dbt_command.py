"""dbt's command line as Cadence runs it: `python -m orchestration.dbt_command <dbt arguments>`,
with the repository on PYTHONPATH (`Warehouse.dbt_variables`). It is dbt's own command, with two
additions: Python models can run on dbt-spark's in-process session
(`orchestration.spark_session_python`), and an interrupt always reaches dbt (below)."""

import signal

from dbt.cli.main import cli

from orchestration.spark_session_python import register

if __name__ == "__main__":
    # A run started in the background (cron, nohup, `cmd &`) starts its children with SIGINT
    # ignored, and Python then installs no handler of its own: dbt would ignore the interrupt by
    # which Dagster, and a failed dbt step (orchestration/assets/dbt.py), stop it, and be killed
    # only after the timeout, without closing the warehouse.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    register()
    cli()
