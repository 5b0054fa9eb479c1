"""Dagster's local SQLite storage, with each database's connection kept open between events.

Dagster's SQLite event log opens a new SQLAlchemy engine and connection for every event it
stores, and for an asset check's result it does so three times (the run's database, then the
cross-run index twice). A daily run of the dbt project stores about 1,100 events, so the
connecting, not the writing, cost seconds on every run (78-105 s of a 1M daily run at load 8-11,
14 s with this storage). This storage is Dagster's own, files and layout unchanged, with one pooled
engine per database: the same transactions, on connections that stay open and sync the log at
checkpoints. `dagster_sqlite.yaml` selects it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

import dagster._check as check
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    SQLITE_BUSY_TIMEOUT_SECONDS,
    SqliteEventLogStorage,
)
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage, _event_logs_directory
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine

# Engines kept open at once: the index's and the runs' being written. A daemon that launches run
# after run closes the oldest rather than holding a file open per run it ever saw.
OPEN_DATABASES = 8


def _sync_at_checkpoints(dbapi_connection, _record) -> None:
    # The databases are in WAL mode (Dagster sets it). There, synchronous=NORMAL syncs the log at
    # checkpoints rather than at every commit: a crash of the process loses nothing and cannot
    # corrupt a database; a power cut or a crash of the machine may lose the last events of a run
    # that was being written, which then shows as unfinished. It halves the cost of an event.
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """SqliteEventLogStorage whose `_connect` reuses one engine per database (shard)."""

    def __init__(self, base_dir: str, inst_data=None):
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        super().__init__(base_dir, inst_data)

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        # As Dagster's own: one connection at a time per storage, under its lock, so a pooled
        # sqlite3 connection is never used by two threads at once.
        with self._db_lock:
            check.str_param(shard, "shard")
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def _engine(self, shard: str) -> Engine:
        engine = self._engines.pop(shard, None)
        if engine is None:
            engine = create_engine(
                self.conn_string_for_shard(shard),
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            )
            event.listen(engine, "connect", _sync_at_checkpoints)
        self._engines[shard] = engine
        while len(self._engines) > OPEN_DATABASES:
            _, oldest = self._engines.popitem(last=False)
            oldest.dispose()
        return engine

    def _close_all(self) -> None:
        with self._db_lock:
            while self._engines:
                _, engine = self._engines.popitem()
                engine.dispose()

    def wipe(self) -> None:
        # Wiping deletes the databases' files: close them first.
        self._close_all()
        super().wipe()

    def dispose(self) -> None:
        self._close_all()
        super().dispose()


class PooledSqliteStorage(DagsterSqliteStorage):
    """Dagster's SQLite storage (runs, events, schedules under one base folder, laid out as
    Dagster lays them out) with the pooled event log."""

    def __init__(self, base_dir: str, inst_data=None):
        super().__init__(base_dir, inst_data)
        self._event_log_storage = PooledSqliteEventLogStorage(_event_logs_directory(base_dir))

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> PooledSqliteStorage:
        return cls.from_local(inst_data=inst_data, **config_value)
