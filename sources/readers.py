"""Read a run's landed files of one entity into the temp table `landed_text`: a row per data
row, values as text.

CSV files sharing a header, and JSON-lines files, are parsed in one scan of DuckDB's multi-file
reader, which keeps each row's file and records the lines it rejects with file, line, column
and error. A file the scan cannot take is read alone, so that it alone is refused. Each row
keeps its file and line so a rejected value can be traced back. Rows the file format itself
cannot parse (a CSV row with the wrong number of fields, a line that is not a JSON object) are kept
with `structural_error` set instead of being dropped.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import duckdb

from sources.contract import Entity, Mapping, mapping_for
from sources.encoding import UnknownEncodingError, as_parseable_text
from sources.landing import LandedFile
from sources.sql import quote_identifier, quote_literal


class RefusedFileError(ValueError):
    """A file that cannot be loaded at all: it is logged with this status and its reason (and the
    data rows it holds, where they could be counted), and blocks publishing."""

    def __init__(self, status: str, reason: str, data_rows: int | None = None):
        super().__init__(reason)
        self.status = status
        self.data_rows = data_rows


@dataclass(frozen=True)
class FileRead:
    """What became of one landed file: `loaded`, `no_rows` (a header only, or an empty JSON-lines
    file), or a status of sources.extract.REFUSED_STATUSES with a one-line `message`."""

    status: str
    encoding: str | None
    mapping: str | None
    data_rows: int | None  # None where a refused file's rows cannot be counted
    message: str | None = None


@dataclass(frozen=True)
class Header:
    """A file's columns, by position: which holds each contract column, which are extra."""

    keys: list[str]  # the names that key the columns in `raw_record` and `_extra`
    contract: dict[str, int]  # contract column -> position
    extras: list[int]
    mapping: Mapping | None


# DuckDB's default (2 MB) quarantined a row for one long CRM note; a longer line is quarantined
# with its first 10,000 characters (all DuckDB keeps of a rejected line). No cost was measurable.
MAX_LINE_BYTES = 64 * 1024 * 1024

LANDED_TEXT_META = {
    "source_file": "VARCHAR",
    "_dt": "DATE",
    "line_number": "BIGINT",
    "_extra": "VARCHAR",
    "raw_record": "VARCHAR",
    "structural_error": "VARCHAR",
    "structural_column": "VARCHAR",
}


def create_landed_text(con: duckdb.DuckDBPyConnection, entity: Entity) -> None:
    columns = {**LANDED_TEXT_META, **dict.fromkeys(entity.column_names, "VARCHAR")}
    ddl = ", ".join(f"{quote_identifier(c)} {t}" for c, t in columns.items())
    con.execute(f"CREATE OR REPLACE TEMP TABLE landed_text ({ddl})")


def _record_keys(names: list[str]) -> list[str]:
    """Unique JSON keys for a file's columns: a blank or repeated name is keyed by its position
    (`column_10`, `note_11`), so that no value is dropped from `raw_record` or `_extra`."""
    keys: list[str] = []
    for position, name in enumerate(names, start=1):
        blank_or_repeated = not name.strip() or name in keys
        keys.append(f"{name.strip() or 'column'}_{position}" if blank_or_repeated else name)
    return keys


def _resolve_header(entity: Entity, names: list[str]) -> Header:
    """Where each contract column is; refuses a header that lacks a required column or names a
    contract column twice (which of the two holds the value is anyone's guess)."""
    mapping = mapping_for(entity, names)
    renames = mapping.headers if mapping else {}
    contract: dict[str, int] = {}
    extras = []
    for position, original in enumerate(names):
        name = renames.get(original.strip(), original.strip()).lower()
        if name not in entity.column_names:
            extras.append(position)
        elif name in contract:
            raise RefusedFileError(
                "bad_header",
                f"header names column '{name}' twice (columns {contract[name] + 1} and "
                f"{position + 1})",
            )
        else:
            contract[name] = position
    for column in entity.columns:
        if column.required and column.name not in contract:
            raise RefusedFileError(
                "bad_header",
                f"header lacks required column '{column.name}' (entity {entity.qualified_name}; "
                f"header: {', '.join(names)})",
            )
    return Header(_record_keys(names), contract, extras, mapping)


def _resolve_counted_header(entity: Entity, names: list[str], data_rows: int) -> Header:
    """`_resolve_header`, whose refusal also says how many data rows the file held."""
    try:
        return _resolve_header(entity, names)
    except RefusedFileError as refusal:
        raise RefusedFileError(refusal.status, str(refusal), data_rows) from None


