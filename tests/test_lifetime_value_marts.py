"""The lifetime-value marts over the generated sample: built, used where people act, published,
and refusing what they must refuse."""

from __future__ import annotations

import dagster as dg
import duckdb

from orchestration.cli.summary import render_both
from tests.conftest import check_of, materialize, run_dbt
from tests.landing_files import land_orders_only
from tests.test_run_scope import failing_rows, generic_test_of

FITTED_CHECK = "assert_clv_models_fitted_at_as_of_date"


def test_every_rfm_customer_is_valued_from_this_as_of_dates_fit(pipeline):
    with pipeline.connect() as con:
        fits = con.execute(
            "SELECT model, as_of_date, customers, converged FROM marts.mart_clv_model_fit "
            "WHERE status = 'fitted' ORDER BY model"
        ).fetchall()
        rfm_customers, repeat_buyers = con.execute(
            "SELECT count(*), count(*) FILTER (lifetimes_frequency > 0 "
            "AND lifetimes_monetary_value > 0) FROM marts.mart_customer_rfm"
        ).fetchone()
        valued = con.execute(
            "SELECT count(*), min(as_of_date), max(as_of_date), min(p_alive), max(p_alive), "
            "count(DISTINCT clv_decile) FROM marts.mart_customer_lifetime_value"
        ).fetchone()
    as_of = fits[0][1]
    assert fits == [
        ("bg_nbd", as_of, rfm_customers, True),
        ("gamma_gamma", as_of, repeat_buyers, True),
    ]
    assert valued[:3] == (rfm_customers, as_of, as_of)
    assert 0 <= valued[3] <= valued[4] <= 1
    assert valued[5] == 10
    assert check_of(pipeline.first_run, "marts/mart_clv_model_fit", FITTED_CHECK).passed


def test_too_little_data_publishes_without_lifetime_values_and_warns(tmp_path, monkeypatch):
    """Two buyers who bought on each of three days: far fewer repeat buyers than
    clv_min_repeat_buyers. The models are published as not fitted, with the reason; no customer
    is valued; the run's checks warn, and the marts are published."""
    landing, home = tmp_path / "landing", tmp_path / "home"
    land_orders_only(landing)
    monkeypatch.setenv("CADENCE_SOURCES", "orders")

    result = materialize(dg.DagsterInstance.ephemeral(), home, landing)

    assert any(e.is_step_success and e.step_key == "published__marts" for e in result.all_events)
    warned = check_of(result, "marts/mart_clv_model_fit", FITTED_CHECK)
    assert (warned.passed, warned.severity) == (False, dg.AssetCheckSeverity.WARN)
    with duckdb.connect(str(home / "published" / "cadence.duckdb"), read_only=True) as con:
        fits = con.execute(
            "SELECT model, status, status_reason, customers, repeat_buyers, r, p, converged "
            "FROM marts.mart_clv_model_fit ORDER BY model"
        ).fetchall()
        valued = con.execute("SELECT count(*) FROM marts.mart_customer_lifetime_value").fetchone()
        cadence = con.execute(
            "SELECT count(*), count(p_alive), count(clv_decile) FROM marts.mart_customer_cadence"
        ).fetchone()
        calibrated = con.execute(
            "SELECT count(*) FROM marts.mart_clv_holdout_calibration"
        ).fetchone()
    reason = "2 repeat buyers, fewer than the 100 needed to identify the model"
    assert fits == [
        (
            "bg_nbd",
            "insufficient_data",
            f"{reason} (clv_min_repeat_buyers)",
            2,
            2,
            None,
            None,
            None,
        ),
        (
            "gamma_gamma",
            "insufficient_data",
            f"{reason} (clv_min_repeat_buyers)",
            2,
            2,
            None,
            None,
            None,
        ),
    ]
    assert valued == (0,) and calibrated == (0,)
    assert cadence == (2, 0, 0)
    # The run's short summary says why instead of printing parameters.
    assert f"bg_nbd       not fitted: {reason}" in render_both(home / "warehouse.duckdb")[1]


