"""Lifetime value per customer as of the as-of date (grain: customer_key; every customer of
mart_customer_rfm, i.e. with a paid order), from the lifetimes summary and the parameters this
run fitted in mart_clv_model_fit; no rows while a model had too little data to be fitted.
Definitions in _lifetime_value__models.yml; the formulas with their references in clv/ at the
repository root."""

from clv.frames import as_of_date, for_engine, to_pandas
from clv.lifetime_value import (
    PARAMETER_COLUMNS,
    ValueSettings,
    customer_values,
    no_values,
    params_from_fit_table,
)

SUMMARY = [
    "customer_key",
    "as_of_date",
    "lifetimes_frequency",
    "lifetimes_recency",
    "lifetimes_t",
    "lifetimes_monetary_value",
]


def model(dbt, session):
    dbt.config(materialized="table")
    settings = dbt.config.get("meta")  # the vars, in _lifetime_value__models.yml
    value_settings = ValueSettings(
        annual_discount_rate=float(settings["annual_discount_rate"]),
        high_risk_below=float(settings["churn_risk_high_below"]),
        medium_risk_below=float(settings["churn_risk_medium_below"]),
    )
    # mart_clv_model_fit keeps every as-of date's fits; this run's are the as-of date's.
    fits = to_pandas(
        dbt.ref("mart_clv_model_fit"),
        ["model", "status", *PARAMETER_COLUMNS],
        where=f"as_of_date = date '{as_of_date(dbt.ref('int_as_of_dates_resolved'))}'",
    )
    params = params_from_fit_table(fits)
    if params is None:
        return for_engine(no_values(), session)
    summary = to_pandas(dbt.ref("mart_customer_rfm"), SUMMARY)
    return for_engine(customer_values(summary, *params, value_settings), session)
