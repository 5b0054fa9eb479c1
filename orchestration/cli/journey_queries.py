"""Queries over the funnel and attribution marts that both the terminal summary and the HTML
report show."""

from __future__ import annotations

from decimal import Decimal

import duckdb

# The order the models are shown in: the single-touch rules, the spreading rules, the data-driven.
ATTRIBUTION_MODELS = (
    "first_touch",
    "last_touch",
    "linear",
    "time_decay",
    "position_based",
    "markov",
)


def funnel_stages(con: duckdb.DuckDBPyConnection) -> tuple[bool, list[tuple[str, str, int]]]:
    """(closed, rows): the funnel summed over the cohorts whose conversion window has closed (all
    cohorts when none has, closed False), rows (first-touch channel, stage, customers) in stage
    order."""
    (closed,) = con.execute(
        "SELECT count(*) > 0 FROM marts.mart_funnel WHERE NOT is_open"
    ).fetchone()
    rows = con.execute(
        """SELECT first_touch_channel, stage, sum(customers)::BIGINT
        FROM marts.mart_funnel WHERE ? OR NOT is_open
        GROUP BY first_touch_channel, stage, stage_number
        ORDER BY first_touch_channel, stage_number""",
        [not closed],
    ).fetchall()
    return closed, rows


def channel_credit(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, Decimal, Decimal]]:
    """(model, channel, attributed orders, share of attributed revenue) over every month."""
    return con.execute(
        """SELECT model, channel, sum(attributed_orders),
            sum(attributed_revenue)
                / nullif(sum(sum(attributed_revenue)) OVER (PARTITION BY model), 0)
        FROM marts.mart_channel_attribution GROUP BY model, channel ORDER BY model, channel"""
    ).fetchall()
