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
        GROUP BY rfm_segment ORDER BY 3 DESC, rfm_segment"""
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


# Rates of summed counts over their denominators (never an average of per-day rates): delivered
# for opens, clicks and replies, unique opens for click-to-open, sent for bounces.
EMAIL_RATES = """sum(sent) AS sent, sum(delivered) AS delivered,
    sum(unique_opens) / nullif(sum(delivered), 0) AS open_rate,
    sum(unique_opens_including_machine) / nullif(sum(delivered), 0) AS open_rate_including_machine,
    sum(machine_opens) / nullif(sum(total_opens + machine_opens), 0) AS machine_open_share,
    sum(unique_clicks) / nullif(sum(delivered), 0) AS click_rate,
    sum(unique_clicks) / nullif(sum(unique_opens), 0) AS click_to_open_rate,
    sum(replies) / nullif(sum(delivered), 0) AS reply_rate,
    sum(unsubscribes) AS unsubscribes,
    sum(bounced) / nullif(sum(sent), 0) AS bounce_rate"""


def email_campaigns(con: duckdb.DuckDBPyConnection, campaigns: int) -> list[tuple]:
    """The newest `campaigns` campaigns, newest first: (campaign, first and last send day, sent,
    delivered, open rate by people, open rate with machine opens, machine share of opens, click
    rate, click-to-open rate, reply rate, unsubscribes, bounce rate)."""
    return con.execute(
        f"""SELECT campaign_id, min(send_date), max(send_date), {EMAIL_RATES}
        FROM marts.mart_email_campaigns GROUP BY campaign_id
        ORDER BY min(send_date) DESC, campaign_id LIMIT ?""",
        [campaigns],
    ).fetchall()


def email_totals(con: duckdb.DuckDBPyConnection) -> tuple:
    """Over every campaign: (campaigns, send days, then the rates of email_campaigns from sent
    on)."""
    return con.execute(
        f"""SELECT count(DISTINCT campaign_id), count(*), {EMAIL_RATES}
        FROM marts.mart_email_campaigns"""
    ).fetchone()


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
