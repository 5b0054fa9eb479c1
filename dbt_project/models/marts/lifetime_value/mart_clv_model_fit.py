"""BG/NBD and Gamma-Gamma fitted by maximum likelihood at the as-of date (grain: as_of_date,
model; one row per model and as-of date, kept across runs). Reads only the lifetimes summary of
mart_customer_rfm (daily periods): BG/NBD on every customer's (x, t_x, T), Gamma-Gamma on repeat
buyers with a positive repeat value. A fit that does not converge fails this model, naming the
model and why, so nothing downstream is built from it and nothing is published. The likelihoods
and their references are in clv/ at the repository root."""

from clv import bgnbd, gamma_gamma
from clv.frames import to_pandas
from clv.lifetime_value import fit_table

SUMMARY = ["as_of_date", "lifetimes_frequency", "lifetimes_recency", "lifetimes_t"]


def model(dbt, session):
    dbt.config(
        materialized="incremental",
        incremental_strategy="delete+insert",
        unique_key=["as_of_date", "model"],
    )
    summary = to_pandas(dbt.ref("mart_customer_rfm"), [*SUMMARY, "lifetimes_monetary_value"])
    histories = [summary[c] for c in SUMMARY[1:]]
    fits = [
        bgnbd.fit(*histories),
        gamma_gamma.fit(summary["lifetimes_frequency"], summary["lifetimes_monetary_value"]),
    ]
    return fit_table(summary["as_of_date"].iloc[0], fits)
