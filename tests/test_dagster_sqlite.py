"""Dagster's local SQLite storage with pooled connections (orchestration/dagster_sqlite.py): a
home's instance uses it, in Dagster's own layout, so homes made before it open unchanged; what one
process writes another reads; and a long-lived process keeps a bounded number of files open."""

from __future__ import annotations

import logging
import time

import dagster as dg
import pytest
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from orchestration.dagster_instance import SQLITE_CONFIG, dagster_instance
from orchestration.dagster_sqlite import (
    OPEN_DATABASES,
    PooledSqliteEventLogStorage,
)
from orchestration.settings import POSTGRES_URL, Settings


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("CADENCE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "unused"))
    monkeypatch.delenv(POSTGRES_URL, raising=False)
    return tmp_path / "home"


def message(run_id: str, text: str) -> EventLogEntry:
    return EventLogEntry(
        error_info=None,
        level=logging.INFO,
        user_message=text,
        run_id=run_id,
        timestamp=time.time(),
        step_key=None,
        job_name="a_job",
        dagster_event=None,
    )


def test_a_homes_instance_keeps_its_events_in_dagsters_own_layout(home):
    with dagster_instance(Settings.from_env()) as instance:
        assert isinstance(instance.event_log_storage, PooledSqliteEventLogStorage)
        instance.event_log_storage.store_event(message("run-1", "hello"))
    assert (home / "dagster" / "dagster.yaml").read_text() == SQLITE_CONFIG.read_text()
    # Where Dagster's default SQLite storage keeps them: a home made before reads the same files.
    assert (home / "dagster" / "history" / "runs" / "run-1.db").is_file()
    assert (home / "dagster" / "history" / "runs.db").is_file()
    with dg.DagsterInstance.local_temp(str(home / "dagster")) as plain:
        (entry,) = plain.event_log_storage.get_logs_for_run("run-1")
    assert entry.user_message == "hello"


def test_what_one_process_writes_another_reads_at_once(tmp_path):
    writer = PooledSqliteEventLogStorage(str(tmp_path))
    reader = SqliteEventLogStorage(str(tmp_path))
    writer.store_event(message("run-1", "first"))
    assert [e.user_message for e in reader.get_logs_for_run("run-1")] == ["first"]
    # The writer's connection stays open; the reader's second event shows up there too.
    PooledSqliteEventLogStorage(str(tmp_path)).store_event(message("run-1", "second"))
    assert [e.user_message for e in writer.get_logs_for_run("run-1")] == ["first", "second"]


def test_a_long_lived_process_keeps_a_bounded_number_of_databases_open(tmp_path):
    storage = PooledSqliteEventLogStorage(str(tmp_path))
    runs = [f"run-{number}" for number in range(OPEN_DATABASES + 2)]
    for run_id in runs:
        storage.store_event(message(run_id, "started"))
    assert len(storage._engines) == OPEN_DATABASES
    # An evicted run's database opens again when it is read.
    assert [e.user_message for e in storage.get_logs_for_run(runs[0])] == ["started"]
    # Wiping deletes the files: it closes them first, and the storage starts afresh.
    storage.wipe()
    assert storage.get_logs_for_run(runs[-1]) == []
