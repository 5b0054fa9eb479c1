"""One line per tag mart for the run summary: the tags held, their history, the risk moves."""

from __future__ import annotations

import duckdb

from orchestration.cli.mart_queries import RISK_MOVES_WEEKS, risk_moves_by_week


def tag_lines(con: duckdb.DuckDBPyConnection) -> list[str]:
    as_of, activity, with_intent, at_risk = con.execute(
        """SELECT max(as_of_date),
            string_agg(tag || ' ' || format('{:,}', customers), ', ' ORDER BY customers DESC, tag)
                FILTER (tag_group = 'activity'),
            max(customers) FILTER (tag_group = 'intent'),
            max(customers) FILTER (tag_group = 'risk')
        FROM (
            SELECT max(as_of_date) AS as_of_date, tag_group, tag, count(*) AS customers
            FROM marts.mart_customer_tags WHERE tag_group = 'activity' GROUP BY ALL
            UNION ALL
            SELECT max(as_of_date), tag_group, NULL, count(DISTINCT customer_key)
            FROM marts.mart_customer_tags WHERE tag_group IN ('intent', 'risk') GROUP BY ALL
        )"""
    ).fetchone()
    versions, still_open, first, latest = con.execute(
        """SELECT count(*), count(*) FILTER (valid_to IS NULL), min(valid_from),
            max(coalesce(valid_to, valid_from))
        FROM marts.mart_customer_tag_history"""
    ).fetchone()
    moves = risk_moves_by_week(con, as_of, RISK_MOVES_WEEKS) if as_of else []
    into = sum(r[3] for r in moves if r[1] == "into")
    out = sum(r[3] for r in moves if r[1] == "out of")
    return [
        f"Tags as of {as_of} (marts.mart_customer_tags): {activity or 'none'}; "
        f"{with_intent or 0:,} customers showing intent, {at_risk or 0:,} at risk",
        f"Tag history (marts.mart_customer_tag_history): {versions:,} versions, "
        f"{still_open:,} held now, recorded from {first} to {latest}",
        f"Tag transitions (marts.mart_tag_transitions): {into:,} moves into risk tags and "
        f"{out:,} out of them in the last {RISK_MOVES_WEEKS} weeks",
    ]
