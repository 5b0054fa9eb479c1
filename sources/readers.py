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
from sources.encoding import as_utf8_file
from sources.sql import quote_identifier, quote_literal


class ExtractionError(RuntimeError):
    """A file cannot be loaded at all (its header breaks the contract): the partition fails."""


@dataclass(frozen=True)
class FileRead:
    status: str  # loaded | no_rows (header only) | empty (no header either)
    encoding: str | None
    mapping: str | None
    data_rows: int


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


def _resolve_header(
    entity: Entity, header: list[str], path: Path
) -> tuple[dict[str, str], list[str], Mapping | None]:
    """Contract column -> file column, the file's extra columns, and the vendor mapping used."""
    mapping = mapping_for(entity, header)
    renames = mapping.headers if mapping else {}
    by_contract_name: dict[str, str] = {}
    extras = []
    for original in header:
        name = renames.get(original.strip(), original.strip()).lower()
        if name in entity.column_names and name not in by_contract_name:
            by_contract_name[name] = original
        else:
            extras.append(original)
    for column in entity.columns:
        if column.required and column.name not in by_contract_name:
            raise ExtractionError(
                f"{path}: header lacks required column '{column.name}' "
                f"(entity {entity.qualified_name}; header: {', '.join(header)})"
            )
    return by_contract_name, extras, mapping


def _value_expression(column: str, source_expr: str, mapping: Mapping | None) -> str:
    """The file's value for `column`, with the vendor mapping's coded values translated."""
    codes = (mapping.values if mapping else {}).get(column)
    if not codes:
        return source_expr
    whens = " ".join(f"WHEN {quote_literal(k)} THEN {quote_literal(v)}" for k, v in codes.items())
    return f"CASE trim({source_expr}) {whens} ELSE {source_expr} END"


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


def _read_csv_header(text_path: Path, encoding: str) -> list[str] | None:
    with open(text_path, encoding="utf-8-sig" if encoding == "utf-8-sig" else "utf-8") as f:
        return next(csv.reader(io.StringIO(f.readline())), None)


