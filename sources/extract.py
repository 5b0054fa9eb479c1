"""Load landed partitions of one entity into the raw schema, replacing exactly those partitions.

For every file: rows that meet the contract go to `raw.<source>__<entity>`, the others to
`raw.rejects` with file, line, column, raw value and reason; the file itself is logged in
`raw.load_log`. Conservation holds per file: data rows = loaded rows + rejected rows. A file that
cannot be loaded at all is logged with its reason and loads no row; whatever it holds, the other
files and days still load.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from sources.contract import Entity
from sources.landing import LandedFile, file_format, inside, partition_dir, partition_entries
from sources.readers import READERS, FileRead, create_landed_text
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


# One entry of the load log, as collected while reading: (day, path, format, read, message).
LogEntry = tuple[str, Path, str | None, FileRead, str | None]


def _log(log: list[LogEntry], day: str, path: Path, fmt, read: FileRead, message=None) -> None:
    """Note a file's fate; the message defaults to the read's, naming the file."""
    if message is None and read.message:
        message = f"{path}: {read.message}"
    log.append((day, path, fmt, read, message))


def _write_log_batch(con, entity: Entity, log: list[LogEntry]) -> None:
    """The entries as temp table load_log_batch, in one statement (one per file took seconds)."""
    columns = {
        "_dt": ("DATE", [day for day, *_ in log]),
        "source_file": ("VARCHAR", [str(path) for _, path, *_ in log]),
        "file_format": ("VARCHAR", [fmt for _, _, fmt, *_ in log]),
        "encoding": ("VARCHAR", [read.encoding for *_, read, _ in log]),
        "mapping": ("VARCHAR", [read.mapping for *_, read, _ in log]),
        "status": ("VARCHAR", [read.status for *_, read, _ in log]),
        "data_rows": ("BIGINT", [read.data_rows for *_, read, _ in log]),
        "message": ("VARCHAR", [message for *_, message in log]),
    }
    selected = ", ".join(
        f"CAST(unnest(${name}) AS {sql_type}) AS {name}" for name, (sql_type, _) in columns.items()
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE load_log_batch AS
        SELECT $entity AS entity, {selected}""",
        {"entity": entity.qualified_name} | {name: values for name, (_, values) in columns.items()},
    )


MISSING = FileRead("missing_partition", None, None, None)


def _not_read(status: str, message: str) -> FileRead:
    return FileRead(status, None, None, None, message)


def _entry(
    log: list[LogEntry], entity: Entity, landing: Path, path: Path, day: str
) -> LandedFile | None:
    """An entry of a partition folder as a file to read, or None: a folder (not data), or a file
    that cannot be read, which is logged with why."""
    fmt = file_format(path)
    target = inside(landing, path)
    if target is None:
        where = f"resolves to {os.path.realpath(path)}, outside the landing tree; not read"
        _log(log, day, path, fmt, _not_read("outside_landing", where))
        return None
    if target.is_dir():
        return None
    if not target.is_file():
        reason = "not a regular file (a broken link, a pipe or a device)"
        _log(log, day, path, fmt, _not_read("unreadable", reason))
        return None
    if fmt not in entity.formats:
        accepted = f"{entity.qualified_name} accepts {', '.join(entity.formats)}"
        _log(log, day, path, fmt, _not_read("unsupported_format", accepted))
        return None
    return LandedFile(path, target)


def _partition_files(
    log: list[LogEntry], entity: Entity, landing: Path, day: dt.date
) -> list[tuple[LandedFile, str]]:
    """The files of a day's partition to read (landed file, day); what cannot be read is
    logged, and so is a day without a data file."""
    folder = partition_dir(landing, entity, day)
    iso = day.isoformat()
    if inside(landing, folder) is None:
        where = f"resolves to {os.path.realpath(folder)}, outside the landing tree; not read"
        _log(log, iso, folder, None, _not_read("outside_landing", where))
        return []
    if not folder.is_dir():
        message = f"no folder {folder} for {entity.qualified_name} on {iso}"
        _log(log, iso, folder, None, MISSING, message)
        return []
    entries = partition_entries(folder)
    if all(_is_folder(landing, p) for p in entries):
        _log(log, iso, folder, None, MISSING, f"folder {folder} holds no data file")
        return []
    found = [_entry(log, entity, landing, p, iso) for p in entries]
    return [(landed, iso) for landed in found if landed is not None]


def _is_folder(landing: Path, path: Path) -> bool:
    target = inside(landing, path)
    return target is not None and target.is_dir()


def load_partitions(
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    landing: Path,
    days: Iterable[dt.date],
    scratch: Path,
    on_day_read: Callable[[dt.date], None] = lambda day: None,
) -> LoadSummary:
    """Replace the given days of `entity` in the raw schema with what landed for them;
    `on_day_read` follows the days listed (their files are then read together)."""
    days = sorted(set(days))
    ensure_tables(con, entity)
    create_landed_text(con, entity)
    log: list[LogEntry] = []
    by_format: dict[str, list[tuple[LandedFile, str]]] = {}
    for day in days:
        for landed, iso in _partition_files(log, entity, landing, day):
            by_format.setdefault(file_format(landed.path), []).append((landed, iso))
        on_day_read(day)
    for fmt, files in by_format.items():
        day_of = {landed.path: iso for landed, iso in files}
        for path, read in READERS[fmt](con, entity, files, scratch).items():
            _log(log, day_of[path], path, fmt, read)
    _write_log_batch(con, entity, log)
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
