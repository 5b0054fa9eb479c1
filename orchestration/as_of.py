"""The newest loaded day: the as-of date of the marts unless CADENCE_AS_OF names one
(orchestration.resources.Warehouse.as_of_date)."""

from __future__ import annotations

import datetime as dt

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
