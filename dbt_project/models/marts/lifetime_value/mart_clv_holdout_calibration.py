"""The calibration check of BG/NBD at the as-of date (grain: calibration_frequency): refit on the
purchase days up to var clv_holdout_days before the as-of date, and compare, per number of
repeat purchases in that calibration period (capped at var clv_calibration_frequency_cap), the
mean predicted and actual repeat purchases in the holdout that follows. Reads the distinct
(customer, day) of paid orders in fct_orders once per run: orders only, never the other facts.
Empty while no customer repeated a purchase before the holdout."""

import pandas as pd

from clv.calibration import holdout_comparison
from clv.frames import to_pandas


def model(dbt, session):
    dbt.config(materialized="table")
    settings = dbt.config.get("meta")  # the vars, in _lifetime_value__models.yml
    # The one as-of date of this run (mart_clv_model_fit keeps earlier ones).
    as_of_dates = to_pandas(dbt.ref("mart_customer_rfm"), ["as_of_date"], distinct=True)
    as_of = pd.Timestamp(as_of_dates["as_of_date"].item()).date()
    purchase_days = to_pandas(
        dbt.ref("fct_orders"),
        ["customer_key", "order_date"],
        where=f"not is_unresolved and order_date <= date '{as_of.isoformat()}'",
        distinct=True,
    )
    return holdout_comparison(
        purchase_days,
        as_of,
        holdout_days=int(settings["holdout_days"]),
        frequency_cap=int(settings["frequency_cap"]),
    )
