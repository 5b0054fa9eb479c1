"""Queries over the marts that both the terminal summary and the HTML report show."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb

# The summary and the report show moves into and out of risk over this many weeks.
RISK_MOVES_WEEKS = 8


def rfm_segment_sizes(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int, Decimal]]:
    """(segment, customers, revenue in the reporting currency over the RFM window), largest
    revenue first."""
    return con.execute(
        """SELECT rfm_segment, count(*), sum(monetary) FROM marts.mart_customer_rfm
        GROUP BY rfm_segment ORDER BY 3 DESC"""
    ).fetchall()


def followup_top(con: duckdb.DuckDBPyConnection, rows: int) -> list[tuple]:
    """The top of the follow-up queue by priority: (rep, rank, name, tier, segment, status,
    days overdue, last touch channel)."""
    return con.execute(
        """SELECT owner_rep_id, queue_rank, customer_name, tier, rfm_segment, cadence_status,
            days_overdue, last_touch_channel
        FROM marts.mart_followup_queue ORDER BY priority_score DESC, followup_id LIMIT ?""",
        [rows],
    ).fetchall()


def risk_moves_by_week(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, weeks: int
) -> list[tuple[dt.date, str, str, int]]:
    """Moves into and out of each risk tag per week, over the `weeks` weeks up to the as-of
    date's: (week start, 'into' or 'out of', risk tag, customers), oldest week first."""
    return con.execute(
        """SELECT period_start, CASE WHEN to_tag IS NULL THEN 'out of' ELSE 'into' END,
            coalesce(to_tag, from_tag), customers
        FROM marts.mart_tag_transitions
        WHERE tag_group = 'risk' AND period_grain = 'week'
            AND period_start > date_trunc('week', ?::DATE) - to_weeks(?)
            AND period_start <= ?
        ORDER BY ALL""",
        [as_of, weeks, as_of],
    ).fetchall()
