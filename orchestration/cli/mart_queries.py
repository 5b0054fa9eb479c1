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


def clv_fits(
    con: duckdb.DuckDBPyConnection,
) -> list[tuple[str, str | None, dict[str, float], float | None, int]]:
    """The newest as-of date's fits: (model, why it was not fitted or None, parameters,
    log-likelihood, customers)."""
    rows = con.execute(
        """SELECT model, status_reason, r, alpha, a, b, p, q, v, log_likelihood, customers
        FROM marts.mart_clv_model_fit
        WHERE as_of_date = (SELECT max(as_of_date) FROM marts.mart_clv_model_fit)
        ORDER BY model"""
    ).fetchall()
    names = ("r", "alpha", "a", "b", "p", "q", "v")
    return [
        (
            row[0],
            row[1],
            {n: v for n, v in zip(names, row[2:9], strict=True) if v is not None},
            row[9],
            row[10],
        )
        for row in rows
    ]


def value_at_risk_top(con: duckdb.DuckDBPyConnection, rows: int) -> list[tuple]:
    """The top of the follow-up queue by expected value at risk: (rep, rank, name, segment,
    P(alive), 12-month CLV, value at risk)."""
    return con.execute(
        """SELECT owner_rep_id, value_at_risk_rank, customer_name, rfm_segment, p_alive,
            clv_12m, value_at_risk
        FROM marts.mart_followup_queue ORDER BY value_at_risk DESC, followup_id LIMIT ?""",
        [rows],
    ).fetchall()
