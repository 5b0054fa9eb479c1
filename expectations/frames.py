"""The small pandas frames the suites validate, aggregated in DuckDB.

The row frame has one row per run day of an entity: its loaded rows and, per rule, how many of
them break it (the rows quarantined in `raw.rejects` are judged there, by expectations.rejects).
Facts that compare rows (copies within a delivery, keys delivered before) are aggregated first
into small tables; the raw rows are then read once, in DuckDB, never by pandas.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from expectations.config import EntityRules, VolumeRules
from sources.contract import Entity, entities
from sources.extract import REFUSED_STATUSES
from sources.sql import quote_identifier, quote_literal


def key_columns(entity: Entity) -> list[str]:
    """A row's identity: versioned entities repeat their key once per version."""
    return [entity.key] + ([entity.latest_by] if entity.latest_by else [])


def _days_table(con: duckdb.DuckDBPyConnection, days: list[dt.date]) -> None:
    con.execute("CREATE OR REPLACE TEMP TABLE run_days (day DATE PRIMARY KEY)")
    con.executemany("INSERT INTO run_days VALUES (?)", [[d] for d in sorted(set(days))])


def prepare_row_frames(
    con: duckdb.DuckDBPyConnection, entity: Entity, rules: EntityRules, days: list[dt.date]
) -> None:
    """Small temp tables for the run's days: row-comparing facts and delivery-day bounds."""
    table = f"raw.{entity.table_name}"
    keys = ", ".join(quote_identifier(k) for k in key_columns(entity))
    zone = quote_literal(entity.timezone)
    lateness = rules.lateness_days if rules.lateness_days is not None else 36500
    _days_table(con, days)
    run_rows = f"{table} SEMI JOIN run_days ON _dt = run_days.day"
    # Every fact below compares rows sharing a key, and most keys are delivered once: the rows
    # of keys delivered more than once are found by grouping the keys alone, and only they are
    # hashed and compared (three aggregates hashing every row took 85% of the gates). Only the
    # run's keys can be flagged: a run of a few days looks at the history of those keys alone
    # (hashing every row took 20 s per entity at 50M rows for one new day).
    t_content = ", ".join(f"t.{quote_identifier(c)}" for c in entity.column_names)
    t_keys = ", ".join(f"t.{quote_identifier(k)}" for k in key_columns(entity))
    same_key = " AND ".join(
        f"t.{quote_identifier(k)} IS NOT DISTINCT FROM r.{quote_identifier(k)}"
        for k in key_columns(entity)
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE repeated_rows AS
        SELECT {t_keys}, t._dt, t._source_file AS source_file, t._line_number AS line_number,
            hash({t_content}) AS content_hash
        FROM {table} t SEMI JOIN (
            SELECT {keys} FROM {_history_of_run_keys(con, entity, run_rows)}
            GROUP BY ALL HAVING count(*) > 1
        ) r ON {same_key}"""
    )
    run_repeated = "repeated_rows SEMI JOIN run_days ON _dt = run_days.day"
    # Exact copies within a delivery: every copy after the first (by file, then line).
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE surplus_copies AS
        SELECT source_file, line_number FROM {run_repeated}
        QUALIFY row_number() OVER (
            PARTITION BY {keys}, _dt, content_hash ORDER BY source_file, line_number
        ) > 1"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE conflicting_keys AS
        SELECT {keys}, _dt FROM {run_repeated}
        GROUP BY {keys}, _dt HAVING count(DISTINCT content_hash) > 1"""
    )
    # Unchanged rows delivered on more than one day, with their first day (any day loaded).
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE redelivered AS
        SELECT {keys}, content_hash, min(_dt) AS first_dt FROM repeated_rows
        GROUP BY ALL HAVING count(DISTINCT _dt) > 1"""
    )
    # A delivery day's bounds in UTC: its local end, and the start of its lateness window.
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE delivery_bounds AS
        SELECT day AS _dt,
            timezone('UTC', timezone({zone}, CAST(day + 1 AS TIMESTAMP))) AS delivery_end,
            timezone('UTC', timezone({zone}, CAST(day - {int(lateness)} AS TIMESTAMP)))
                AS lateness_start
        FROM run_days"""
    )


def _history_of_run_keys(con: duckdb.DuckDBPyConnection, entity: Entity, run_rows: str) -> str:
    """The raw rows sharing a key with the run's rows: the whole table when the run covers every
    delivered day (a first load or full reload), where matching keys first would cost more."""
    table = f"raw.{entity.table_name}"
    uncovered = con.execute(
        f"SELECT count(*) FROM (SELECT DISTINCT _dt FROM {table}) ANTI JOIN run_days ON _dt = day"
    ).fetchone()[0]
    if not uncovered:
        return table
    keys = ", ".join(quote_identifier(k) for k in key_columns(entity))
    same_key = " AND ".join(
        f"t.{quote_identifier(k)} IS NOT DISTINCT FROM k.{quote_identifier(k)}"
        for k in key_columns(entity)
    )
    return f"{table} t SEMI JOIN (SELECT DISTINCT {keys} FROM {run_rows}) k ON {same_key}"


def unknown_reference_column(column: str) -> str:
    return f"{column}__unknown"


