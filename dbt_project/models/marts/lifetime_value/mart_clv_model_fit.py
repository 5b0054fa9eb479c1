"""BG/NBD and Gamma-Gamma fitted by maximum likelihood at the as-of date (grain: as_of_date, model;
one row per model and as-of date, kept across runs on DuckDB). Reads only the lifetimes summary
of mart_customer_rfm (daily periods): BG/NBD on every customer's (x, t_x, T), Gamma-Gamma on
repeat buyers with a positive repeat value. Below var clv_min_repeat_buyers repeat buyers a
model is not fitted and its row says so (status insufficient_data), which a warning check
reports; on more, a fit that does not converge fails this model, naming the model and why, so
nothing downstream is built from it and nothing is published. The likelihoods and their
references are in clv/ at the repository root."""

from clv.frames import as_of_date, for_engine, to_pandas
from clv.lifetime_value import fit_models, fit_table

SUMMARY = [
    "lifetimes_frequency",
    "lifetimes_recency",
    "lifetimes_t",
    "lifetimes_monetary_value",
]


def model(dbt, session):
    # materialized per engine: _lifetime_value__models.yml
    settings = dbt.config.get("meta")  # the vars, in _lifetime_value__models.yml
    summary = to_pandas(dbt.ref("mart_customer_rfm"), SUMMARY)
    fits = fit_models(summary, min_repeat_buyers=int(settings["min_repeat_buyers"]))
    return for_engine(fit_table(as_of_date(dbt.ref("int_as_of_dates_resolved")), fits), session)
