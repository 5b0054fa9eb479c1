"""The calibration / holdout check of BG/NBD (Fader, Hardie & Lee 2005, figure 4): fit on the
purchases up to `holdout_days` before the as-of date, predict each customer's repeat purchases
in the holdout that follows, and compare the mean prediction with the mean actual count per
number of repeat purchases in the calibration period. Purchases are counted as purchase days,
as in the lifetimes summary of mart_customer_rfm."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from clv import bgnbd
from clv.fitting import InsufficientData
from clv.frames import DATE, empty_frame


def split_histories(
    purchase_days: pd.DataFrame, calibration_end: dt.date, holdout_end: dt.date
) -> pd.DataFrame:
    """Per customer who bought by `calibration_end`: x, t_x, T (days) in the calibration period
    and the purchase days in (calibration_end, holdout_end]. `purchase_days` has one row per
    customer_key and order_date."""
    days = purchase_days.assign(order_date=pd.to_datetime(purchase_days["order_date"]))
    end = pd.Timestamp(calibration_end)
    calibration = days[days["order_date"] <= end]
    holdout = days[(days["order_date"] > end) & (days["order_date"] <= pd.Timestamp(holdout_end))]
    per_customer = calibration.groupby("customer_key")["order_date"].agg(["min", "max", "size"])
    histories = pd.DataFrame(
        {
            "x": per_customer["size"] - 1,
            "t_x": (per_customer["max"] - per_customer["min"]).dt.days,
            "t": (end - per_customer["min"]).dt.days,
        },
        index=per_customer.index,
    )
    actual = holdout.groupby("customer_key").size()
    histories["holdout_purchases"] = actual.reindex(histories.index, fill_value=0)
    return histories


COLUMNS = {
    "as_of_date": DATE,
    "calibration_end_date": DATE,
    "holdout_days": "int64",
    "calibration_frequency": "int64",
    "customers": "int64",
    "actual_holdout_purchases": "float64",
    "predicted_holdout_purchases": "float64",
    "is_capped": "bool",
}


def holdout_comparison(
    purchase_days: pd.DataFrame,
    as_of_date: dt.date,
    holdout_days: int,
    frequency_cap: int,
    min_repeat_buyers: int = 1,
) -> pd.DataFrame:
    """Per calibration repeat purchases (capped: `frequency_cap` stands for that many or more),
    customers and their mean actual and predicted holdout purchases; the columns of
    mart_clv_holdout_calibration. No rows while fewer than `min_repeat_buyers` customers (at
    least one) repeated a purchase before the holdout: too little history to calibrate on. A
    calibration fit on more that does not converge raises FitError."""
    if holdout_days <= 0 or frequency_cap <= 0:
        raise ValueError(
            "clv_holdout_days and clv_calibration_frequency_cap must be positive, got "
            f"{holdout_days} and {frequency_cap}"
        )
    calibration_end = as_of_date - dt.timedelta(days=holdout_days)
    histories = split_histories(purchase_days, calibration_end, as_of_date)
    try:
        fitted = bgnbd.fit(
            histories["x"], histories["t_x"], histories["t"], min_repeat_buyers
        ).raise_unless_converged()
    except InsufficientData:
        return empty_frame(COLUMNS)
    histories["predicted"] = bgnbd.expected_purchases(
        bgnbd.params_of(fitted), holdout_days, histories["x"], histories["t_x"], histories["t"]
    )
    histories["calibration_frequency"] = np.minimum(histories["x"], frequency_cap).astype(int)
    compared = (
        histories.groupby("calibration_frequency")
        .agg(
            customers=("x", "size"),
            actual_holdout_purchases=("holdout_purchases", "mean"),
            predicted_holdout_purchases=("predicted", "mean"),
        )
        .reset_index()
    )
    compared["as_of_date"] = as_of_date
    compared["calibration_end_date"] = calibration_end
    compared["holdout_days"] = holdout_days
    compared["is_capped"] = compared["calibration_frequency"] == frequency_cap
    return compared[list(COLUMNS)].astype(COLUMNS)
