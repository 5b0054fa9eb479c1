"""Dagster on PostgreSQL: the setting selects it; the daemon ticks the landing sensor and launches
the run that materialises the sample; a backfill of a day range follows, and the sensor's request
for a day that lands later; every run, event, cursor and registered day is kept there.

Each test that needs a server starts a throwaway cluster of its own (tests/postgres_cluster.py).
Without PostgreSQL's binaries they skip, except in CI (`CI` set), where they fail: `.ci/run`
installs Debian's `postgresql`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import psycopg2
import pytest
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage

from orchestration.cli.commands import main
from orchestration.dagster_instance import POSTGRES_CONFIG, SQLITE_CONFIG, dagster_instance
from orchestration.partitions import FIRST_DAY_TAG, LAST_DAY_TAG, landing_days
from orchestration.settings import POSTGRES_URL, REPO_ROOT, Settings
from sources.generator.cli import main as generate
from tests.bench.__main__ import link_days, partition_folders
from tests.conftest import materialize
from tests.postgres_cluster import server_binaries, throwaway_cluster
from tests.test_automation import evaluate_sensor

DAGSTER_BIN = Path(sys.executable).parent
# Small enough for a few minutes on two shared cores, long enough to hold the outage day.
SAMPLE_ARGS = ["--customers", "200", "--days", "40", "--seed", "11", "--quiet"]


@pytest.fixture
def postgres_url():
    if server_binaries() is None:
        if os.environ.get("CI"):
            pytest.fail(
                "PostgreSQL's server binaries are missing, and CI must run the Dagster-on-Postgres "
                "tests: .ci/run installs Debian's postgresql"
            )
        pytest.skip("PostgreSQL's server is not installed (apt-get install postgresql)")
    with throwaway_cluster() as url:
        yield url


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """Dagster's and Cadence's environment variables, restored after the test."""
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "unused"))
    monkeypatch.setenv("CADENCE_HOME", str(tmp_path / "unused"))
    monkeypatch.delenv(POSTGRES_URL, raising=False)
    return monkeypatch


def test_the_setting_selects_postgres_and_unsetting_it_returns_to_sqlite(
    tmp_path, isolated, postgres_url
):
    home = tmp_path / "home"
    isolated.setenv("CADENCE_HOME", str(home))
    isolated.setenv(POSTGRES_URL, postgres_url)
    with dagster_instance(Settings.from_env()) as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        assert isinstance(instance.schedule_storage, PostgresScheduleStorage)
    assert (home / "dagster" / "dagster.yaml").read_text() == POSTGRES_CONFIG.read_text()
    # The URL stays in the environment: no password is written to disk.
    assert postgres_url not in (home / "dagster" / "dagster.yaml").read_text()

    isolated.delenv(POSTGRES_URL)
    with dagster_instance(Settings.from_env()) as instance:
        assert not isinstance(instance.run_storage, PostgresRunStorage)
        assert "sqlite" in type(instance.event_log_storage).__name__.lower()
    assert (home / "dagster" / "dagster.yaml").read_text() == SQLITE_CONFIG.read_text()


def test_an_unreachable_database_is_one_clear_line_and_nothing_runs(tmp_path, isolated, capsys):
    home = tmp_path / "home"
    isolated.setenv("CADENCE_HOME", str(home))
    isolated.setenv("CADENCE_LANDING_DIR", str(tmp_path / "landing"))
    url = f"postgresql://cadence:s3cret@/dagster?host={tmp_path / 'no-server-here'}"
    isolated.setenv(POSTGRES_URL, url)

    assert main(["run"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"error: {POSTGRES_URL}=postgresql://cadence:***@/dagster?host=")
    assert "cannot connect" in line and "nothing was done" in line
    assert "s3cret" not in line
    assert not (home / "warehouse.duckdb").exists()


def test_sample_backfill_and_landing_sensor_run_on_postgres(tmp_path, isolated, postgres_url):
    isolated.setenv(POSTGRES_URL, postgres_url)
    sample, landing, home = tmp_path / "sample", tmp_path / "landing", tmp_path / "home"
    generate([*SAMPLE_ARGS, "--out", str(sample)])
    acknowledgements = sample / "acknowledgements.yml"
    isolated.setenv("CADENCE_HOME", str(home))
    isolated.setenv("CADENCE_LANDING_DIR", str(landing))
    isolated.setenv("CADENCE_ACKNOWLEDGEMENTS", str(acknowledgements))
    days = sorted(partition_folders(sample / "landing"))
    link_days(sample / "landing", landing, days[:-1])  # the newest day lands later
    instance = dagster_instance(Settings.from_env())

    # The daemon ticks the sensor, which finds every landed day; the run it queues and launches
    # (a process of its own) materialises the sample and publishes.
    (run,) = daemon_runs(instance, tmp_path / "daemon.log")
    assert run.status == dg.DagsterRunStatus.SUCCESS
    assert (run.tags[FIRST_DAY_TAG], run.tags[LAST_DAY_TAG]) == (days[0], days[-2])
    assert run.tags["dagster/sensor_name"] == "landing_sensor"
    assert (home / "published" / "cadence.duckdb").is_file()
    (sensor,) = instance.all_instigator_state()
    cursor = sensor.instigator_data.cursor  # kept in PostgreSQL

    backfill = materialize(instance, home, landing, acknowledgements, first=days[5], last=days[9])
    assert backfill.success

    # The newest day lands: from the daemon's cursor, the sensor asks for that day alone (and
    # registers it), without running it here: the two runs above are the machinery.
    link_days(sample / "landing", landing, days[-1:])
    late = evaluate_sensor(instance, landing, cursor)
    (request,) = late.run_requests
    assert (request.tags[FIRST_DAY_TAG], request.tags[LAST_DAY_TAG]) == (days[-1], days[-1])
    instance.dispose()

    # All of it is in PostgreSQL, read back through new connections; no SQLite file was written.
    with dagster_instance(Settings.from_env()) as fresh:
        runs = list(reversed(fresh.get_runs()))
        assert [run.status for run in runs] == [dg.DagsterRunStatus.SUCCESS] * 2
        assert [(run.tags[FIRST_DAY_TAG], run.tags[LAST_DAY_TAG]) for run in runs] == [
            (days[0], days[-2]),
            (days[5], days[9]),
        ]
        assert fresh.get_dynamic_partitions(landing_days.name) == days
    with psycopg2.connect(postgres_url) as con, con.cursor() as sql:
        sql.execute("SELECT run_id, count(*) FROM event_logs GROUP BY run_id")
        events = dict(sql.fetchall())
    # Every step, materialisation and check of each run.
    assert {run.run_id: events.get(run.run_id, 0) > 100 for run in runs} == dict.fromkeys(
        (run.run_id for run in runs), True
    ), events
    assert [p for p in (home / "dagster").rglob("*") if p.suffix in (".db", ".sqlite")] == []


def daemon_runs(instance: dg.DagsterInstance, log: Path, timeout: float = 900) -> list:
    """Switch the landing sensor on, run `dagster-daemon` until the first run it launched has
    finished, and return the instance's runs. The daemon and the runs use the environment
    (DAGSTER_HOME, the landing, the PostgreSQL URL) this test set."""
    workspace = ["-m", "orchestration.definitions"]
    subprocess.run(
        [DAGSTER_BIN / "dagster", "sensor", "start", "landing_sensor", *workspace],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
    )
    with open(log, "w") as out:
        daemon = subprocess.Popen(
            [DAGSTER_BIN / "dagster-daemon", "run", *workspace],
            cwd=REPO_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + timeout
            while not (runs := instance.get_runs()) or not runs[0].is_finished:
                assert daemon.poll() is None, f"the daemon exited: {log.read_text()[-2000:]}"
                assert time.monotonic() < deadline, f"no finished run: {log.read_text()[-2000:]}"
                time.sleep(5)
            return runs
        finally:
            daemon.terminate()
            daemon.wait(timeout=60)
