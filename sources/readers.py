"""Read one landed file into the temp table `landed_text`: a row per data row, values as text.

Each row keeps its file and line so a rejected value can be traced back. Rows the file format itself
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
from sources.encoding import as_parseable_text
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
    status: str  # loaded | no_rows (header only, or an empty JSON-lines file)
    encoding: str | None
    mapping: str | None
    data_rows: int


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


def _lineage(landed: LandedFile, day: str) -> dict[str, str]:
    return {"source_file": quote_literal(str(landed.path)), "_dt": f"DATE {quote_literal(day)}"}


@dataclass(frozen=True)
class ParsedLines:
    rows: int  # rows parsed, in `parsed_rows`
    rejected: int  # lines the parser rejected, in `parse_rejects`
    relation: str  # `parsed_rows` with each row's line in the file, as SQL to select from


def _parse_lines(
    con, text_path: Path, columns: list[str], dialect: str, header_lines: int
) -> ParsedLines:
    """Parse a text file with DuckDB's strict CSV reader, columns as VARCHAR, keeping the lines
    it rejects. A rejected line shifts the line of every later row: only then is each row's line
    looked up (a clean file, the common case, needs no join)."""
    columns_arg = "{" + ", ".join(f"{quote_literal(c)}: 'VARCHAR'" for c in columns) + "}"
    con.execute("DROP TABLE IF EXISTS parse_rejects; DROP TABLE IF EXISTS parse_reject_scans")
    rows = con.execute(
        f"""CREATE OR REPLACE TEMP TABLE parsed_rows AS
        SELECT row_number() OVER () AS row_index, *
        FROM read_csv({quote_literal(str(text_path))}, columns = {columns_arg}, {dialect},
            max_line_size = {MAX_LINE_BYTES}, auto_detect = false, parallel = false,
            hive_partitioning = false, store_rejects = true, rejects_table = 'parse_rejects',
            rejects_scan = 'parse_reject_scans')"""
    ).fetchone()[0]
    rejected = con.execute("SELECT count(DISTINCT line) FROM parse_rejects").fetchone()[0]
    if not rejected:
        relation = f"(SELECT *, row_index + {header_lines} AS line_number FROM parsed_rows)"
        return ParsedLines(rows, 0, relation)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE line_skips AS
        WITH rejected AS (
            SELECT line - {header_lines} AS data_position,
                row_number() OVER (ORDER BY line) AS skipped
            FROM (SELECT DISTINCT line FROM parse_rejects)
        )
        SELECT data_position - skipped AS threshold, max(skipped) AS skipped
        FROM rejected GROUP BY 1"""
    )
    relation = f"""(SELECT r.*, r.row_index + {header_lines} + coalesce(s.skipped, 0) AS line_number
        FROM parsed_rows r ASOF LEFT JOIN line_skips s ON r.row_index - 1 >= s.threshold)"""
    return ParsedLines(rows, rejected, relation)


def _insert_rejected_lines(con, landed: LandedFile, day: str, column_of_index: str) -> None:
    """The lines the parser rejected, as rows with `structural_error` set (a line's first error;
    one too long has no column)."""
    lineage = _lineage(landed, day)
    con.execute(
        f"""INSERT INTO landed_text
            (source_file, _dt, line_number, raw_record, structural_error, structural_column)
        SELECT {lineage["source_file"]}, {lineage["_dt"]}, line, any_value(csv_line),
            arg_min(error_message, coalesce(column_idx, -1)), {column_of_index}
        FROM parse_rejects GROUP BY line"""
    )


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


def read_csv(con, entity: Entity, landed: LandedFile, day: str, scratch: Path) -> FileRead:
    not_even_a_header = "empty file, not even a header (a quiet day is a header-only file)"
    if landed.target.stat().st_size == 0:
        raise RefusedFileError("empty", not_even_a_header, 0)
    text_path, encoding = as_parseable_text(landed.target, entity.fallback_encodings, scratch)
    names = _read_csv_header(text_path)
    if not names or all(not name.strip() for name in names):
        raise RefusedFileError("empty", not_even_a_header, 0)
    positional = [f"c{i}" for i in range(len(names))]
    parsed = _parse_lines(
        con, text_path, positional, "header = true, delim = ',', quote = '\"', escape = '\"'", 1
    )
    data_rows = parsed.rows + parsed.rejected
    _refuse_an_unclosed_quote(text_path, data_rows)
    header = _resolve_counted_header(entity, names, data_rows)
    select_list = {
        **_lineage(landed, day),
        "line_number": "line_number",
        **_header_select(header, lambda position: f"c{position}"),
    }
    _insert_select(con, entity, select_list, f"FROM {parsed.relation}")
    if parsed.rejected:
        # DuckDB names the offending column by its position: report the file's own header name.
        header_name = (
            "CASE min(column_idx) "
            + " ".join(f"WHEN {i} THEN {quote_literal(name)}" for i, name in enumerate(names))
            + " END"
        )
        _insert_rejected_lines(con, landed, day, header_name)
    status = "loaded" if data_rows else "no_rows"
    mapping = header.mapping.name if header.mapping else None
    return FileRead(status, encoding, mapping, data_rows)


def read_jsonl(con, entity: Entity, landed: LandedFile, day: str, scratch: Path) -> FileRead:
    if landed.target.stat().st_size == 0:
        return FileRead("no_rows", None, None, 0)  # JSON lines have no header: a quiet day
    text_path, encoding = as_parseable_text(landed.target, entity.fallback_encodings, scratch)
    # A VARCHAR column per physical line, JSON parsed in SQL: a bad line keeps its line number.
    parsed = _parse_lines(
        con, text_path, ["line"], "header = false, delim = E'\\x1f', quote = '', escape = ''", 0
    )
    known = "[" + ", ".join(quote_literal(c) for c in entity.column_names) + "]"
    select_list = {
        **_lineage(landed, day),
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
    non_blank = f"FROM {parsed.relation} WHERE trim(coalesce(line, '')) <> ''"
    objects = (
        "SELECT line_number, line, CASE WHEN json_valid(line) AND "
        "starts_with(ltrim(line, E' \\t\\r'), '{') THEN line END AS obj "
        f"{non_blank}"
    )
    from_objects = (
        f"FROM (SELECT line_number, line, obj, [fields[c] FOR c IN {known}] AS contract_values, "
        f"list_filter(map_entries(fields), e -> NOT list_contains({known}, e.key)) "
        "AS extra_entries FROM (SELECT *, json_transform(obj, "
        f"'\"MAP(VARCHAR, VARCHAR)\"') AS fields FROM ({objects})))"
    )
    # Every non-blank line becomes one row, parsed or not: counting the insert counts the data
    # rows without scanning the lines again. A line too long to parse is one more.
    data_rows = _insert_select(con, entity, select_list, from_objects)
    if parsed.rejected:
        _insert_rejected_lines(con, landed, day, "NULL")
        data_rows += parsed.rejected
    return FileRead("loaded" if data_rows else "no_rows", encoding, None, data_rows)


def read_parquet(con, entity: Entity, landed: LandedFile, day: str, scratch: Path) -> FileRead:
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
        **_lineage(landed, day),
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


READERS = {"csv": read_csv, "jsonl": read_jsonl, "parquet": read_parquet}