def test_cadence_and_the_queue_carry_the_values(pipeline):
    with pipeline.connect() as con:
        cadence = con.execute(
            """SELECT count(*) FILTER (c.p_alive IS DISTINCT FROM v.p_alive
                OR c.clv_decile IS DISTINCT FROM v.clv_decile),
                count(*) FILTER (c.p_alive IS NOT NULL)
            FROM marts.mart_customer_cadence c
            LEFT JOIN marts.mart_customer_lifetime_value v USING (customer_key)"""
        ).fetchone()
        valued = con.execute("SELECT count(*) FROM marts.mart_customer_lifetime_value").fetchone()
        ranks = con.execute(
            """SELECT owner_rep_id, count(*), min(value_at_risk_rank), max(value_at_risk_rank),
                count(DISTINCT value_at_risk_rank),
                bool_and(value_at_risk = coalesce(clv_12m * (1 - p_alive), 0)::DECIMAL(18, 2))
            FROM marts.mart_followup_queue GROUP BY ALL"""
        ).fetchall()
    assert cadence == (0, valued[0])
    assert ranks
    for _, queued, first, last, distinct, defined in ranks:
        assert (first, last, distinct) == (1, queued, queued)
        assert defined


def test_the_new_marts_are_published(pipeline):
    published = pipeline.home / "published"
    with duckdb.connect(str(published / "cadence.duckdb"), read_only=True) as con:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    for mart in (
        "mart_customer_lifetime_value",
        "mart_clv_model_fit",
        "mart_clv_holdout_calibration",
    ):
        assert mart in tables
        assert (published / "parquet" / f"{mart}.parquet").exists()


def test_summary_prints_the_fits_and_the_value_at_risk_queue(pipeline):
    # The full summary, and the short one a run ends with (make demo).
    for text in render_both(pipeline.warehouse, pipeline.truth):
        assert "Lifetime value models fitted" in text
        assert "bg_nbd       r = " in text and "gamma_gamma  p = " in text
        assert "Top of the follow-up queue by value at risk" in text


def test_a_fit_that_does_not_converge_fails_the_build_and_names_the_model(pipeline, tmp_path):
    """Every customer bought on every day since the first: nobody ever drops out, so BG/NBD
    has no maximum. With at least clv_min_repeat_buyers (100) repeat buyers that is not a
    shortage of data: the model fails with the reason, and nothing below it is built."""
    with duckdb.connect(str(pipeline.copy_warehouse(tmp_path))) as con:
        con.execute(
            "UPDATE marts.mart_customer_rfm SET lifetimes_t = 1 + (hash(customer_key) % 60), "
            "lifetimes_recency = 1 + (hash(customer_key) % 60), "
            "lifetimes_frequency = 1 + (hash(customer_key) % 60)"
        )
        repeat_buyers = con.execute("SELECT count(*) FROM marts.mart_customer_rfm").fetchone()[0]
    assert repeat_buyers >= 100
    completed = run_dbt(tmp_path, "build", "--select", "mart_clv_model_fit+")
    assert completed.returncode == 1
    assert "bg_nbd fit did not converge on" in completed.stdout
    assert "ran to the edge of the search space" in completed.stdout
    assert "SKIP relation marts.mart_customer_lifetime_value" in completed.stdout


def test_lifetime_value_checks_fail_on_bad_rows(pipeline, tmp_path):
    with duckdb.connect(str(pipeline.copy_warehouse(tmp_path))) as con:
        con.execute(
            "DELETE FROM marts.mart_customer_lifetime_value WHERE customer_key = "
            "(SELECT min(customer_key) FROM marts.mart_customer_lifetime_value)"
        )
        con.execute(
            "UPDATE marts.mart_customer_lifetime_value SET p_alive = 1.5, churn_risk = 'maybe' "
            "WHERE customer_key = (SELECT max(customer_key) FROM marts.mart_customer_rfm)"
        )
    completed = run_dbt(tmp_path, "test", "--select", "mart_customer_lifetime_value")
    assert completed.returncode == 1
    accepted = generic_test_of(
        "model.cadence.mart_customer_lifetime_value", "accepted_column_values"
    )
    for failed in ("assert_lifetime_value_covers_every_rfm_customer", accepted):
        assert f"FAIL 1 {failed}" in completed.stdout, completed.stdout[-3000:]
    assert failing_rows(tmp_path, accepted, "failing_columns") == [("churn_risk, p_alive",)]
