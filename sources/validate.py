"""Typed values and contract violations of the rows in `landed_text`, as SQL from the contract.

Every violation of a row is listed; the row is rejected when it has any. Numeric ranges are not
checked here: an out-of-range value is loaded and blocks publishing through the quality gates, so
that a data engineer sees it rather than losing the row.
"""

from __future__ import annotations

from sources.contract import Column, Entity
from sources.sql import quote_identifier, quote_literal

SQL_TYPES = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "decimal": "DECIMAL(18, 2)",
    "timestamp": "TIMESTAMP",
}
EPOCH_SECONDS = r"^\d{9,10}(\.\d+)?$"
EXPLICIT_OFFSET = r"\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|z|[+-]\d{2}(:?\d{2})?)$"


def _text(column: Column) -> str:
    """The landed value with empty and whitespace-only text read as missing."""
    return f"nullif(trim({quote_identifier(column.name)}), '')"


def timestamp_expression(value: str, entity: Entity) -> str:
    """UTC timestamp from epoch seconds, ISO 8601 with an offset, or naive local time."""
    formats = "[" + ", ".join(quote_literal(f) for f in entity.timestamp_formats) + "]"
    naive = f"try_cast({value} AS TIMESTAMP)"
    if entity.timestamp_formats:
        naive = f"coalesce({naive}, try_strptime({value}, {formats}))"
    return f"""CASE
        WHEN regexp_matches({value}, '{EPOCH_SECONDS}')
            THEN timezone('UTC', to_timestamp(CAST({value} AS DOUBLE)))
        WHEN regexp_matches({value}, '{EXPLICIT_OFFSET}')
            THEN timezone('UTC', try_cast({value} AS TIMESTAMPTZ))
        ELSE timezone('UTC', timezone({quote_literal(entity.timezone)}, {naive}))
    END"""


def typed_expression(column: Column, entity: Entity) -> str:
    value = _text(column)
    if column.allowed:
        whens = " ".join(
            f"WHEN {quote_literal(a.lower())} THEN {quote_literal(a)}" for a in column.allowed
        )
        return f"CASE lower({value}) {whens} END"
    if column.type == "timestamp":
        return timestamp_expression(value, entity)
    if column.type == "string":
        return f"nullif({quote_identifier(column.name)}, '')"
    return f"try_cast({value} AS {SQL_TYPES[column.type]})"


def _violation(column: Column, condition: str, reason: str) -> str:
    return (
        f"CASE WHEN {condition} THEN struct_pack(column_name := {quote_literal(column.name)}, "
        f"raw_value := {quote_identifier(column.name)}, "
        f"reason := {quote_literal(f'{column.name}: {reason}')}) END"
    )


def violations(column: Column, typed: str) -> list[str]:
    value = _text(column)
    found = []
    if column.required:
        found.append(_violation(column, f"{value} IS NULL", "required value missing"))
    if column.allowed:
        allowed = ", ".join(column.allowed)
        found.append(
            _violation(
                column,
                f"{value} IS NOT NULL AND {typed} IS NULL",
                f"value not in allowed set [{allowed}]",
            )
        )
    elif column.type != "string":
        found.append(
            _violation(
                column, f"{value} IS NOT NULL AND {typed} IS NULL", f"unparseable {column.type}"
            )
        )
    return found


def validated_select(entity: Entity) -> str:
    """SELECT over landed_text: typed contract columns, lineage, and the list of violations."""
    typed = {c.name: typed_expression(c, entity) for c in entity.columns}
    structural = (
        "[struct_pack(column_name := structural_column, raw_value := raw_record, "
        "reason := structural_error)]"
    )
    checks = [v for column in entity.columns for v in violations(column, typed[column.name])]
    typed_list = ",\n        ".join(
        f"{expr} AS {quote_identifier(name)}" for name, expr in typed.items()
    )
    # The contract columns as landed (after any vendor mapping), kept for rejected rows only: the
    # quality gates count their missing keys and disallowed values from it.
    landed_record = ", ".join(
        f"{quote_identifier(name)} := landed_text.{quote_identifier(name)}" for name in typed
    )
    return f"""SELECT
        {typed_list},
        _extra, source_file, line_number, _dt, raw_record,
        CASE WHEN structural_error IS NOT NULL THEN {structural}
            ELSE list_filter([{", ".join(checks)}], v -> v IS NOT NULL) END AS violations,
        CASE WHEN structural_error IS NULL AND len(violations) > 0
            THEN CAST(to_json(struct_pack({landed_record})) AS VARCHAR) END AS landed_record
    FROM landed_text"""