def _value_expression(column: str, source_expr: str, mapping: Mapping | None) -> str:
    """The file's value for `column`, with the vendor mapping's coded values translated."""
    codes = (mapping.values if mapping else {}).get(column)
    if not codes:
        return source_expr
    whens = " ".join(f"WHEN {quote_literal(k)} THEN {quote_literal(v)}" for k, v in codes.items())
    return f"CASE trim({source_expr}) {whens} ELSE {source_expr} END"


def _header_select(header: Header, value_of) -> dict[str, str]:
    """`_extra`, `raw_record` and the contract columns; `value_of(position)` is a column's text."""
    select_list = {
        "_extra": _struct_json({header.keys[p]: value_of(p) for p in header.extras}),
        "raw_record": _struct_json({k: value_of(p) for p, k in enumerate(header.keys)}),
    }
    for column, position in header.contract.items():
        select_list[column] = _value_expression(column, value_of(position), header.mapping)
    return select_list


def _insert_select(con, entity: Entity, select_list: dict[str, str], from_sql: str) -> int:
    """Insert into landed_text; the number of rows inserted."""
    columns = ", ".join(quote_identifier(c) for c in select_list)
    expressions = ", ".join(select_list.values())
    return con.execute(
        f"INSERT INTO landed_text ({columns}) SELECT {expressions} {from_sql}"
    ).fetchone()[0]


def _struct_json(fields: dict[str, str]) -> str:
    if not fields:
        return "NULL"
    pairs = ", ".join(f"{quote_identifier(k)} := {v}" for k, v in fields.items())
    return f"to_json(struct_pack({pairs}))"


# DuckDB's own reader options per format: a CSV file as it is, a JSON-lines file as one VARCHAR
# column per physical line (JSON is parsed in SQL, so a bad line keeps its line number).
CSV_DIALECT = "header = true, delim = ',', quote = '\"', escape = '\"'"
LINES_DIALECT = "header = false, delim = E'\\x1f', quote = '', escape = ''"
NOT_EVEN_A_HEADER = "empty file, not even a header (a quiet day is a header-only file)"
MESSAGE_CHARS = 500
# What reading a file can raise because of what it holds: the file is refused, never the run.
READ_ERRORS = (
    RefusedFileError,
    UnknownEncodingError,
    duckdb.Error,
    OSError,
    csv.Error,
    UnicodeError,
)


@dataclass(frozen=True)
class TextFile:
    """A landed CSV or JSON-lines file as DuckDB parses it: UTF-8 with one kind of line ending
    (`text_path` is a transcoded copy where the file is not)."""

    landed: LandedFile
    day: str
    text_path: Path
    encoding: str


def _one_line(error: Exception) -> str:
    """An error's first line: DuckDB's messages go on with pages of parser options."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return (lines[0] if lines else type(error).__name__)[:MESSAGE_CHARS]


def _refused(error: Exception) -> FileRead:
    """The load-log entry of a file that reading raised `error` for (one of READ_ERRORS)."""
    if isinstance(error, RefusedFileError):
        return FileRead(error.status, None, None, error.data_rows, str(error))
    if isinstance(error, UnknownEncodingError):
        return FileRead("unknown_encoding", None, None, None, str(error))
    return FileRead("unreadable", None, None, None, _one_line(error))


def _parse_files(
    con, files: list[TextFile], columns: list[str], dialect: str, header_lines: int, counted: str
) -> dict[str, int]:
    """Parse text files in one scan of DuckDB's strict CSV reader, columns as VARCHAR, into
    `parsed_rows`, keeping the lines it rejects (`parse_rejects`, with their file). Returns each
    file's data rows (parsed rows meeting `counted`, plus rejected lines) by text path, and leaves
    `file_rows` (one row per file) for `_located`."""
    con.execute(
        """CREATE OR REPLACE TEMP TABLE parsed_files AS
        SELECT unnest($read) AS read_path, unnest($landed) AS source_file,
            CAST(unnest($day) AS DATE) AS _dt""",
        {
            "read": [str(f.text_path) for f in files],
            "landed": [str(f.landed.path) for f in files],
            "day": [f.day for f in files],
        },
    )
    paths = "[" + ", ".join(quote_literal(str(f.text_path)) for f in files) + "]"
    columns_arg = "{" + ", ".join(f"{quote_literal(c)}: 'VARCHAR'" for c in columns) + "}"
    con.execute("DROP TABLE IF EXISTS parse_rejects; DROP TABLE IF EXISTS parse_reject_scans")
    # Rows are numbered in scan order, which is file by file and line by line.
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE parsed_rows AS
        SELECT row_number() OVER () AS row_index, *
        FROM read_csv({paths}, columns = {columns_arg}, {dialect},
            max_line_size = {MAX_LINE_BYTES}, auto_detect = false, parallel = false,
            hive_partitioning = false, filename = true, store_rejects = true,
            rejects_table = 'parse_rejects', rejects_scan = 'parse_reject_scans')"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE rejected_lines AS
        SELECT DISTINCT s.file_path AS filename, e.line
        FROM parse_rejects e JOIN parse_reject_scans s USING (scan_id, file_id)"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE file_rows AS
        SELECT f.*, coalesce(p.first_index, 0) AS first_index,
            coalesce(p.rows, 0) + coalesce(r.lines, 0) AS data_rows
        FROM parsed_files f
        LEFT JOIN (
            SELECT filename, min(row_index) AS first_index, count(*) FILTER ({counted}) AS rows
            FROM parsed_rows GROUP BY filename
        ) p ON p.filename = f.read_path
        LEFT JOIN (SELECT filename, count(*) AS lines FROM rejected_lines GROUP BY filename) r
            ON r.filename = f.read_path"""
    )
    return dict(con.execute("SELECT read_path, data_rows FROM file_rows").fetchall())


