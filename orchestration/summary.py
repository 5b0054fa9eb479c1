"""What a run left in the warehouse, printed for people: rows per layer, rejects, file problems."""

from __future__ import annotations

from pathlib import Path

import duckdb

LAYERS = ("raw", "staging", "intermediate", "marts")


def table_counts(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int]]:
    tables = con.execute(
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_schema IN ('raw', 'staging', 'intermediate', 'marts') "
        "ORDER BY table_schema, table_name"
    ).fetchall()
    counts = [
        (schema, name, con.execute(f'SELECT count(*) FROM "{schema}"."{name}"').fetchone()[0])
        for schema, name in tables
    ]
    return sorted(counts, key=lambda row: (LAYERS.index(row[0]), row[1]))


def rejects_by_reason(con: duckdb.DuckDBPyConnection, limit: int = 15) -> list[tuple]:
    return con.execute(
        """SELECT entity, coalesce(column_name, '(row)') AS column_name,
            regexp_replace(reason, '\\[.*\\]', '[...]') AS reason, count(*) AS rows
        FROM raw.rejects GROUP BY ALL ORDER BY rows DESC, entity LIMIT ?""",
        [limit],
    ).fetchall()


def file_problems(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(
        "SELECT entity, _dt, status, message FROM raw.load_log "
        "WHERE status NOT IN ('loaded', 'no_rows') ORDER BY _dt, entity"
    ).fetchall()


def render(warehouse: Path) -> str:
    if not warehouse.exists():
        return f"no warehouse at {warehouse}"
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        lines = ["Rows per layer:"]
        lines += [f"  {s + '.' + n:<40} {rows:>12,}" for s, n, rows in table_counts(con)]
        has_raw = con.execute(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema = 'raw' AND table_name = 'rejects'"
        ).fetchone()[0]
        if has_raw:
            rejects = rejects_by_reason(con)
            lines.append("Rejected rows (kept in raw.rejects with file, line, column, reason):")
            lines += [f"  {e:<15} {c:<18} {n:>8,}  {r}" for e, c, r, n in rejects] or ["  none"]
            problems = file_problems(con)
            lines.append("File problems (raw.load_log):")
            lines += [f"  {d} {e:<15} {s:<18} {m}" for e, d, s, m in problems] or ["  none"]
        return "\n".join(lines)
    finally:
        con.close()
