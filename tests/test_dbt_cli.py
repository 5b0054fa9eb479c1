"""The dbt resource knows its dbt's version without starting dbt, and opens no adapter."""

from __future__ import annotations

import re
import subprocess

import dagster_dbt.core.resource

from orchestration.definitions import defs


def test_the_dbt_resource_starts_no_dbt_to_learn_its_version(monkeypatch):
    dbt = defs.resources["dbt"]
    printed = subprocess.run(
        [dbt.dbt_executable, *dbt.global_config_flags, "--version"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    expected = re.search(r"(\d+\.\d+\.\d+)", printed).group(1)

    def no_dbt(*args, **kwargs):
        raise AssertionError(f"started {args[0]}")

    monkeypatch.setattr(dagster_dbt.core.resource, "check_output", no_dbt)
    fresh = dbt.model_copy()  # its version not yet cached
    assert str(fresh._cli_version) == expected
    assert fresh._initialize_dbt_core_adapter(["build"]) is None
