"""dbt Python models on dbt-spark's in-process session.

dbt-spark submits a Python model's compiled code only to Databricks clusters (its submission
methods `all_purpose_cluster` and `job_cluster`); with `method: session` it has none, so the
lifetime-value models could not run on Spark (dbt-labs/dbt-spark#415, #1062: an open request for
exactly this). `register()` adds a `session` submission method: the compiled code, dbt-spark's
own script that reads refs with `spark.table` and saves the returned frame with
`saveAsTable`, runs in dbt's process against the session dbt-spark opened for the SQL models,
so both see one catalog. `orchestration.dbt_command` registers it before dbt starts."""

from __future__ import annotations

from typing import Any

from dbt.adapters.base import PythonJobHelper
from dbt.adapters.spark.connections import SparkCredentials
from dbt.adapters.spark.impl import SparkAdapter

SUBMISSION_METHOD = "session"


class SessionPythonJobHelper(PythonJobHelper):
    """Runs a Python model's compiled script in this process, `spark` bound to the session."""

    def __init__(self, parsed_model: dict, credentials: SparkCredentials) -> None:
        self.model = f"{parsed_model['original_file_path']} ({parsed_model['unique_id']})"

    def submit(self, compiled_code: str) -> Any:
        from pyspark.sql import SparkSession  # imported with the session, not by dbt's start

        # The session dbt-spark's connection created (builder.getOrCreate() in its cursor),
        # with the profile's warehouse dir and catalog: a process has one, whichever dbt thread
        # asks, and it exists before any model runs (the on-run-start hook ran SQL through it).
        spark = SparkSession.builder.getOrCreate()
        exec(compile(compiled_code, self.model, "exec"), {"spark": spark})


def register() -> None:
    """Offer `submission_method: session` to Python models on dbt-spark."""
    helpers = SparkAdapter.python_submission_helpers.fget
    SparkAdapter.python_submission_helpers = property(
        lambda adapter: {**helpers(adapter), SUBMISSION_METHOD: SessionPythonJobHelper}
    )
