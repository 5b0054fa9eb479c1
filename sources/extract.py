"""Load landed partitions of one entity into the raw schema, replacing exactly those partitions.

For every file: rows that meet the contract go to `raw.<source>__<entity>`, the others to
`raw.rejects` with file, line, column, raw value and reason; the file itself is logged in
`raw.load_log`. Conservation holds per file: data rows = loaded rows + rejected rows. A file that
cannot be loaded at all is logged with its reason and loads no row; whatever it holds, the other
files and days still load.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb

from sources.contract import Entity
from sources.encoding import UnknownEncodingError
from sources.landing import LandedFile, file_format, inside, partition_dir, partition_entries
from sources.readers import READERS, RefusedFileError, create_landed_text
from sources.sql import quote_identifier, quote_literal
from sources.validate import SQL_TYPES, validated_select

LINEAGE_COLUMNS = {
    "_extra": "VARCHAR",
    "_source_file": "VARCHAR",
    "_line_number": "BIGINT",
    "_dt": "DATE",
    "_loaded_at": "TIMESTAMP",
}
REJECTS_DDL = """CREATE TABLE IF NOT EXISTS raw.rejects (
    entity VARCHAR, _dt DATE, source_file VARCHAR, line_number BIGINT, column_name VARCHAR,
    raw_value VARCHAR, reason VARCHAR, raw_record VARCHAR, _loaded_at TIMESTAMP,
    landed_record VARCHAR, rules VARCHAR[])"""
# Files that were not loaded, by why: each blocks publishing (expectations/, check `files`) until
# it is fixed and its day re-run, or acknowledged.
REFUSED_STATUSES = (
    "empty",  # a CSV without even a header
    "unknown_encoding",
    "unsupported_format",
    "bad_header",  # a required column missing, or a contract column named twice
    "unreadable",  # the parser gave up on it, or it is not a regular file
    "outside_landing",  # it resolves outside the landing tree: never read
)
MESSAGE_CHARS = 500
LOAD_LOG_DDL = """CREATE TABLE IF NOT EXISTS raw.load_log (
    entity VARCHAR, _dt DATE, source_file VARCHAR, file_format VARCHAR, encoding VARCHAR,
    mapping VARCHAR, status VARCHAR, data_rows BIGINT, loaded_rows BIGINT,
    rejected_rows BIGINT, message VARCHAR, _loaded_at TIMESTAMP)"""


@dataclass
class LoadSummary:
    entity: str
    days: int
    files: int
    data_rows: int
    loaded_rows: int
    rejected_rows: int
    problems: list[str]


def raw_table(entity: Entity) -> str:
    return f"raw.{entity.table_name}"


def ensure_tables(con: duckdb.DuckDBPyConnection, entity: Entity) -> None:
    """Create the raw tables; add columns the contract gained since the table was created."""
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    con.execute(REJECTS_DDL)
    # Warehouses created before rejects kept the contract columns as landed.
    con.execute("ALTER TABLE raw.rejects ADD COLUMN IF NOT EXISTS landed_record VARCHAR")
    # ... and the rules each row broke, which the quality gates judge by day.
    con.execute("ALTER TABLE raw.rejects ADD COLUMN IF NOT EXISTS rules VARCHAR[]")
    con.execute(LOAD_LOG_DDL)
    columns = {c.name: SQL_TYPES[c.type] for c in entity.columns} | LINEAGE_COLUMNS
    ddl = ", ".join(f"{quote_identifier(c)} {t}" for c, t in columns.items())
    con.execute(f"CREATE TABLE IF NOT EXISTS {raw_table(entity)} ({ddl})")
    # pragma_table_info reads one table; information_schema.columns took over a second to list
    # every column of every catalog.
    existing = {
        row[0]
        for row in con.execute(
            f"SELECT name FROM pragma_table_info({quote_literal(raw_table(entity))})"
        ).fetchall()
    }
    for column, sql_type in columns.items():
        if column not in existing:
            con.execute(
                f"ALTER TABLE {raw_table(entity)} ADD COLUMN {quote_identifier(column)} {sql_type}"
            )


def _log(con, entity: Entity, day: str, path: Path, fmt, status, message=None, **read):
    """One row of load_log_batch; `read` holds what was learnt of the file (FileRead's fields)."""
    con.execute(
        "INSERT INTO load_log_batch VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?)",
        [
            entity.qualified_name,
            day,
            str(path),
            fmt,
            read.get("encoding"),
            read.get("mapping"),
            status,
            read.get("data_rows"),
            message,
        ],
    )


def _one_line(error: Exception) -> str:
    """An error's first line: DuckDB's messages go on with pages of parser options."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return (lines[0] if lines else type(error).__name__)[:MESSAGE_CHARS]


def _read_file(con, entity: Entity, landing: Path, path: Path, day: str, scratch: Path) -> bool:
    """Load one entry of a partition folder, or log why it was refused; never raises for what
    the file holds. False for a folder, which is not data."""
    fmt = file_format(path)
    target = inside(landing, path)
    if target is None:
        message = f"{path}: resolves to {os.path.realpath(path)}, outside the landing tree"
        _log(con, entity, day, path, fmt, "outside_landing", f"{message}; not read")
        return True
    if target.is_dir():
        return False
    if not target.is_file():
        reason = "not a regular file (a broken link, a pipe or a device)"
        _log(con, entity, day, path, fmt, "unreadable", f"{path}: {reason}")
        return True
    if fmt not in entity.formats:
        accepted = ", ".join(entity.formats)
        message = f"{path}: {entity.qualified_name} accepts {accepted}"
        _log(con, entity, day, path, fmt, "unsupported_format", message)
        return True
    try:
        read = READERS[fmt](con, entity, LandedFile(path, target), day, scratch)
    except RefusedFileError as refusal:
        status, data_rows, message = refusal.status, refusal.data_rows, str(refusal)
    except UnknownEncodingError as error:
        status, data_rows, message = "unknown_encoding", None, str(error)
    except (duckdb.Error, OSError, csv.Error, UnicodeError) as error:
        status, data_rows, message = "unreadable", None, _one_line(error)
    else:
        _log(con, entity, day, path, fmt, **asdict(read))
        return True
    # A reader that failed halfway may have landed some of the file's rows: none of them count.
    con.execute("DELETE FROM landed_text WHERE source_file = ?", [str(path)])
    _log(con, entity, day, path, fmt, status, f"{path}: {message}", data_rows=data_rows)
    return True


def _read_partition(con, entity: Entity, landing: Path, day: dt.date, scratch: Path) -> None:
    folder = partition_dir(landing, entity, day)
    iso = day.isoformat()
    if inside(landing, folder) is None:
        message = f"{folder}: resolves to {os.path.realpath(folder)}, outside the landing tree"
        _log(con, entity, iso, folder, None, "outside_landing", f"{message}; not read")
        return
    if not folder.is_dir():
        message = f"no folder {folder} for {entity.qualified_name} on {iso}"
        _log(con, entity, iso, folder, None, "missing_partition", message)
        return
    files = [_read_file(con, entity, landing, p, iso, scratch) for p in partition_entries(folder)]
    if not any(files):
        message = f"folder {folder} holds no data file"
        _log(con, entity, iso, folder, None, "missing_partition", message)


def load_partitions(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    landing: Path,
    days: Iterable[dt.date],
    scratch: Path,
    on_day_read: Callable[[dt.date], None] = lambda day: None,
) -> LoadSummary:
    """Replace the given days of `entity` in the raw schema with what landed for them;
    `on_day_read` follows the reading, day by day."""
    days = sorted(set(days))
    ensure_tables(con, entity)
    create_landed_text(con, entity)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE load_log_batch AS SELECT * EXCLUDE (_loaded_at) "
        "FROM raw.load_log LIMIT 0"
    )
    for day in days:
        _read_partition(con, entity, landing, day, scratch)
        on_day_read(day)
    con.execute(f"CREATE OR REPLACE TEMP TABLE validated AS {validated_select(entity)}")
    loaded_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    day_list = ", ".join(f"DATE {quote_literal(d.isoformat())}" for d in days) or "NULL"
    name = quote_literal(entity.qualified_name)
    columns = ", ".join(quote_identifier(c) for c in entity.column_names)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"DELETE FROM {raw_table(entity)} WHERE _dt IN ({day_list})")
        con.execute(f"DELETE FROM raw.rejects WHERE entity = {name} AND _dt IN ({day_list})")
        con.execute(f"DELETE FROM raw.load_log WHERE entity = {name} AND _dt IN ({day_list})")
        con.execute(
            f"""INSERT INTO {raw_table(entity)}
                ({columns}, _extra, _source_file, _line_number, _dt, _loaded_at)
            SELECT {columns}, _extra, source_file, line_number, _dt, ?
            FROM validated WHERE len(violations) = 0""",
            [loaded_at],
        )
        con.execute(
            f"""INSERT INTO raw.rejects
            SELECT {name}, _dt, source_file, line_number, violations[1].column_name,
                violations[1].raw_value,
                array_to_string(list_transform(violations, v -> v.reason), '; '),
                raw_record, ?, landed_record, list_transform(violations, v -> v.rule)
            FROM validated WHERE len(violations) > 0""",
            [loaded_at],
        )
        con.execute(
            """INSERT INTO raw.load_log
            SELECT l.entity, l._dt, l.source_file, l.file_format, l.encoding, l.mapping, l.status,
                l.data_rows, coalesce(c.loaded, 0), coalesce(c.rejected, 0), l.message, ?
            FROM load_log_batch l
            LEFT JOIN (
                SELECT source_file, count(*) FILTER (len(violations) = 0) AS loaded,
                    count(*) FILTER (len(violations) > 0) AS rejected
                FROM validated GROUP BY source_file
            ) c USING (source_file)""",
            [loaded_at],
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return _summarise(con, entity, day_list, len(days))


def _summarise(con, entity: Entity, day_list: str, days: int) -> LoadSummary:
    files, data_rows, loaded, rejected = con.execute(
        f"""SELECT count(*) FILTER (status NOT IN ('missing_partition')),
            coalesce(sum(data_rows), 0), coalesce(sum(loaded_rows), 0),
            coalesce(sum(rejected_rows), 0)
        FROM raw.load_log
        WHERE entity = ? AND _dt IN ({day_list})""",
        [entity.qualified_name],
    ).fetchone()
    problems = [
        row[0]
        for row in con.execute(
            f"""SELECT message FROM raw.load_log
            WHERE entity = ? AND _dt IN ({day_list}) AND message IS NOT NULL ORDER BY _dt""",
            [entity.qualified_name],
        ).fetchall()
    ]
    return LoadSummary(entity.qualified_name, days, files, data_rows, loaded, rejected, problems)
