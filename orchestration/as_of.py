"""The as-of date of the marts: $CADENCE_AS_OF when set, else the newest loaded partition day."""

from __future__ import annotations

import datetime as dt
import os

import duckdb

from sources.contract import entities


def newest_loaded_day(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    tables = {
        row[0]
        for row in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw'"
        ).fetchall()
    }
    present = [e.table_name for e in entities().values() if e.table_name in tables]
    if not present:
        return None
    union = " UNION ALL ".join(f"SELECT max(_dt) AS d FROM raw.{t}" for t in present)
    return con.execute(f"SELECT max(d) FROM ({union})").fetchone()[0]


def resolve_as_of(con: duckdb.DuckDBPyConnection) -> dt.date:
    configured = os.environ.get("CADENCE_AS_OF")
    if configured:
        try:
            return dt.date.fromisoformat(configured)
        except ValueError as error:
            raise ValueError(f"CADENCE_AS_OF={configured!r} is not a YYYY-MM-DD date") from error
    return newest_loaded_day(con) or dt.datetime.now(dt.UTC).date()
