"""Write one published version from the warehouse: the masked file with its Parquet twins, and
the restricted file. Nothing here touches what readers currently see (see versions.py)."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import duckdb

from orchestration.publishing.masking import Mart
from sources.sql import quote_identifier, quote_literal

PUBLICATION_COMMENTS = {
    "version": "The published version (a folder under published/versions).",
    "run_id": "The Dagster run that built it.",
    "as_of_date": "The date the marts describe (local date of the reporting timezone).",
    "published_at": "When it was published (UTC).",
    "reporting_currency": "The currency of every money column (dbt var reporting_currency).",
}


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    rows = con.execute(
        """SELECT column_name FROM duckdb_columns()
        WHERE database_name = 'warehouse' AND schema_name = 'marts' AND table_name = ?
        ORDER BY column_index""",
        [table],
    ).fetchall()
    if not rows:
        raise RuntimeError(f"mart {table} is missing from the warehouse: was dbt run?")
    return [r[0] for r in rows]


def _open(path: Path, warehouse: Path, config: dict) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path), config=config)
    con.execute(f"ATTACH {quote_literal(str(warehouse))} AS warehouse (READ_ONLY)")
    con.execute("CREATE SCHEMA marts")
    return con


def _close(con: duckdb.DuckDBPyConnection, publication: dict) -> None:
    con.execute("CREATE SCHEMA meta")
    con.execute(
        """CREATE TABLE meta.publication AS SELECT
            CAST(? AS VARCHAR) AS version,
            CAST(? AS VARCHAR) AS run_id,
            CAST(? AS DATE) AS as_of_date,
            CAST(? AS TIMESTAMP) AS published_at,
            CAST(? AS VARCHAR) AS reporting_currency""",
        [
            publication["version"],
            publication["run_id"],
            publication["as_of_date"],
            publication["published_at"],
            publication["reporting_currency"],
        ],
    )
    for column, comment in PUBLICATION_COMMENTS.items():
        con.execute(f"COMMENT ON COLUMN meta.publication.{column} IS {quote_literal(comment)}")
    con.execute("DETACH warehouse")
    con.execute("CHECKPOINT")
    con.close()


def build_version(
    building: Path, warehouse: Path, marts: list[Mart], publication: dict, config: dict
) -> dict:
    """Fill `building` and return the version's manifest."""
    tables = {}
    public = _open(building / "cadence.duckdb", warehouse, config)
    for mart in marts:
        name = quote_identifier(mart.name)
        select = mart.published_select(_columns(public, mart.name))
        public.execute(f"CREATE TABLE marts.{name} AS SELECT {select} FROM warehouse.marts.{name}")
        parquet = building / "parquet" / f"{mart.name}.parquet"
        public.execute(
            f"COPY marts.{name} TO {quote_literal(str(parquet))} (FORMAT parquet, COMPRESSION zstd)"
        )
        rows = public.execute(f"SELECT count(*) FROM marts.{name}").fetchone()[0]
        tables[mart.name] = {"rows": rows, "masked_columns": mart.masked_columns}
    _close(public, publication)

    restricted_path = building / "cadence_restricted.duckdb"
    restricted = _open(restricted_path, warehouse, config)
    for mart in marts:
        if mart.has_personal_data:
            name = quote_identifier(mart.name)
            restricted.execute(f"CREATE TABLE marts.{name} AS SELECT * FROM warehouse.marts.{name}")
    _close(restricted, publication)
    os.chmod(restricted_path, 0o600)

    manifest = {
        **publication,
        "tables": tables,
        "restricted_tables": [m.name for m in marts if m.has_personal_data],
    }
    (building / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str))
    return manifest


def new_version_name(run_id: str) -> str:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return f"{stamp}-{run_id[:8]}"
