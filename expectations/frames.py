"""The pandas frames the suites validate, built in DuckDB with only the columns a check needs.

Row frames hold a run's landed rows of one entity: the rows loaded into `raw.<table>` and the
rows quarantined in `raw.rejects` (as landed, from `landed_record`), so that a missing key or a
disallowed value counts although extraction kept the row out of the raw table. Row-comparing
facts (copies, first delivery, lateness, references) are computed once in SQL over the whole
table; the frames are then fetched a bounded number of rows at a time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import duckdb
import pandas as pd

from expectations.config import EntityRules, VolumeRules
from sources.contract import Column, Entity, entities
from sources.sql import quote_identifier, quote_literal

CHUNK_ROWS = 2_000_000


def value_column(column: Column) -> str:
    """The frame column holding a ranged column's number."""
    return f"{column.name}__value"


def reference_column(column: str) -> str:
    return f"{column}__known"


def checked_columns(entity: Entity) -> list[Column]:
    return [c for c in entity.columns if c.required or c.allowed]


def ranged_columns(entity: Entity) -> list[Column]:
    return [c for c in entity.columns if c.value_range]


def key_columns(entity: Entity) -> list[str]:
    """A row's identity: versioned entities repeat their key once per version."""
    return [entity.key] + ([entity.latest_by] if entity.latest_by else [])


def _text(expr: str, column: Column) -> str:
    text = f"nullif(trim({expr}), '')"
    return f"lower({text})" if column.allowed else text


def _frame_values(entity: Entity, text_of) -> list[str]:
    values = [
        f"{_text(text_of(c), c)} AS {quote_identifier(c.name)}" for c in checked_columns(entity)
    ]
    values += [
        f"try_cast(nullif(trim({text_of(c)}), '') AS DOUBLE) AS {quote_identifier(value_column(c))}"
        for c in ranged_columns(entity)
    ]
    return values