def _broken_conditions(entity: Entity, rules: EntityRules) -> dict[str, str]:
    """Per count column of the row suite: SQL true for a row of `t` that breaks its rule."""
    event_time = f"t.{quote_identifier(rules.event_time)}"
    found = {
        "conflicting_copies": "k._dt IS NOT NULL",
        "surplus_copies": "s.source_file IS NOT NULL",
        "delivered_earlier": "r.first_dt < t._dt",
        "after_delivery": f"{event_time} >= b.delivery_end",
        "beyond_lateness": f"{event_time} < b.lateness_start",
    }
    for column, target in rules.references.items():
        target_entity, target_column = target.rsplit(".", 1)
        found[unknown_reference_column(column)] = (
            f"t.{quote_identifier(column)} NOT IN (SELECT {quote_identifier(target_column)} "
            f"FROM raw.{entities()[target_entity].table_name})"
        )
    if rules.contact_columns:
        found["no_contact"] = " AND ".join(
            f"t.{quote_identifier(c)} IS NULL" for c in rules.contact_columns
        )
    return found


def row_counts_frame(
    con: duckdb.DuckDBPyConnection, entity: Entity, rules: EntityRules
) -> pd.DataFrame:
    """One row per run day: its loaded rows (`rows`) and, per rule of the row suite, the rows
    breaking it, counted in one pass over the raw table. The breaking rows themselves, with file,
    line and key, stay in temp table `broken_rows` for samples. Call prepare_row_frames first."""
    table = f"raw.{entity.table_name}"
    keys = key_columns(entity)
    content = ", ".join(f"t.{quote_identifier(c)}" for c in entity.column_names)
    on_keys = " AND ".join(f"k.{quote_identifier(k)} = t.{quote_identifier(k)}" for k in keys)
    on_redelivered = " AND ".join(
        f"r.{quote_identifier(k)} = t.{quote_identifier(k)}" for k in keys
    )
    conditions = _broken_conditions(entity, rules)
    flags = ", ".join(
        f"coalesce({condition}, FALSE) AS {quote_identifier(name)}"
        for name, condition in conditions.items()
    )
    any_broken = " OR ".join(f"coalesce({condition}, FALSE)" for condition in conditions.values())
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE broken_rows AS
        SELECT t._dt, t._source_file AS source_file, t._line_number AS line_number,
            t.{quote_identifier(entity.key)} AS key_value, {flags}
        FROM {table} t
        JOIN delivery_bounds b ON b._dt = t._dt
        LEFT JOIN surplus_copies s
            ON s.source_file = t._source_file AND s.line_number = t._line_number
        LEFT JOIN conflicting_keys k ON {on_keys} AND k._dt = t._dt
        LEFT JOIN redelivered r ON {on_redelivered} AND r.content_hash = hash({content})
        WHERE {any_broken}"""
    )
    counts = ", ".join(
        f"count(b._dt) FILTER (b.{quote_identifier(name)}) AS {quote_identifier(name)}"
        for name in conditions
    )
    return con.execute(
        f"""SELECT d._dt, d.rows, {counts}
        FROM (SELECT _dt, count(*) AS rows FROM {table} SEMI JOIN run_days ON _dt = day
              GROUP BY _dt) d
        LEFT JOIN broken_rows b USING (_dt)
        GROUP BY d._dt, d.rows ORDER BY d._dt"""
    ).df()


def broken_row_samples(con: duckdb.DuckDBPyConnection, column: str, limit: int) -> list[str]:
    """The first rows (by file and line) breaking the rule counted in `column`, as
    `file:line key=value`. Call row_counts_frame first."""
    return [
        f"{source_file}:{line_number} key={key_value}"
        for source_file, line_number, key_value in con.execute(
            f"""SELECT source_file, line_number, key_value FROM broken_rows
            WHERE {quote_identifier(column)} ORDER BY source_file, line_number LIMIT {int(limit)}"""
        ).fetchall()
    ]


def _expected_day(cadence: str) -> str:
    """Whether a partition is due on `_dt` (days not due are left out of the gap check)."""
    return {"daily": "TRUE", "weekdays": "isodow(_dt) <= 5", "none": "FALSE"}[cadence]


def partition_frame(
    con: duckdb.DuckDBPyConnection, entity: Entity, volume: VolumeRules, days: list[dt.date]
) -> pd.DataFrame:
    """One row per day from the entity's first landed day to the last day any source was loaded:
    whether it landed, its data rows, the files refused (and why), and (for the run's days) its
    ratio to the median of the same weekday over the previous weeks."""
    _days_table(con, days)
    refused = "status IN (" + ", ".join(quote_literal(s) for s in REFUSED_STATUSES) + ")"
    return con.execute(
        f"""WITH logged AS (
            SELECT _dt, bool_or(status <> 'missing_partition') AS landed,
                sum(data_rows) AS data_rows,
                count(*) FILTER ({refused}) AS refused_files,
                string_agg(message, ' | ' ORDER BY source_file) FILTER ({refused}) AS refusals
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
                CASE WHEN landed THEN data_rows END AS data_rows,
                coalesce(refused_files, 0) AS refused_files, refusals
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
        SELECT _dt, landed, data_rows, trailing_median, refused_files, refusals,
            CASE WHEN {_expected_day(entity.expected_cadence)} THEN landed END
                AS landed_when_expected,
            CASE WHEN _dt IN (SELECT day FROM run_days) AND landed
                    AND history_days >= {int(volume.min_history_days)}
                    AND trailing_median >= {int(volume.min_median_rows)}
                THEN data_rows / trailing_median END AS volume_ratio
        FROM judged ORDER BY _dt""",
        {"entity": entity.qualified_name},
    ).df()
