"""What a BI tool needs of a published mart beyond its rows: the descriptions, and a name that
resolves unqualified.

Descriptions: dbt's `persist_docs` writes the yml descriptions as comments in the warehouse;
`CREATE TABLE AS` copies data, not comments, so they are copied here from the attached
warehouse's `duckdb_tables()` (or `duckdb_views()`) / `duckdb_columns()`.

Names: a connection starts in schema `main`, and DuckDB takes `search_path` only once connected
(`duckdb.connect(config={"search_path": ...})`, hence duckdb-engine's connect arguments, refuse
it as a global option), so Superset, Metabase and harlequin could only ever write
`marts.mart_x`. A view `main.<mart>` over `marts.<mart>` lets every tool write `from <mart>`
with no setting of its own.
"""

from __future__ import annotations

import duckdb

from sources.sql import quote_identifier, quote_literal

MASKED_NOTE = " Masked in this file; the restricted file holds it as is."


def _warehouse_comments(
    con: duckdb.DuckDBPyConnection, table: str
) -> tuple[str | None, list[tuple[str, str]]]:
    # A view when Spark built the marts (orchestration/publishing/built_marts.py).
    (table_comment,) = con.execute(
        """SELECT comment FROM duckdb_tables()
        WHERE database_name = 'warehouse' AND schema_name = 'marts' AND table_name = $table
        UNION ALL
        SELECT comment FROM duckdb_views()
        WHERE database_name = 'warehouse' AND schema_name = 'marts' AND view_name = $table""",
        {"table": table},
    ).fetchone()
    # Only the columns the published table holds: internal ones are not published (masking.py).
    columns = con.execute(
        """SELECT column_name, comment FROM duckdb_columns()
        WHERE database_name = 'warehouse' AND schema_name = 'marts' AND table_name = $table
            AND comment IS NOT NULL AND comment <> ''
            AND column_name IN (
                SELECT column_name FROM duckdb_columns()
                WHERE database_name = current_database() AND schema_name = 'marts'
                    AND table_name = $table
            )
        ORDER BY column_index""",
        {"table": table},
    ).fetchall()
    return table_comment or None, columns


def make_bi_ready(
    con: duckdb.DuckDBPyConnection, table: str, masked_columns: tuple[str, ...] = ()
) -> None:
    """Comment `marts.<table>` of `con`'s database as `warehouse.marts.<table>` is commented (a
    masked column's comment says so), and expose it as the commented view `main.<table>`."""
    name = quote_identifier(table)
    con.execute(f"CREATE OR REPLACE VIEW main.{name} AS SELECT * FROM marts.{name}")
    table_comment, columns = _warehouse_comments(con, table)
    for kind, relation in (("TABLE", f"marts.{name}"), ("VIEW", f"main.{name}")):
        if table_comment:
            con.execute(f"COMMENT ON {kind} {relation} IS {quote_literal(table_comment)}")
        for column, comment in columns:
            note = MASKED_NOTE if column in masked_columns else ""
            con.execute(
                f"COMMENT ON COLUMN {relation}.{quote_identifier(column)} "
                f"IS {quote_literal(comment + note)}"
            )