def build_row_frames(
    con: duckdb.DuckDBPyConnection, entity: Entity, rules: EntityRules, days: list[dt.date]
) -> None:
    """Create the temp table `quality_rows` for `entity` over `days`."""
    table = f"raw.{entity.table_name}"
    con.execute("CREATE OR REPLACE TEMP TABLE run_days (day DATE PRIMARY KEY)")
    con.executemany("INSERT INTO run_days VALUES (?)", [[d] for d in sorted(set(days))])
    keys = ", ".join(quote_identifier(k) for k in key_columns(entity))
    content = ", ".join(quote_identifier(c) for c in entity.column_names)
    event_time = quote_identifier(rules.event_time)
    local_day = (
        f"CAST(timezone({quote_literal(entity.timezone)}, timezone('UTC', {event_time})) AS DATE)"
    )
    loaded_values = _frame_values(entity, lambda c: f"CAST({quote_identifier(c.name)} AS VARCHAR)")
    landed_values = _frame_values(
        entity, lambda c: f"json_extract_string(landed_record, {quote_literal('$.' + c.name)})"
    )
    flags = {}  # frame column -> boolean expression over loaded rows
    for column, target in rules.references.items():
        target_entity, target_column = target.rsplit(".", 1)
        flags[reference_column(column)] = (
            f"{quote_identifier(column)} IN (SELECT {quote_identifier(target_column)} "
            f"FROM raw.{entities()[target_entity].table_name})"
        )
    if rules.contact_columns:
        flags["has_contact"] = " OR ".join(
            f"{quote_identifier(c)} IS NOT NULL" for c in rules.contact_columns
        )
    extra_loaded = "".join(
        f",\n            ({e}) AS {quote_identifier(n)}" for n, e in flags.items()
    )
    window = f"PARTITION BY {keys}, _dt"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE quality_rows AS
        WITH loaded AS (
            SELECT *, hash({content}) AS content_hash
            FROM {table} SEMI JOIN run_days ON _dt = run_days.day
        ),
        first_delivery AS (
            SELECT {keys}, hash({content}) AS content_hash, min(_dt) AS first_dt
            FROM {table} SEMI JOIN (SELECT DISTINCT {keys} FROM loaded) USING ({keys})
            GROUP BY ALL
        )
        SELECT
            {", ".join(loaded_values)},
            _dt, _source_file AS source_file, _line_number AS line_number,
            FALSE AS quarantined,
            row_number() OVER ({window}, content_hash ORDER BY _source_file, _line_number)
                AS copy_number,
            min(content_hash) OVER ({window}) <> max(content_hash) OVER ({window})
                AS has_conflicting_copy,
            first_dt < _dt AS delivered_earlier,
            date_diff('day', {local_day}, _dt) AS days_late{extra_loaded}
        FROM loaded JOIN first_delivery USING ({keys}, content_hash)
        UNION ALL BY NAME
        SELECT
            {", ".join(landed_values)},
            _dt, source_file, line_number,
            TRUE AS quarantined
        FROM raw.rejects SEMI JOIN run_days ON _dt = run_days.day
        WHERE entity = {quote_literal(entity.qualified_name)} AND landed_record IS NOT NULL"""
    )


def row_frames(con: duckdb.DuckDBPyConnection) -> Iterator[pd.DataFrame]:
    """`quality_rows` in chunks of whole days of at most CHUNK_ROWS rows (a day may exceed it)."""
    per_day = con.execute(
        "SELECT _dt, count(*) FROM quality_rows GROUP BY _dt ORDER BY _dt"
    ).fetchall()
    chunk: list[dt.date] = []
    rows = 0
    for day, count in per_day:
        if chunk and rows + count > CHUNK_ROWS:
            yield _fetch(con, chunk)
            chunk, rows = [], 0
        chunk.append(day)
        rows += count
    if chunk:
        yield _fetch(con, chunk)


def _fetch(con: duckdb.DuckDBPyConnection, days: list[dt.date]) -> pd.DataFrame:
    return con.execute(
        "SELECT * FROM quality_rows WHERE _dt BETWEEN ? AND ? "
        "ORDER BY _dt, source_file, line_number",
        [days[0], days[-1]],
    ).df()


def _expected_day(cadence: str) -> str:
    """Whether a partition is due on `_dt` (days not due are left out of the gap check)."""
    return {"daily": "TRUE", "weekdays": "isodow(_dt) <= 5", "none": "FALSE"}[cadence]


def partition_frame(
    con: duckdb.DuckDBPyConnection, entity: Entity, volume: VolumeRules, days: list[dt.date]
) -> pd.DataFrame:
    """One row per day from the entity's first landed day to the last day any source was loaded:
    whether it landed, its data rows, and (for the run's days) its ratio to the median of the
    same weekday over the previous weeks."""
    con.execute("CREATE OR REPLACE TEMP TABLE run_days (day DATE PRIMARY KEY)")
    con.executemany("INSERT INTO run_days VALUES (?)", [[d] for d in sorted(set(days))])
    return con.execute(
        f"""WITH logged AS (
            SELECT _dt, bool_or(status <> 'missing_partition') AS landed,
                sum(data_rows) AS data_rows
            FROM raw.load_log WHERE entity = $entity GROUP BY _dt
        ),
        span AS (
            SELECT (SELECT min(_dt) FROM logged WHERE landed) AS first_day,
                (SELECT max(_dt) FROM raw.load_log) AS last_day
        ),
        calendar AS (
            SELECT CAST(unnest(generate_series(first_day, last_day, INTERVAL 1 DAY)) AS DATE)
                AS _dt
            FROM span WHERE first_day IS NOT NULL
        ),
        daily AS (
            SELECT _dt, coalesce(landed, FALSE) AS landed,
                CASE WHEN landed THEN data_rows END AS data_rows
            FROM calendar LEFT JOIN logged USING (_dt)
        ),
        judged AS (
            SELECT *,
                median(data_rows) OVER same_weekday AS trailing_median,
                count(data_rows) OVER same_weekday AS history_days
            FROM daily
            WINDOW same_weekday AS (
                PARTITION BY dayofweek(_dt) ORDER BY _dt
                ROWS BETWEEN {int(volume.trailing_weeks)} PRECEDING AND 1 PRECEDING
            )
        )
        SELECT _dt, landed, data_rows, trailing_median,
            CASE WHEN {_expected_day(entity.expected_cadence)} THEN landed END
                AS landed_when_expected,
            CASE WHEN _dt IN (SELECT day FROM run_days) AND landed
                    AND history_days >= {int(volume.min_history_days)}
                    AND trailing_median >= {int(volume.min_median_rows)}
                THEN data_rows / trailing_median END AS volume_ratio
        FROM judged ORDER BY _dt""",
        {"entity": entity.qualified_name},
    ).df()
