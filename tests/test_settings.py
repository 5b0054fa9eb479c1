"""The settings: read from the environment once, with their defaults, and a clear one-line error
for a value Cadence cannot use; the resources and dbt's environment follow them."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from orchestration.publishing.built_marts import DuckDBMarts, ParquetMarts
from orchestration.resources import resources_for
from orchestration.settings import REPO_ROOT, Settings, SettingsError
from tests.conftest import run_dbt


def test_defaults_when_nothing_is_set():
    settings = Settings.from_env({})

    assert settings.home == REPO_ROOT / ".cadence"
    assert settings.landing_dir == REPO_ROOT / ".cadence" / "sample" / "landing"
    assert settings.sources == ("crm", "email", "orders")
    assert settings.duckdb_config() == {
        "memory_limit": "3GB",
        "temp_directory": str(REPO_ROOT / ".cadence" / "scratch" / "duckdb_spill"),
        "checkpoint_threshold": "4GB",
    }
    assert (settings.acknowledgements, settings.as_of) == (None, None)
    assert (settings.keep_versions, settings.run_wait_seconds) == (3, 3600)
    assert (settings.engine, settings.spark_driver_memory) == ("duckdb", "2g")
    assert (settings.dbt_threads, settings.dbt_file_log_level) == (1, "none")


def test_every_variable_is_read(tmp_path):
    settings = Settings.from_env(
        {
            "CADENCE_HOME": str(tmp_path / "home"),
            "CADENCE_LANDING_DIR": str(tmp_path / "landing"),
            "CADENCE_SOURCES": "orders",
            "CADENCE_DUCKDB_MEMORY_LIMIT": "1GB",
            "CADENCE_DBT_THREADS": "2",
            "CADENCE_ACKNOWLEDGEMENTS": str(tmp_path / "ack.yml"),
            "CADENCE_KEEP_VERSIONS": "5",
            "CADENCE_RUN_WAIT": "0",
            "CADENCE_AS_OF": "2026-06-30",
            "CADENCE_ENGINE": "spark",
            "CADENCE_SPARK_DRIVER_MEMORY": "3G",
            "CADENCE_DBT_FILE_LOG_LEVEL": "debug",
        }
    )

    assert settings == Settings(
        home=tmp_path / "home",
        landing_dir=tmp_path / "landing",
        sources=("orders",),
        duckdb_memory_limit="1GB",
        dbt_threads=2,
        acknowledgements=tmp_path / "ack.yml",
        keep_versions=5,
        run_wait_seconds=0,
        as_of=dt.date(2026, 6, 30),
        engine="spark",
        spark_driver_memory="3G",
        dbt_file_log_level="debug",
    )


@pytest.mark.parametrize(
    ("name", "value", "error"),
    [
        ("CADENCE_KEEP_VERSIONS", "three", "CADENCE_KEEP_VERSIONS='three' is not a whole number"),
        ("CADENCE_KEEP_VERSIONS", "0", "CADENCE_KEEP_VERSIONS='0' is not a whole number of 1"),
        ("CADENCE_RUN_WAIT", "-5", "CADENCE_RUN_WAIT='-5' is not a number of 0 or more"),
        ("CADENCE_DBT_THREADS", "0", "CADENCE_DBT_THREADS='0' is not a whole number of 1"),
        ("CADENCE_AS_OF", "30/06/2026", "CADENCE_AS_OF='30/06/2026' is not a YYYY-MM-DD date"),
        ("CADENCE_SOURCES", "shop", "CADENCE_SOURCES='shop': name one or more of crm, email"),
        ("CADENCE_ENGINE", "Spark", "CADENCE_ENGINE='Spark' is not one of duckdb, spark"),
        ("CADENCE_ENGINE", "postgres", "CADENCE_ENGINE='postgres' is not one of duckdb, spark"),
        ("CADENCE_SPARK_DRIVER_MEMORY", "2GB", "CADENCE_SPARK_DRIVER_MEMORY='2GB' is not a JVM"),
        ("CADENCE_SPARK_DRIVER_MEMORY", "0g", "CADENCE_SPARK_DRIVER_MEMORY='0g' is not a JVM"),
        ("CADENCE_DBT_FILE_LOG_LEVEL", "all", "CADENCE_DBT_FILE_LOG_LEVEL='all' is not one of"),
    ],
)
def test_a_value_cadence_cannot_use_is_named_in_one_line(name, value, error):
    with pytest.raises(SettingsError, match=error) as raised:
        Settings.from_env({name: value})
    assert "\n" not in str(raised.value)


def test_the_cli_refuses_a_bad_setting_before_doing_anything(tmp_path, monkeypatch, capsys):
    from orchestration.cli.commands import main

    monkeypatch.setenv("CADENCE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CADENCE_KEEP_VERSIONS", "many")

    assert main(["rollback"]) == 2

    assert capsys.readouterr().err == (
        "error: CADENCE_KEEP_VERSIONS='many' is not a whole number of 1 or more\n"
    )
    assert not (tmp_path / "home").exists()


def test_the_warehouse_opens_with_the_settings_duckdb_configuration(tmp_path):
    settings = Settings.from_env(
        {"CADENCE_HOME": str(tmp_path), "CADENCE_DUCKDB_MEMORY_LIMIT": "512MB"}
    )
    warehouse = resources_for(settings)["duckdb"]

    with warehouse.get_connection() as con:
        limit, spill, checkpoints = con.execute(
            "SELECT current_setting('memory_limit'), current_setting('temp_directory'), "
            "current_setting('checkpoint_threshold')"
        ).fetchone()

    assert (limit, spill) == ("488.2 MiB", str(tmp_path / "scratch" / "duckdb_spill"))
    assert checkpoints == "3.7 GiB"
    assert warehouse.path == tmp_path / "warehouse.duckdb"


def test_dbt_gets_the_settings_only_while_its_step_starts_it(tmp_path, monkeypatch):
    monkeypatch.setenv("CADENCE_HOME", "/somewhere/else")
    monkeypatch.delenv("CADENCE_DUCKDB_MEMORY_LIMIT", raising=False)
    monkeypatch.delenv("CADENCE_ENGINE", raising=False)
    settings = Settings.from_env(
        {
            "CADENCE_HOME": str(tmp_path),
            "CADENCE_DUCKDB_MEMORY_LIMIT": "2GB",
            "CADENCE_ENGINE": "spark",
            "CADENCE_SPARK_DRIVER_MEMORY": "1g",
            "CADENCE_DBT_THREADS": "3",
            "CADENCE_DBT_FILE_LOG_LEVEL": "debug",
        }
    )

    with resources_for(settings)["duckdb"].dbt_environment():
        seen = tuple(
            os.environ[name]
            for name in (
                "CADENCE_HOME",
                "CADENCE_DUCKDB_MEMORY_LIMIT",
                "CADENCE_ENGINE",
                "CADENCE_SPARK_DRIVER_MEMORY",
                "CADENCE_DBT_THREADS",
                "CADENCE_DUCKDB_CHECKPOINT_THRESHOLD",
                "DBT_LOG_LEVEL_FILE",
            )
        )

    assert seen == (str(tmp_path), "2GB", "spark", "1g", "3", "4GB", "debug")
    assert "CADENCE_ENGINE" not in os.environ
    assert os.environ["CADENCE_HOME"] == "/somewhere/else"
    assert "CADENCE_DUCKDB_MEMORY_LIMIT" not in os.environ


def test_the_resources_follow_the_settings(tmp_path):
    settings = Settings.from_env(
        {"CADENCE_HOME": str(tmp_path), "CADENCE_SOURCES": "crm", "CADENCE_KEEP_VERSIONS": "7"}
    )
    resources = resources_for(settings)

    assert resources["landing"].declared_sources == ("crm",)
    assert resources["published"].path == tmp_path / "published"
    assert resources["published"].keep_versions == 7
    assert resources["quality"].docs_dir == tmp_path / "reports" / "data_docs"


def test_publishing_reads_the_marts_where_the_engine_built_them(tmp_path):
    manifest = tmp_path / "manifest.json"
    duckdb_built = resources_for(Settings.from_env({"CADENCE_HOME": str(tmp_path)}))["duckdb"]
    spark_built = resources_for(
        Settings.from_env({"CADENCE_HOME": str(tmp_path), "CADENCE_ENGINE": "spark"})
    )["duckdb"]

    assert duckdb_built.built_marts(manifest) == DuckDBMarts(tmp_path / "warehouse.duckdb")
    assert spark_built.built_marts(manifest) == ParquetMarts(
        tmp_path / "lake" / "spark-warehouse", manifest
    )
    assert spark_built.lake_dir == duckdb_built.lake_dir == tmp_path / "lake"
    # Only Spark's dbt sources read the raw lake: only its runs write it.
    assert (spark_built.reads_raw_lake, duckdb_built.reads_raw_lake) == (True, False)


def test_dbt_opens_the_warehouse_with_the_settings_duckdb_configuration(tmp_path):
    shown = run_dbt(
        tmp_path,
        "show",
        "--inline",
        "select current_setting('checkpoint_threshold') as checkpoint_threshold, "
        "current_setting('memory_limit') as memory_limit",
        "--output",
        "json",
        "--log-format",
        "text",
        env={"CADENCE_DUCKDB_MEMORY_LIMIT": "512MB"},
    )

    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert '"checkpoint_threshold": "3.7 GiB"' in shown.stdout
    assert '"memory_limit": "488.2 MiB"' in shown.stdout
