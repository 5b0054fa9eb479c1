"""Per-customer lifetime value from fitted BG/NBD and Gamma-Gamma: what
mart_customer_lifetime_value publishes. Every time is in days."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from clv import bgnbd, gamma_gamma
from clv.fitting import Fit, FitError, InsufficientData, NotFitted, distinct_rows
from clv.frames import DATE, empty_frame

HORIZONS_DAYS = (30, 90, 365)
MONEY_TYPE = pa.decimal128(18, 2)
MONEY = pd.ArrowDtype(MONEY_TYPE)
PARAMETER_COLUMNS = [*bgnbd.PARAMS, *gamma_gamma.PARAMS]
MONTHS = 12
DAYS_PER_MONTH = 365 / 12
# mart_clv_model_fit.status: fitted, or not attempted on too little data (fitting.NotFitted).
FITTED = "fitted"
INSUFFICIENT_DATA = "insufficient_data"
# The columns of mart_customer_lifetime_value, typed alike whether the run values customers or
# not (no fit: too little data).
VALUE_COLUMNS = {
    "customer_key": "str",
    "as_of_date": DATE,
    "p_alive": "float64",
    **{f"expected_purchases_{days}d": "float64" for days in HORIZONS_DAYS},
    "expected_avg_order_value": MONEY,
    "clv_12m": MONEY,
    "clv_decile": "int64",
    "churn_risk": "str",
}
FIT_COLUMNS = {
    "fit_id": "str",
    "as_of_date": DATE,
    "model": "str",
    "status": "str",
    "status_reason": "str",
    **dict.fromkeys(PARAMETER_COLUMNS, "float64"),
    "log_likelihood": "float64",
    "customers": "int64",
    "repeat_buyers": "int64",
    "converged": "boolean",
    "fit_seconds": "float64",
}


@dataclass(frozen=True)
class ValueSettings:
    annual_discount_rate: float  # var clv_annual_discount_rate
    high_risk_below: float  # var clv_churn_risk_high_below: P(alive) under it is high risk
    medium_risk_below: float  # var clv_churn_risk_medium_below

    def __post_init__(self):
        if not 0 <= self.annual_discount_rate < 1:
            raise ValueError(
                f"clv_annual_discount_rate must be in [0, 1), got {self.annual_discount_rate}"
            )
        if not 0 <= self.high_risk_below <= self.medium_risk_below <= 1:
            raise ValueError(
                "churn-risk thresholds need 0 <= clv_churn_risk_high_below <= "
                f"clv_churn_risk_medium_below <= 1, got {self.high_risk_below} and "
                f"{self.medium_risk_below}"
            )


def clv_12m(bgnbd_params, x, t_x, t, order_value, annual_discount_rate: float) -> np.ndarray:
    """Expected purchases in each of the next 12 months (of 365/12 days) times the expected
    order value, each month discounted at the monthly equivalent of the annual rate."""
    monthly = (1 + annual_discount_rate) ** (1 / MONTHS) - 1
    cumulative = [
        bgnbd.expected_purchases(bgnbd_params, month * DAYS_PER_MONTH, x, t_x, t)
        for month in range(MONTHS + 1)
    ]
    discounted = sum(
        (cumulative[month] - cumulative[month - 1]) / (1 + monthly) ** month
        for month in range(1, MONTHS + 1)
    )
    return discounted * order_value


def cents(values: np.ndarray) -> pd.Series:
    """Money as exact DECIMAL(18, 2), as every money column of the marts (rounded to the
    nearest cent): a float's last digits would make a rerun publish other text."""
    exact = pc.cast(pa.array(np.asarray(values, dtype=float)), MONEY_TYPE, safe=False)
    return pd.Series(exact, dtype=MONEY)


def deciles(values: np.ndarray) -> np.ndarray:
    """1 for the top tenth, 10 for the bottom; tied values share a decile (by rank), so the
    result does not depend on row order."""
    ranks = pd.Series(values).rank(method="min", ascending=False).to_numpy()
    return (1 + np.floor(10 * (ranks - 1) / len(values))).astype(int)


def churn_risk(alive: np.ndarray, settings: ValueSettings) -> np.ndarray:
    return np.select(
        [alive < settings.high_risk_below, alive < settings.medium_risk_below],
        ["high", "medium"],
        "low",
    )