def _located(con, header_lines: int) -> str:
    """`parsed_rows` of the files left in `file_rows`, with each row's file, day and line, as SQL
    to select from. A rejected line shifts the line of every later row of its file: only then is
    each row's line looked up (clean files, the common case, need no join)."""
    position = "r.row_index - f.first_index"  # rows of its file before this one
    located = f"r.*, f.source_file, f._dt, {position} + 1 + {header_lines}"
    joined = "parsed_rows r JOIN file_rows f ON f.read_path = r.filename"
    if not con.execute("SELECT count(*) FROM rejected_lines").fetchone()[0]:
        return f"(SELECT {located} AS line_number FROM {joined})"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE line_skips AS
        WITH rejected AS (
            SELECT filename, line - {header_lines} AS data_position,
                row_number() OVER (PARTITION BY filename ORDER BY line) AS skipped
            FROM rejected_lines
        )
        SELECT filename, data_position - skipped AS threshold, max(skipped) AS skipped
        FROM rejected GROUP BY ALL"""
    )
    return f"""(SELECT {located} + coalesce(s.skipped, 0) AS line_number
        FROM {joined}
        ASOF LEFT JOIN line_skips s ON s.filename = r.filename AND {position} >= s.threshold)"""


def _insert_rejected_lines(con, column_of_index: str) -> None:
    """The lines the parser rejected in the files left in `file_rows`, as rows with
    `structural_error` set (a line's first error; one too long has no column)."""
    con.execute(
        f"""INSERT INTO landed_text
            (source_file, _dt, line_number, raw_record, structural_error, structural_column)
        SELECT f.source_file, f._dt, e.line, any_value(e.csv_line),
            arg_min(e.error_message, coalesce(e.column_idx, -1)), {column_of_index}
        FROM parse_rejects e JOIN parse_reject_scans s USING (scan_id, file_id)
            JOIN file_rows f ON f.read_path = s.file_path
        GROUP BY f.source_file, f._dt, e.line"""
    )


def _in_one_scan(con, files: list[TextFile], read) -> dict[Path, FileRead]:
    """`read(files)` in one scan. When the scan fails (DuckDB's strict parser refuses some files
    as a whole), the file its error names, or else each file, is read alone: a file is refused
    alone and the others still load. A file listed twice (two links to it) is read alone too."""
    results: dict[Path, FileRead] = {}
    seen: set[Path] = set()
    pending, twice = [], []
    for f in files:
        (twice if f.text_path in seen else pending).append(f)
        seen.add(f.text_path)
    for f in twice:
        results |= _in_one_scan(con, [f], read)
    while pending:
        try:
            return results | read(pending)
        except READ_ERRORS as error:
            # A scan that failed halfway may have landed some rows: none of them count.
            con.execute(
                "DELETE FROM landed_text WHERE list_contains(?, source_file)",
                [[str(f.landed.path) for f in pending]],
            )
            if len(pending) == 1:
                return results | {pending[0].landed.path: _refused(error)}
            named = [f for f in pending if str(f.text_path) in str(error)][:1]
            for f in named or pending:
                results |= _in_one_scan(con, [f], read)
            pending = [f for f in pending if f not in named] if named else []
    return results


def _read_csv_header(text_path: Path) -> list[str] | None:
    with open(text_path, encoding="utf-8-sig") as f:
        return next(csv.reader(io.StringIO(f.readline())), None)


def _records_by_python(text_path: Path) -> int | None:
    """Non-blank CSV records as Python's csv module counts them; None when it cannot say (a
    value beyond the line limit)."""
    limit = csv.field_size_limit(MAX_LINE_BYTES)
    try:
        with open(text_path, encoding="utf-8-sig", newline="") as f:
            return sum(1 for record in csv.reader(f) if record) - 1
    except csv.Error:
        return None
    finally:
        csv.field_size_limit(limit)


def _refuse_an_unclosed_quote(text_path: Path, parsed_records: int) -> None:
    """DuckDB's strict parser stops without a word at a quoted value that is never closed: every
    later row would be lost. Only a file with an odd number of quotes can hold one (an inch mark
    in an unquoted value is another reason), so only those are counted again."""
    if text_path.read_bytes().count(b'"') % 2 == 0:
        return
    records = _records_by_python(text_path)
    if records is None or records > parsed_records:
        raise RefusedFileError(
            "unreadable",
            f"a quoted value is never closed: the parser stops after {parsed_records} of "
            f"{records if records is not None else 'more'} records",
            records,
        )


def _csv_text(entity: Entity, landed: LandedFile, day: str, scratch: Path):
    """The file as parseable text, and its header's names; refuses a file without a header."""
    if landed.target.stat().st_size == 0:
        raise RefusedFileError("empty", NOT_EVEN_A_HEADER, 0)
    text_path, encoding = as_parseable_text(landed.target, entity.fallback_encodings, scratch)
    names = _read_csv_header(text_path)
    if not names or all(not name.strip() for name in names):
        raise RefusedFileError("empty", NOT_EVEN_A_HEADER, 0)
    return TextFile(landed, day, text_path, encoding), names


def _read_csv_scan(con, entity: Entity, names: list[str], files: list[TextFile]):
    """Files that share the header `names`, in one scan."""
    data_rows = _parse_files(
        con, files, [f"c{i}" for i in range(len(names))], CSV_DIALECT, 1, "TRUE"
    )
    results: dict[Path, FileRead] = {}
    header = None
    for f in files:
        rows = data_rows[str(f.text_path)]
        try:
            _refuse_an_unclosed_quote(f.text_path, rows)
            header = _resolve_counted_header(entity, names, rows)
        except RefusedFileError as refusal:
            results[f.landed.path] = _refused(refusal)
    for path in results:
        con.execute("DELETE FROM file_rows WHERE source_file = ?", [str(path)])
    if header is None:  # every file refused
        return results
    select_list = {
        "source_file": "source_file",
        "_dt": "_dt",
        "line_number": "line_number",
        **_header_select(header, lambda position: f"c{position}"),
    }
    _insert_select(con, entity, select_list, f"FROM {_located(con, 1)}")
    # DuckDB names the offending column by its position: report the file's own header name.
    header_name = (
        "CASE min(e.column_idx) "
        + " ".join(f"WHEN {i} THEN {quote_literal(name)}" for i, name in enumerate(names))
        + " END"
    )
    _insert_rejected_lines(con, header_name)
    mapping = header.mapping.name if header.mapping else None
    for f in files:
        if f.landed.path not in results:
            rows = data_rows[str(f.text_path)]
            status = "loaded" if rows else "no_rows"
            results[f.landed.path] = FileRead(status, f.encoding, mapping, rows)
    return results


def read_csv(con, entity: Entity, files: list[tuple[LandedFile, str]], scratch: Path):
    """CSV files (landed file, day) into landed_text, one scan per distinct header."""
    results: dict[Path, FileRead] = {}
    by_header: dict[tuple[str, ...], list[TextFile]] = {}
    for landed, day in files:
        try:
            text, names = _csv_text(entity, landed, day, scratch)
        except READ_ERRORS as error:
            results[landed.path] = _refused(error)
        else:
            by_header.setdefault(tuple(names), []).append(text)
    for names, texts in by_header.items():
        results |= _in_one_scan(
            con, texts, lambda scan, names=names: _read_csv_scan(con, entity, list(names), scan)
        )
    return results


def _read_jsonl_scan(con, entity: Entity, files: list[TextFile]) -> dict[Path, FileRead]:
    non_blank = "trim(coalesce(line, '')) <> ''"
    data_rows = _parse_files(con, files, ["line"], LINES_DIALECT, 0, non_blank)
    known = "[" + ", ".join(quote_literal(c) for c in entity.column_names) + "]"
    select_list = {
        "source_file": "source_file",
        "_dt": "_dt",
        "line_number": "line_number",
        "_extra": (
            "CASE WHEN len(extra_entries) > 0 THEN to_json(map_from_entries(extra_entries)) END"
        ),
        "raw_record": "line",
        "structural_error": "CASE WHEN obj IS NULL THEN 'not a valid JSON object' END",
    }
    for position, column in enumerate(entity.column_names, start=1):
        select_list[column] = f"contract_values[{position}]"
    # JSON functions raise on malformed text, and DuckDB does not short-circuit: hand them only
    # objects (obj is NULL for any other line; valid JSON text starting with "{" is an object).
    # Each object is parsed once more, into a map: the contract columns and the extra keys both
    # come from it (parsing per column tripled the cost of reading a JSON file).
    objects = (
        "SELECT source_file, _dt, line_number, line, CASE WHEN json_valid(line) AND "
        "starts_with(ltrim(line, E' \\t\\r'), '{') THEN line END AS obj "
        f"FROM {_located(con, 0)} WHERE {non_blank}"
    )
    from_objects = (
        "FROM (SELECT source_file, _dt, line_number, line, obj, "
        f"[fields[c] FOR c IN {known}] AS contract_values, "
        f"list_filter(map_entries(fields), e -> NOT list_contains({known}, e.key)) "
        "AS extra_entries FROM (SELECT *, json_transform(obj, "
        f"'\"MAP(VARCHAR, VARCHAR)\"') AS fields FROM ({objects})))"
    )
    _insert_select(con, entity, select_list, from_objects)
    _insert_rejected_lines(con, "NULL")
    return {
        f.landed.path: FileRead(
            "loaded" if data_rows[str(f.text_path)] else "no_rows",
            f.encoding,
            None,
            data_rows[str(f.text_path)],
        )
        for f in files
    }


def read_jsonl(con, entity: Entity, files: list[tuple[LandedFile, str]], scratch: Path):
    """JSON-lines files (landed file, day) into landed_text, in one scan."""
    results: dict[Path, FileRead] = {}
    texts = []
    for landed, day in files:
        try:
            if landed.target.stat().st_size == 0:  # JSON lines have no header: a quiet day
                results[landed.path] = FileRead("no_rows", None, None, 0)
                continue
            text_path, encoding = as_parseable_text(
                landed.target, entity.fallback_encodings, scratch
            )
        except READ_ERRORS as error:
            results[landed.path] = _refused(error)
        else:
            texts.append(TextFile(landed, day, text_path, encoding))
    return results | _in_one_scan(con, texts, lambda scan: _read_jsonl_scan(con, entity, scan))


def _read_one_parquet(con, entity: Entity, landed: LandedFile, day: str) -> FileRead:
    source = (
        f"read_parquet({quote_literal(str(landed.target))}, file_row_number = true, "
        "hive_partitioning = false)"
    )
    names = [
        row[0]
        for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
        if row[0] != "file_row_number"
    ]
    data_rows = con.execute(f"SELECT count(*) FROM {source}").fetchone()[0]
    header = _resolve_counted_header(entity, names, data_rows)
    select_list = {
        "source_file": quote_literal(str(landed.path)),
        "_dt": f"DATE {quote_literal(day)}",
        "line_number": "file_row_number + 1",
        **_header_select(
            header, lambda position: f"CAST({quote_identifier(names[position])} AS VARCHAR)"
        ),
    }
    _insert_select(con, entity, select_list, f"FROM {source}")
    return FileRead(
        "loaded" if data_rows else "no_rows",
        "parquet",
        header.mapping.name if header.mapping else None,
        data_rows,
    )


def read_parquet(con, entity: Entity, files: list[tuple[LandedFile, str]], scratch: Path):
    """Parquet files (landed file, day) into landed_text, one at a time: each file has its own
    schema, and few land (the orders of some days)."""
    results = {}
    for landed, day in files:
        try:
            results[landed.path] = _read_one_parquet(con, entity, landed, day)
        except READ_ERRORS as error:
            con.execute("DELETE FROM landed_text WHERE source_file = ?", [str(landed.path)])
            results[landed.path] = _refused(error)
    return results


READERS = {"csv": read_csv, "jsonl": read_jsonl, "parquet": read_parquet}
