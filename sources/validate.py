"""Typed values and contract violations of the rows in `landed_text`, as SQL from the contract.

Every violation of a row is listed, each with the name of the rule it breaks
(`required:customer_id`, `allowed:activity_type`, `range:amount`, `unparseable:occurred_at`, or
`unparseable:line` for a line that is not a record); the row is rejected when it has any. The
quality gates judge a day's rejected rows by rule (expectations/rejects.py).
"""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class RowRule:
    """One way a landed row breaks the contract: `condition` (SQL over landed_text, given the
    column's typed expression) is true for the rows that break it."""

    name: str
    column: str
    reason: str
    condition: str


def column_rules(column: Column, typed: str) -> list[RowRule]:
    value = _text(column)
    present_but_untyped = f"{value} IS NOT NULL AND {typed} IS NULL"
    found = []
    if column.required:
        found.append(
            RowRule(
                f"required:{column.name}", column.name, "required value missing", f"{value} IS NULL"
            )
        )
    if column.allowed:
        found.append(
            RowRule(
                f"allowed:{column.name}",
                column.name,
                f"value not in allowed set [{', '.join(column.allowed)}]",
                present_but_untyped,
            )
        )
    elif column.type != "string":
        found.append(
            RowRule(
                f"unparseable:{column.name}",
                column.name,
                f"unparseable {column.type}",
                present_but_untyped,
            )
        )
    if column.value_range:
        low, high = column.value_range
        found.append(
            RowRule(
                f"range:{column.name}",
                column.name,
                f"value out of range [{low}, {high}]",
                f"{typed} NOT BETWEEN {low!r} AND {high!r}",
            )
        )
    return found


# A line the reader could not split into the file's columns (its own reason comes from the reader).
UNPARSEABLE_LINE = RowRule(
    "unparseable:line", "", "not a record of its file's format", "structural_error IS NOT NULL"
)


def rejection_rules(entity: Entity) -> list[RowRule]:
    """Every rule by which a row of `entity` is rejected: the unparseable line, then the rules of
    its contract columns."""
    return [UNPARSEABLE_LINE] + [
        rule
        for column in entity.columns
        for rule in column_rules(column, typed_expression(column, entity))
    ]


def _violation(rule: RowRule) -> str:
    return (
        f"CASE WHEN {rule.condition} THEN struct_pack(rule := {quote_literal(rule.name)}, "
        f"column_name := {quote_literal(rule.column)}, "
        f"raw_value := {quote_identifier(rule.column)}, "
        f"reason := {quote_literal(f'{rule.column}: {rule.reason}')}) END"
    )


def validated_select(entity: Entity) -> str:
    """SELECT over landed_text: typed contract columns, lineage, and the list of violations."""
    typed = {c.name: typed_expression(c, entity) for c in entity.columns}
    structural = (
        f"[struct_pack(rule := {quote_literal(UNPARSEABLE_LINE.name)}, "
        "column_name := structural_column, raw_value := raw_record, reason := structural_error)]"
    )
    checks = [_violation(r) for r in rejection_rules(entity) if r is not UNPARSEABLE_LINE]
    typed_list = ",\n        ".join(
        f"{expr} AS {quote_identifier(name)}" for name, expr in typed.items()
    )
    # The contract columns as landed (after any vendor mapping), kept for rejected rows only, for
    # whoever reviews them (raw_record holds the line as the file had it).
    landed_record = ", ".join(
        f"{quote_identifier(name)} := landed_text.{quote_identifier(name)}" for name in typed
    )
    return f"""SELECT
        {typed_list},
        _extra, source_file, line_number, _dt, raw_record,
        CASE WHEN {UNPARSEABLE_LINE.condition} THEN {structural}
            ELSE list_filter([{", ".join(checks)}], v -> v IS NOT NULL) END AS violations,
        CASE WHEN structural_error IS NULL AND len(violations) > 0
            THEN CAST(to_json(struct_pack({landed_record})) AS VARCHAR) END AS landed_record
    FROM landed_text"""
