"""Where publishing reads the marts a run built, by engine (CADENCE_ENGINE): the DuckDB warehouse
file, or the Parquet tables Spark wrote. Either is attached to a publishing connection as
catalog `warehouse` holding schema `marts` with each mart and its descriptions, so publishing
(build.py, changes.py, bi_ready.py) reads both the same way and readers see no difference.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import duckdb

from orchestration.publishing.mart_nodes import mart_nodes
from sources.sql import quote_identifier, quote_literal

CATALOG = "warehouse"


class BuiltMarts(Protocol):
    def attach(self, con: duckdb.DuckDBPyConnection) -> None:
        """Make the marts readable on `con` as `warehouse.marts.<mart>`, read-only."""


@dataclass(frozen=True)
class DuckDBMarts:
    """The marts dbt-duckdb built in the warehouse file, commented by dbt's persist_docs."""

    database: Path

    def attach(self, con: duckdb.DuckDBPyConnection) -> None:
        con.execute(f"ATTACH {quote_literal(str(self.database))} AS {CATALOG} (READ_ONLY)")


@dataclass(frozen=True)
class ParquetMarts:
    """The marts dbt-spark built: managed Parquet tables, each a folder
    `<warehouse_dir>/marts.db/<mart>/` of part files, or of `<column>=<value>/` folders for a
    partitioned one. Spark's metastore keeps the descriptions, which DuckDB cannot read, so they
    are taken from dbt's manifest, the text persist_docs writes on DuckDB."""

    warehouse_dir: Path
    manifest_path: Path

    def attach(self, con: duckdb.DuckDBPyConnection) -> None:
        con.execute(f"ATTACH ':memory:' AS {CATALOG}")
        con.execute(f"CREATE SCHEMA {CATALOG}.marts")
        schema_dir = self.warehouse_dir / "marts.db"
        if not schema_dir.is_dir():
            return
        descriptions = _descriptions(self.manifest_path)
        for folder in sorted(p for p in schema_dir.iterdir() if p.is_dir()):
            table, documented = descriptions.get(folder.name, ("", {}))
            scan = parquet_scan(folder)
            types = dict(
                row[:2] for row in con.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()
            )
            found = list(types)
            # The documented order is the model's (dbt-duckdb's table); Spark moves partition
            # columns last.
            ordered = [c for c in documented if c in found] + [
                c for c in found if c not in documented
            ]
            view = f"{CATALOG}.marts.{quote_identifier(folder.name)}"
            select = ", ".join(_as_in_duckdb(c, types[c]) for c in ordered)
            con.execute(f"CREATE VIEW {view} AS SELECT {select} FROM {scan}")
            if table:
                con.execute(f"COMMENT ON VIEW {view} IS {quote_literal(table)}")
            for column in ordered:
                if documented.get(column):
                    con.execute(
                        f"COMMENT ON COLUMN {view}.{quote_identifier(column)} "
                        f"IS {quote_literal(documented[column])}"
                    )


def _as_in_duckdb(column: str, data_type: str) -> str:
    """`column` typed as the DuckDB engine's table types it. Spark's timestamps are instants,
    stored in Parquet as adjusted to UTC, which DuckDB reads as TIMESTAMP WITH TIME ZONE; every
    timestamp of the marts is UTC, and the DuckDB engine's are TIMESTAMP: the same wall time in
    UTC."""
    name = quote_identifier(column)
    if data_type == "TIMESTAMP WITH TIME ZONE":
        return f"timezone('UTC', {name}) AS {name}"
    return name


def parquet_scan(folder: Path) -> str:
    """A table folder as read_parquet: partition folders become columns. Spark's `_SUCCESS`
    marker and `.crc` checksums are not Parquet and are left out by the pattern."""
    partitioned = any(p.is_dir() and "=" in p.name for p in folder.iterdir())
    pattern = folder / ("**" if partitioned else "") / "*.parquet"
    return (
        f"read_parquet({quote_literal(str(pattern))}, "
        f"hive_partitioning = {str(partitioned).lower()})"
    )


def _descriptions(manifest_path: Path) -> dict[str, tuple[str, dict[str, str]]]:
    """Each mart's description and its columns' from dbt's manifest."""
    return {
        node["alias"] or node["name"]: (
            node.get("description") or "",
            {name: spec.get("description") or "" for name, spec in node["columns"].items()},
        )
        for node in mart_nodes(manifest_path)
    }
