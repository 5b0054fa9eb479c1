"""The buy-till-you-die library (clv/) against the literature on the public CDNOW sample, and its
edge cases. Weekly periods and the calibration period 1997-01-01..1997-09-30 (39 weeks), as in
Fader, Hardie & Lee (2005)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from scipy.optimize import approx_fprime
from scipy.special import hyp2f1, logsumexp

from clv import bgnbd, calibration, gamma_gamma, simulate
from clv.fitting import FitError, InsufficientData, NotFitted
from clv.lifetime_value import (
    INSUFFICIENT_DATA,
    ValueSettings,
    churn_risk,
    clv_12m,
    customer_values,
    deciles,
    fit_models,
    fit_table,
    no_values,
    params_from_fit_table,
)

CDNOW = Path(__file__).parent / "fixtures" / "cdnow" / "CDNOW_sample.txt"
CALIBRATION_END = dt.date(1997, 9, 30)


def cdnow_purchase_days() -> pd.DataFrame:
    orders = pd.read_csv(
        CDNOW,
        sep=r"\s+",
        header=None,
        names=["master_id", "customer_key", "order_date", "cds", "value"],
        dtype={"order_date": str},
    )
    orders["order_date"] = pd.to_datetime(orders["order_date"], format="%Y%m%d")
    # Several orders of one customer on one day are one purchase (the lifetimes summary too).
    return orders.groupby(["customer_key", "order_date"], as_index=False)["value"].sum()


@pytest.fixture(scope="module")
def cdnow_weeks() -> pd.DataFrame:
    """Per customer: x repeat purchases, t_x and T in weeks, m the mean repeat purchase value,
    over the calibration period."""
    days = cdnow_purchase_days()
    histories = calibration.split_histories(days, CALIBRATION_END, CALIBRATION_END)
    calibrated = days[days["order_date"] <= pd.Timestamp(CALIBRATION_END)]
    firsts = calibrated.groupby("customer_key")["order_date"].transform("min")
    repeat_value = calibrated[calibrated["order_date"] > firsts].groupby("customer_key")["value"]
    return pd.DataFrame(
        {
            "x": histories["x"],
            "t_x": histories["t_x"] / 7,
            "t": histories["t"] / 7,
            "m": repeat_value.mean().reindex(histories.index, fill_value=0.0),
        }
    )


PUBLISHED_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


def test_cdnow_sample_is_the_published_one(cdnow_weeks):
    assert len(cdnow_weeks) == 2357
    assert (cdnow_weeks["x"] > 0).sum() == 946  # FHL 2005: 946 repeat buyers in calibration


def test_bgnbd_reproduces_fader_hardie_lee_2005(cdnow_weeks):
    fitted = bgnbd.fit(cdnow_weeks["x"], cdnow_weeks["t_x"], cdnow_weeks["t"])
    assert fitted.converged, fitted.problem
    assert fitted.customers == 2357
    for name, published in PUBLISHED_BGNBD.items():
        assert fitted.params[name] == pytest.approx(published, abs=0.0006), name
    assert fitted.log_likelihood == pytest.approx(-9582.4, abs=0.05)


def test_gamma_gamma_reproduces_the_published_fit(cdnow_weeks):
    fitted = gamma_gamma.fit(cdnow_weeks["x"], cdnow_weeks["m"])
    assert fitted.converged, fitted.problem
    assert fitted.customers == 946
    assert fitted.params["p"] == pytest.approx(6.25, abs=0.005)
    assert fitted.params["q"] == pytest.approx(3.74, abs=0.005)
    assert fitted.params["v"] == pytest.approx(15.44, abs=0.005)


def test_conditional_predictions_of_the_paper():
    """FHL 2005, section 5: x = 2, t_x = 30.43, T = 38.86 weeks."""
    params = tuple(PUBLISHED_BGNBD.values())
    assert bgnbd.p_alive(params, [2], [30.43], [38.86])[0] == pytest.approx(0.7266, abs=5e-4)
    expected = bgnbd.expected_purchases(params, 39, [2], [30.43], [38.86])[0]
    assert expected == pytest.approx(1.2259, abs=5e-4)


def test_fitted_predictions_match_the_paper(cdnow_weeks):
    fitted = bgnbd.fit(cdnow_weeks["x"], cdnow_weeks["t_x"], cdnow_weeks["t"])
    params = bgnbd.params_of(fitted)
    assert bgnbd.p_alive(params, [2], [30.43], [38.86])[0] == pytest.approx(0.7266, abs=1e-4)
    expected = bgnbd.expected_purchases(params, 39, [2], [30.43], [38.86])[0]
    assert expected == pytest.approx(1.2259, abs=1e-4)


def test_holdout_predictions_track_actuals_on_cdnow():
    """The calibration check of FHL 2005 (figure 4), in days: 39 weeks of calibration, 39 of
    holdout. As in the paper's figure, the means track the actual ones by calibration frequency
    (within 0.36 purchases here) and fall a little short for one or two repeat purchases:
    1,653 repeat purchases predicted in the holdout against 1,882 made."""
    compared = calibration.holdout_comparison(
        cdnow_purchase_days(), dt.date(1998, 6, 30), holdout_days=273, frequency_cap=7
    )
    assert compared["customers"].sum() == 2357
    assert list(compared["calibration_frequency"]) == list(range(8))
    gap = (compared["predicted_holdout_purchases"] - compared["actual_holdout_purchases"]).abs()
    assert gap.max() < 0.4
    total = (compared["customers"] * compared["predicted_holdout_purchases"]).sum()
    actual = (compared["customers"] * compared["actual_holdout_purchases"]).sum()
    assert actual == 1882
    assert total == pytest.approx(actual, rel=0.13)


def test_no_calibration_rows_before_anyone_repeated_a_purchase():
    days = pd.DataFrame({"customer_key": ["c1", "c1"], "order_date": ["2026-05-01", "2026-06-20"]})
    compared = calibration.holdout_comparison(days, dt.date(2026, 6, 30), 60, 7)
    assert compared.empty and list(compared.columns) == list(calibration.COLUMNS)
    with pytest.raises(ValueError, match="clv_holdout_days"):
        calibration.holdout_comparison(days, dt.date(2026, 6, 30), 0, 7)


def test_gradients_are_analytic_derivatives():
    x = np.array([0.0, 1, 2, 7, 30])
    t_x = np.array([0.0, 5, 30.43, 40, 300])
    t = np.array([3.0, 40, 38.86, 52, 365])
    counts = np.array([5.0, 2, 1, 3, 1])
    params = np.array([0.4, 6.0, 0.8, 2.5])
    _, gradient = bgnbd.log_likelihood(params, x, t_x, t, counts)
    numeric = approx_fprime(params, lambda p: bgnbd.log_likelihood(p, x, t_x, t, counts)[0], 1e-7)
    np.testing.assert_allclose(gradient, numeric, rtol=1e-4)
    m = np.array([10.0, 25, 40, 33, 12])
    gg = np.array([6.0, 3.7, 15.0])
    _, gradient = gamma_gamma.log_likelihood(gg, x[1:], m[1:], counts[1:])
    numeric = approx_fprime(
        gg, lambda p: gamma_gamma.log_likelihood(p, x[1:], m[1:], counts[1:])[0], 1e-7
    )
    np.testing.assert_allclose(gradient, numeric, rtol=1e-4)


def test_grouping_gives_the_same_likelihood_as_one_row_per_customer(cdnow_weeks):
    params = np.array(list(PUBLISHED_BGNBD.values()))
    x, t_x, t = (cdnow_weeks[c].to_numpy(dtype=float) for c in ("x", "t_x", "t"))
    ungrouped, _ = bgnbd.log_likelihood(params, x, t_x, t, np.ones_like(x))
    fitted = bgnbd.fit(x, t_x, t)
    assert bgnbd.log_likelihood(params, x, t_x, t, np.ones_like(x))[0] == ungrouped
    assert fitted.log_likelihood >= ungrouped  # the maximum, over the same customers


# Edge cases: no repeat purchase, every purchase on the first day, T = 0.

PARAMS = (0.243, 4.414 * 7, 0.793, 2.426)


def test_without_repeat_purchases_a_customer_is_alive_and_may_still_buy():
    alive = bgnbd.p_alive(PARAMS, [0, 0], [0, 0], [10, 300])
    np.testing.assert_array_equal(alive, [1.0, 1.0])
    expected = bgnbd.expected_purchases(PARAMS, 30, [0, 0], [0, 0], [10, 300])
    assert np.all(np.isfinite(expected)) and expected[0] > expected[1] > 0
    assert gamma_gamma.expected_order_value((6.25, 3.74, 15.44), [0], [0])[0] == pytest.approx(
        6.25 * 15.44 / 2.74
    )


def test_purchases_all_on_the_first_day_are_one_purchase():
    days = pd.DataFrame(
        {"customer_key": ["c1", "c1", "c1"], "order_date": ["2026-01-05"] * 3}
    ).drop_duplicates()
    histories = calibration.split_histories(days, dt.date(2026, 3, 1), dt.date(2026, 3, 1))
    assert histories.loc["c1", ["x", "t_x", "t"]].tolist() == [0, 0, 55]


def test_t_zero_customers_fit_and_predict():
    """Customers who bought for the first time on the as-of date: T = 0. They add nothing to
    the likelihood (L = 1) and are predicted from the population."""
    params = np.array(PARAMS)
    x, t_x, t = np.array([0.0]), np.array([0.0]), np.array([0.0])
    assert bgnbd.log_likelihood(params, x, t_x, t, np.ones(1))[0] == pytest.approx(0.0)
    assert bgnbd.p_alive(PARAMS, x, t_x, t)[0] == 1.0
    assert np.isfinite(bgnbd.expected_purchases(PARAMS, 365, x, t_x, t)[0])


def test_euler_transformed_expectation_equals_the_paper_and_survives_long_histories():
    r, alpha, a, b = PARAMS
    x, t_x, t, horizon = np.array([0.0, 2, 10]), np.array([0.0, 200, 250]), 270.0, 273.0
    z = horizon / (alpha + t + horizon)
    as_published = (
        (a + b + x - 1)
        / (a - 1)
        * (
            1
            - ((alpha + t) / (alpha + t + horizon)) ** (r + x)
            * hyp2f1(r + x, b + x, a + b + x - 1, z)
        )
        / (1 + (x > 0) * a / (b + np.maximum(x, 1) - 1) * ((alpha + t) / (alpha + t_x)) ** (r + x))
    )
    expected = bgnbd.expected_purchases(PARAMS, horizon, x, t_x, np.full(3, t))
    np.testing.assert_allclose(expected, as_published, rtol=1e-9)
    # 3.4 purchases a day for two years, the last yesterday: the published form overflows its
    # hypergeometric factor; its power factor times the series, summed on logarithms, does not.
    x, z = 2500.0, 365 / (alpha + 730 + 365)
    assert np.isinf(hyp2f1(r + x, b + x, a + b + x - 1, z))
    n = np.arange(20_000.0)
    log_ratios = np.log((r + x + n) * (b + x + n) * z / ((a + b + x - 1 + n) * (n + 1)))
    log_terms = np.concatenate([[0.0], np.cumsum(log_ratios)[:-1]])
    product = np.exp((r + x) * np.log(1 - z) + logsumexp(log_terms))
    by_series = (a + b + x - 1) / (a - 1) * (1 - product)
    by_series /= 1 + a / (b + x - 1) * ((alpha + 730) / (alpha + 729)) ** (r + x)
    long = bgnbd.expected_purchases(PARAMS, 365, [x], [729], [730])[0]
    assert long == pytest.approx(by_series, rel=1e-9)


def test_nothing_to_fit_is_insufficient_data_and_bad_histories_an_error():
    with pytest.raises(InsufficientData, match="bg_nbd: 0 repeat buyers, fewer than the 1"):
        bgnbd.fit([0, 0, 0], [0, 0, 0], [5, 0, 9])
    with pytest.raises(InsufficientData, match="gamma_gamma: 0 repeat buyers"):
        gamma_gamma.fit([0, 2], [0, 0])
    with pytest.raises(InsufficientData, match="bg_nbd: 0 repeat buyers"):
        bgnbd.fit([], [], [])
    with pytest.raises(FitError, match="t_x <= T") as bad:
        bgnbd.fit([1, 2], [5, 40], [10, 30])
    assert not isinstance(bad.value, InsufficientData)


def test_a_fit_that_does_not_converge_is_never_tabled():
    """Every customer buys every day to the end: nobody ever drops out, so the drop-out
    probability runs to zero (a -> 0) and no maximum exists."""
    days = np.arange(1.0, 60.0)
    fitted = bgnbd.fit(days, days, days)
    assert not fitted.converged
    assert "edge of the search space" in fitted.problem
    with pytest.raises(FitError, match="bg_nbd fit did not converge on 59 customers"):
        fit_table(dt.date(2026, 6, 30), [fitted])


def summary_of(x, t_x, t, m) -> pd.DataFrame:
    """The lifetimes columns of mart_customer_rfm, one customer per history."""
    return pd.DataFrame(
        {
            "customer_key": [f"c{i}" for i in range(len(x))],
            "as_of_date": dt.date(2026, 6, 30),
            "lifetimes_frequency": x,
            "lifetimes_recency": t_x,
            "lifetimes_t": t,
            "lifetimes_monetary_value": m,
        }
    )


def test_too_few_repeat_buyers_are_tabled_as_not_fitted():
    """The orders-only landing of two buyers who bought on each of three days. Fitted anyway,
    BG/NBD stops at a purchase-rate shape no data support (r above 100,000): nonsense. Below
    clv_min_repeat_buyers it is not attempted: the table says why, with no parameters, and there
    are no values to compute."""
    summary = summary_of([2, 2], [2, 2], [2, 2], [120.0, 80.0])
    assert bgnbd.fit([2, 2], [2, 2], [2, 2]).params["r"] > 1e5  # what the rule keeps out
    outcomes = fit_models(summary, min_repeat_buyers=100)
    assert outcomes == [
        NotFitted("bg_nbd", 2, 2, outcomes[0].reason),
        NotFitted("gamma_gamma", 2, 2, outcomes[1].reason),
    ]
    table = fit_table(dt.date(2026, 6, 30), outcomes)
    assert table["status"].tolist() == [INSUFFICIENT_DATA] * 2
    reason = "2 repeat buyers, fewer than the 100 needed to identify the model"
    assert table["status_reason"].tolist() == [f"{reason} (clv_min_repeat_buyers)"] * 2
    unset = [*bgnbd.PARAMS, *gamma_gamma.PARAMS, "log_likelihood", "converged", "fit_seconds"]
    assert table[unset].isna().all().all()
    assert params_from_fit_table(table) is None


def test_enough_repeat_buyers_that_do_not_identify_the_model_fail_the_fit():
    """150 customers who all bought every day: enough repeat buyers, so a fit that runs to the
    edge is an error, not a shortage of data."""
    days = np.arange(1.0, 151.0)
    summary = summary_of(days, days, days, np.full(150, 50.0))
    with pytest.raises(FitError, match="bg_nbd fit did not converge on 150 customers") as failed:
        fit_models(summary, min_repeat_buyers=100)
    assert not isinstance(failed.value, InsufficientData)


def test_a_mart_has_one_schema_with_or_without_rows(cdnow_weeks):
    """Empty for too little data, the tables keep the types they have with rows (an empty
    object column would be created as INTEGER)."""
    summary = summary_of(
        cdnow_weeks["x"].to_numpy(),
        (cdnow_weeks["t_x"] * 7).round().to_numpy(),
        (cdnow_weeks["t"] * 7).round().to_numpy(),
        cdnow_weeks["m"].to_numpy(),
    )
    fitted = fit_table(dt.date(2026, 6, 30), fit_models(summary, min_repeat_buyers=100))
    not_fitted = fit_table(dt.date(2026, 6, 30), fit_models(summary, min_repeat_buyers=5000))
    assert fitted["status"].tolist() == ["fitted"] * 2
    assert not_fitted["status"].tolist() == [INSUFFICIENT_DATA] * 2
    values = customer_values(summary, *params_from_fit_table(fitted), ValueSettings(0.1, 0.3, 0.7))
    days = cdnow_purchase_days()
    compared = calibration.holdout_comparison(days, dt.date(1998, 6, 30), 273, 7, 100)
    uncompared = calibration.holdout_comparison(days, dt.date(1998, 6, 30), 273, 7, 5000)
    assert len(values) == 2357 and len(compared) == 8 and uncompared.empty
    for with_rows, empty in ((fitted, not_fitted), (values, no_values()), (compared, uncompared)):
        assert duckdb.from_df(with_rows).types == duckdb.from_df(empty).types
    assert duckdb.from_df(values).types[:2] == ["VARCHAR", "DATE"]


# Lifetime value


def test_clv_without_discount_is_a_year_of_purchases_times_value():
    x, t_x, t = np.array([3.0]), np.array([100.0]), np.array([200.0])
    undiscounted = clv_12m(PARAMS, x, t_x, t, 50.0, annual_discount_rate=0.0)[0]
    year = bgnbd.expected_purchases(PARAMS, 365, x, t_x, t)[0]
    assert undiscounted == pytest.approx(year * 50.0)
    discounted = clv_12m(PARAMS, x, t_x, t, 50.0, annual_discount_rate=0.1)[0]
    assert year * 50.0 / 1.1 < discounted < undiscounted


def test_deciles_put_ties_together_and_the_top_first():
    values = np.array([100.0, 90, 90, 80, 70, 60, 50, 40, 30, 20])
    assert deciles(values).tolist() == [1, 2, 2, 4, 5, 6, 7, 8, 9, 10]


def test_churn_risk_thresholds():
    settings = ValueSettings(0.1, high_risk_below=0.3, medium_risk_below=0.7)
    risk = churn_risk(np.array([0.1, 0.3, 0.69, 0.7, 1.0]), settings)
    assert risk.tolist() == ["high", "medium", "medium", "low", "low"]
    with pytest.raises(ValueError, match="clv_churn_risk_high_below"):
        ValueSettings(0.1, high_risk_below=0.8, medium_risk_below=0.7)


def test_customer_values_from_a_fit_table(cdnow_weeks):
    """Per customer, in days, from the table mart_clv_model_fit holds."""
    summary = pd.DataFrame(
        {
            "customer_key": cdnow_weeks.index.astype(str),
            "as_of_date": CALIBRATION_END,
            "lifetimes_frequency": cdnow_weeks["x"].to_numpy(),
            "lifetimes_recency": (cdnow_weeks["t_x"] * 7).round().to_numpy(),
            "lifetimes_t": (cdnow_weeks["t"] * 7).round().to_numpy(),
            "lifetimes_monetary_value": cdnow_weeks["m"].to_numpy(),
        }
    )
    fits = [
        bgnbd.fit(
            summary["lifetimes_frequency"], summary["lifetimes_recency"], summary["lifetimes_t"]
        ),
        gamma_gamma.fit(summary["lifetimes_frequency"], summary["lifetimes_monetary_value"]),
    ]
    table = fit_table(CALIBRATION_END, fits)
    assert table["model"].tolist() == ["bg_nbd", "gamma_gamma"]
    assert table.loc[0, "alpha"] == pytest.approx(4.414 * 7, rel=0.005)
    assert np.isnan(table.loc[0, "p"]) and np.isnan(table.loc[1, "r"])
    bg, gg = params_from_fit_table(table)
    values = customer_values(summary, bg, gg, ValueSettings(0.1, 0.3, 0.7))
    assert len(values) == 2357 and values["customer_key"].is_unique
    assert values["p_alive"].between(0, 1).all()
    assert (values["expected_purchases_30d"] <= values["expected_purchases_90d"]).all()
    assert (values["expected_purchases_90d"] <= values["expected_purchases_365d"]).all()
    one_time = summary["lifetimes_frequency"] == 0
    population_mean = gg[0] * gg[2] / (gg[1] - 1)
    assert values["expected_avg_order_value"].dtype == pd.ArrowDtype(pa.decimal128(18, 2))
    one_time_values = values.loc[one_time, "expected_avg_order_value"].astype(float)
    assert one_time_values.eq(round(population_mean, 2)).all()
    assert set(values["clv_decile"]) == set(range(1, 11))
    assert values.groupby("clv_decile")["clv_12m"].min().is_monotonic_decreasing
    with pytest.raises(FitError, match="0 fitted gamma_gamma rows"):
        params_from_fit_table(table[table["model"] == "bg_nbd"])


def test_a_fit_recovers_the_parameters_it_simulated():
    """Customers drawn from BG/NBD itself, in whole days as the marts count them."""
    truth = (0.243, 4.414 * 7, 0.793, 2.426)
    x, t_x, t = simulate.histories(truth, customers=50_000, max_days=730, seed=3)
    fitted = bgnbd.fit(x, t_x, t).raise_unless_converged()
    for (name, value), true in zip(fitted.params.items(), truth, strict=True):
        assert value == pytest.approx(true, rel=0.15), name