def read_csv(con, entity: Entity, path: Path, day: str, scratch: Path) -> FileRead:
    if path.stat().st_size == 0:
        return FileRead("empty", None, None, 0)
    text_path, encoding = as_utf8_file(path, entity.fallback_encodings, scratch)
    header = _read_csv_header(text_path, encoding)
    if not header or all(not h.strip() for h in header):
        return FileRead("empty", encoding, None, 0)
    by_contract, extras, mapping = _resolve_header(entity, header, path)
    positional = {f"c{i}": original for i, original in enumerate(header)}
    file_column = {original: f"c{i}" for i, original in enumerate(header)}
    columns_arg = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in positional) + "}"
    con.execute("DROP TABLE IF EXISTS csv_rejects; DROP TABLE IF EXISTS csv_reject_scans")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE csv_rows AS
        SELECT row_number() OVER () AS row_index, *
        FROM read_csv({quote_literal(str(text_path))}, columns = {columns_arg}, header = true,
            delim = ',', quote = '"', escape = '"', auto_detect = false, parallel = false,
            hive_partitioning = false, store_rejects = true, rejects_table = 'csv_rejects',
            rejects_scan = 'csv_reject_scans')"""
    )
    # A rejected row shifts the line of every later valid row: map row_index to the file line.
    con.execute(
        """CREATE OR REPLACE TEMP TABLE csv_skips AS
        WITH rejected AS (
            SELECT line - 1 AS data_position, row_number() OVER (ORDER BY line) AS skipped
            FROM (SELECT DISTINCT line FROM csv_rejects)
        )
        SELECT data_position - skipped AS threshold, max(skipped) AS skipped
        FROM rejected GROUP BY 1"""
    )
    select_list = {
        "source_file": quote_literal(str(path)),
        "_dt": f"DATE {quote_literal(day)}",
        "line_number": "r.row_index + 1 + coalesce(s.skipped, 0)",
        "_extra": _struct_json(
            {file_column_name: f"r.{file_column[file_column_name]}" for file_column_name in extras}
        ),
        "raw_record": _struct_json({h: f"r.{file_column[h]}" for h in header}),
    }
    for column, original in by_contract.items():
        select_list[column] = _value_expression(column, f"r.{file_column[original]}", mapping)
    _insert_select(
        con,
        entity,
        select_list,
        "FROM csv_rows r ASOF LEFT JOIN csv_skips s ON r.row_index - 1 >= s.threshold",
    )
    # DuckDB names the offending column by its position: report the file's own header name.
    header_name = (
        "CASE min(column_idx) "
        + " ".join(f"WHEN {i} THEN {quote_literal(name)}" for i, name in enumerate(header))
        + " END"
    )
    con.execute(
        f"""INSERT INTO landed_text
            (source_file, _dt, line_number, raw_record, structural_error, structural_column)
        SELECT {quote_literal(str(path))}, DATE {quote_literal(day)}, line,
            any_value(csv_line), arg_min(error_message, column_idx),
            {header_name}
        FROM csv_rejects GROUP BY line"""
    )
    valid = con.execute("SELECT count(*) FROM csv_rows").fetchone()[0]
    rejected = con.execute("SELECT count(DISTINCT line) FROM csv_rejects").fetchone()[0]
    data_rows = valid + rejected
    status = "loaded" if data_rows else "no_rows"
    return FileRead(status, encoding, mapping.name if mapping else None, data_rows)


def read_jsonl(con, entity: Entity, path: Path, day: str, scratch: Path) -> FileRead:
    if path.stat().st_size == 0:
        return FileRead("no_rows", None, None, 0)  # JSON lines have no header: a quiet day
    text_path, encoding = as_utf8_file(path, entity.fallback_encodings, scratch)
    # A VARCHAR column per physical line, JSON parsed in SQL: a bad line keeps its line number.
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE json_lines AS
        SELECT row_number() OVER () AS line_number, line
        FROM read_csv({quote_literal(str(text_path))}, columns = {{'line': 'VARCHAR'}},
            header = false, delim = E'\\x1f', quote = '', escape = '', auto_detect = false,
            parallel = false)"""
    )
    known = "[" + ", ".join(quote_literal(c) for c in entity.column_names) + "]"
    select_list = {
        "source_file": quote_literal(str(path)),
        "_dt": f"DATE {quote_literal(day)}",
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
    non_blank = "FROM json_lines WHERE trim(coalesce(line, '')) <> ''"
    objects = (
        "SELECT line_number, line, CASE WHEN json_valid(line) AND "
        "starts_with(ltrim(line, E' \\t\\r'), '{') THEN line END AS obj "
        f"{non_blank}"
    )
    parsed = (
        f"FROM (SELECT line_number, line, obj, [fields[c] FOR c IN {known}] AS contract_values, "
        f"list_filter(map_entries(fields), e -> NOT list_contains({known}, e.key)) "
        "AS extra_entries FROM (SELECT *, json_transform(obj, "
        f"'\"MAP(VARCHAR, VARCHAR)\"') AS fields FROM ({objects})))"
    )
    # Every non-blank line becomes one row, parsed or not: counting the insert counts the data
    # rows without scanning the lines again.
    data_rows = _insert_select(con, entity, select_list, parsed)
    return FileRead("loaded" if data_rows else "no_rows", encoding, None, data_rows)


def read_parquet(con, entity: Entity, path: Path, day: str, scratch: Path) -> FileRead:
    source = (
        f"read_parquet({quote_literal(str(path))}, file_row_number = true, "
        "hive_partitioning = false)"
    )
    header = [
        row[0]
        for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
        if row[0] != "file_row_number"
    ]
    by_contract, extras, mapping = _resolve_header(entity, header, path)

    def text(column: str) -> str:
        return f"CAST({quote_identifier(column)} AS VARCHAR)"

    select_list = {
        "source_file": quote_literal(str(path)),
        "_dt": f"DATE {quote_literal(day)}",
        "line_number": "file_row_number + 1",
        "_extra": _struct_json({c: text(c) for c in extras}),
        "raw_record": _struct_json({c: text(c) for c in header}),
    }
    for column, original in by_contract.items():
        select_list[column] = _value_expression(column, text(original), mapping)
    _insert_select(con, entity, select_list, f"FROM {source}")
    data_rows = con.execute(f"SELECT count(*) FROM {source}").fetchone()[0]
    return FileRead(
        "loaded" if data_rows else "no_rows",
        "parquet",
        mapping.name if mapping else None,
        data_rows,
    )


READERS = {"csv": read_csv, "jsonl": read_jsonl, "parquet": read_parquet}
