"""Queries over the marts that both the terminal summary and the HTML report show."""

from __future__ import annotations

from decimal import Decimal

import duckdb


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
