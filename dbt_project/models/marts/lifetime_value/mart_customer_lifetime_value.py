"""Lifetime value per customer as of the as-of date (grain: customer_key; every customer of
mart_customer_rfm, i.e. with a paid order), from the lifetimes summary and the parameters this
run fitted in mart_clv_model_fit. Definitions in _lifetime_value__models.yml; the formulas with
their references in clv/ at the repository root."""

from clv.frames import to_pandas
from clv.lifetime_value import (
    PARAMETER_COLUMNS,
    ValueSettings,
    customer_values,
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
    summary = to_pandas(dbt.ref("mart_customer_rfm"), SUMMARY)
    fits = to_pandas(
        dbt.ref("mart_clv_model_fit"), ["as_of_date", "model", "converged", *PARAMETER_COLUMNS]
    )
    # mart_clv_model_fit keeps every as-of date's fit; this run's is the summary's as-of date
    # (it fails on an empty summary, so there is one).
    bg, gg = params_from_fit_table(fits[fits["as_of_date"] == summary["as_of_date"].iloc[0]])
    return customer_values(summary, bg, gg, value_settings)
