"""The calibration check of BG/NBD at the as-of date (grain: calibration_frequency): refit on the
purchase days up to var clv_holdout_days before the as-of date, and compare, per number of
repeat purchases in that calibration period (capped at var clv_calibration_frequency_cap), the
mean predicted and actual repeat purchases in the holdout that follows. Reads the purchase days
from the compact daily state int_customer_days_summarised (its 'order' rows with a paid order),
never the facts, and keeps the customers of mart_customer_rfm (the unresolved bucket is none).
Empty while fewer than var clv_min_repeat_buyers customers repeated a purchase before the
holdout."""

from clv.calibration import holdout_comparison
from clv.frames import as_of_date, for_engine, to_pandas


def model(dbt, session):
    dbt.config(materialized="table")
    settings = dbt.config.get("meta")  # the vars, in _lifetime_value__models.yml
    as_of = as_of_date(dbt.ref("int_as_of_dates_resolved"))
    purchase_days = to_pandas(
        dbt.ref("int_customer_days_summarised"),
        ["customer_key", "occurred_date"],
        where=f"channel = 'order' and paid_orders > 0 and occurred_date <= date '{as_of}'",
        distinct=True,
    ).rename(columns={"occurred_date": "order_date"})
    customers = to_pandas(dbt.ref("mart_customer_rfm"), ["customer_key"])["customer_key"]
    comparison = holdout_comparison(
        purchase_days[purchase_days["customer_key"].isin(customers)],
        as_of,
        holdout_days=int(settings["holdout_days"]),
        frequency_cap=int(settings["frequency_cap"]),
        min_repeat_buyers=int(settings["min_repeat_buyers"]),
    )
    return for_engine(comparison, session)
