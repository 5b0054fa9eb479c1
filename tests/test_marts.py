"""The marts over the generated sample: what the generator made true, the marts must find."""

from __future__ import annotations

import duckdb

from orchestration.cli.summary import render

IN_DECLINE_AS_OF = "2026-05-15"


def decline_flag_rates(con: duckdb.DuckDBPyConnection, truth) -> dict[bool, tuple[int, float]]:
    """Share of customers flagged declining, for those the generator had in decline at the as-of
    date (decline started, not yet two weeks past stopping to buy) and for everyone else."""
    rows = con.execute(
        f"""WITH persons AS (SELECT * FROM '{truth}/persons.parquet'),
        keys AS (
            SELECT DISTINCT t.person_id, c.customer_key
            FROM '{truth}/identity_truth.parquet' t
            JOIN intermediate.int_records_clustered c ON c.record_key = 'crm:' || t.record_id
            WHERE t.record_type = 'crm_customer'
        )
        SELECT
            coalesce(p.is_declining AND p.decline_start_date <= DATE '{IN_DECLINE_AS_OF}'
                AND coalesce(p.stopped_buying_date, DATE '2100-01-01')
                    >= DATE '{IN_DECLINE_AS_OF}' - 14, false) AS in_decline,
            count(*), avg(m.is_declining::INT)
        FROM persons p JOIN keys USING (person_id)
        JOIN marts.mart_customer_cadence m USING (customer_key)
        GROUP BY 1"""
    ).fetchall()
    return {in_decline: (customers, rate) for in_decline, customers, rate in rows}


def test_generator_decliners_are_flagged_far_more_often_than_others(pipeline, tmp_path):
    completed = pipeline.dbt_on_copy(
        tmp_path,
        "build",
        "--select",
        "mart_customer_rfm",
        "mart_customer_cadence",
        "--vars",
        f"{{as_of_date: '{IN_DECLINE_AS_OF}'}}",
    )
    assert completed.returncode == 0, completed.stdout[-3000:]
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        rates = decline_flag_rates(con, pipeline.truth)
    (decliners, decliner_rate), (others, other_rate) = rates[True], rates[False]
    assert decliners >= 15 and others >= 200
    assert decliner_rate >= 2.5 * other_rate, rates
    assert decliner_rate >= 0.15, rates


def test_incremental_interactions_equal_a_full_refresh(rerun, tmp_path):
    """The pipeline ran twice (the second run incremental); a full rebuild gives the same rows."""
    assert rerun.first_run.success
    with rerun.connect() as con:
        incremental = con.execute(
            "SELECT * FROM marts.fct_interactions ORDER BY interaction_id"
        ).fetchall()
    completed = rerun.dbt_on_copy(
        tmp_path,
        "run",
        "--select",
        "fct_interactions",
        "--full-refresh",
        "--vars",
        "{as_of_date: '2026-06-30'}",
    )
    assert completed.returncode == 0, completed.stdout[-3000:]
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        full = con.execute(
            "SELECT * FROM marts.fct_interactions ORDER BY interaction_id"
        ).fetchall()
    assert len(full) > 1000
    assert incremental == full


def test_channels_rank_by_response_rate_as_the_generator_made_them(pipeline):
    with pipeline.connect() as con:
        rates = dict(
            con.execute(
                """SELECT channel, sum(responses) / sum(touches)
            FROM marts.mart_channel_effectiveness GROUP BY channel"""
            ).fetchall()
        )
    assert min(rates["meeting"], rates["visit"]) > max(rates["sms"], rates["email"])


def test_summary_shows_segments_cadence_and_the_queue(pipeline):
    text = render(pipeline.warehouse, pipeline.truth)
    assert "RFM segments as of 2026-06-30" in text
    assert "Cadence status per tier" in text and "tier A:" in text
    assert "Top of the follow-up queue" in text
    assert "precision 1.0000" in text or "precision 0.99" in text