def customer_values(
    summary: pd.DataFrame, bg: tuple, gg: tuple, settings: ValueSettings
) -> pd.DataFrame:
    """One row per customer of `summary` (columns customer_key, as_of_date,
    lifetimes_frequency, lifetimes_recency, lifetimes_t, lifetimes_monetary_value), given the
    BG/NBD parameters (r, alpha, a, b) and the Gamma-Gamma parameters (p, q, v)."""
    # Predictions depend on (x, t_x, T) only: computed once per distinct history.
    (x, t_x, t), customer_history = distinct_rows(
        summary["lifetimes_frequency"], summary["lifetimes_recency"], summary["lifetimes_t"]
    )
    order_value = gamma_gamma.expected_order_value(
        gg,
        summary["lifetimes_frequency"].to_numpy(dtype=float),
        summary["lifetimes_monetary_value"].to_numpy(dtype=float),
    )
    alive = bgnbd.p_alive(bg, x, t_x, t)[customer_history]
    values = pd.DataFrame(
        {
            "customer_key": summary["customer_key"].to_numpy(),
            "as_of_date": pd.to_datetime(summary["as_of_date"]).dt.date,
            "p_alive": alive,
        }
    )
    for days in HORIZONS_DAYS:
        expected = bgnbd.expected_purchases(bg, days, x, t_x, t)
        values[f"expected_purchases_{days}d"] = expected[customer_history]
    values["expected_avg_order_value"] = cents(order_value)
    # clv_12m's purchases are per history; its order value per customer.
    months = clv_12m(bg, x, t_x, t, 1.0, settings.annual_discount_rate)
    value = cents(months[customer_history] * order_value)
    values["clv_12m"] = value
    values["clv_decile"] = deciles(value.to_numpy(dtype=float))
    values["churn_risk"] = churn_risk(alive, settings)
    return values.astype(VALUE_COLUMNS)


def no_values() -> pd.DataFrame:
    """mart_customer_lifetime_value while a model has too little data to be fitted."""
    return empty_frame(VALUE_COLUMNS)


def fit_models(summary: pd.DataFrame, min_repeat_buyers: int) -> list[Fit | NotFitted]:
    """BG/NBD on every customer of `summary` (the lifetimes columns of mart_customer_rfm),
    Gamma-Gamma on its repeat buyers with a positive repeat value: each converged, or left
    unfitted below `min_repeat_buyers` repeat buyers. A fit on enough data that does not
    converge raises FitError."""
    frequency = summary["lifetimes_frequency"]
    return [
        _converged_or_not_fitted(
            bgnbd.fit,
            frequency,
            summary["lifetimes_recency"],
            summary["lifetimes_t"],
            min_repeat_buyers,
        ),
        _converged_or_not_fitted(
            gamma_gamma.fit, frequency, summary["lifetimes_monetary_value"], min_repeat_buyers
        ),
    ]


def _converged_or_not_fitted(fit, *args) -> Fit | NotFitted:
    try:
        return fit(*args).raise_unless_converged()
    except InsufficientData as too_little:
        return too_little.not_fitted


def fit_table(as_of_date, outcomes: list[Fit | NotFitted]) -> pd.DataFrame:
    """mart_clv_model_fit: one row per model, its parameters in their own columns (null where
    the parameter belongs to the other model, and for a model not fitted). Only converged fits
    are tabled as fitted."""
    as_of_date = pd.Timestamp(as_of_date).date()
    rows = []
    for outcome in outcomes:
        row = {
            "fit_id": f"{as_of_date.isoformat()}/{outcome.model}",
            "as_of_date": as_of_date,
            "model": outcome.model,
            "customers": outcome.customers,
            "repeat_buyers": outcome.repeat_buyers,
        }
        if isinstance(outcome, NotFitted):
            row |= {"status": INSUFFICIENT_DATA, "status_reason": outcome.reason}
        else:
            fitted = outcome.raise_unless_converged()
            row |= {
                "status": FITTED,
                **{name: fitted.params.get(name) for name in PARAMETER_COLUMNS},
                "log_likelihood": fitted.log_likelihood,
                "converged": fitted.converged,
                "fit_seconds": fitted.fit_seconds,
            }
        rows.append(row)
    return pd.DataFrame(rows, columns=list(FIT_COLUMNS)).astype(FIT_COLUMNS)


def params_from_fit_table(fits: pd.DataFrame) -> tuple[tuple, tuple] | None:
    """The BG/NBD and Gamma-Gamma parameters of one as-of date's rows of a fit table; None when
    a model was not fitted for too little data. Otherwise each model needs one fitted row."""
    if (fits["status"] == INSUFFICIENT_DATA).any():
        return None
    found = {}
    for module in (bgnbd, gamma_gamma):
        rows = fits[(fits["model"] == module.MODEL) & (fits["status"] == FITTED)]
        if len(rows) != 1:
            raise FitError(
                f"mart_clv_model_fit has {len(rows)} fitted {module.MODEL} rows; needs one"
            )
        found[module.MODEL] = tuple(float(rows.iloc[0][name]) for name in module.PARAMS)
    return found[bgnbd.MODEL], found[gamma_gamma.MODEL]
