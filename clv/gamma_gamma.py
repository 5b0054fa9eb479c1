"""Gamma-Gamma model of monetary value (Fader, Hardie & Lee 2005, "RFM and CLV: using iso-value
curves for customer base analysis", JMR 42(4); Fader & Hardie 2013, "The Gamma-Gamma model of
monetary value").

A repeat buyer's transaction values are Gamma(p, nu) around their mean p / nu, with nu ~
Gamma(q, v) across customers. Fitted on customers with x > 0 repeat transactions of mean value
m > 0; per customer:

    ln L = ln G(p x + q) - ln G(p x) - ln G(q) + q ln v + (p x - 1) ln m + p x ln x
           - (p x + q) ln(v + m x)

The expected order value given (x, m) is (v + m x) p / (p x + q - 1); with no repeat
transaction, the population mean p v / (q - 1). Both need q > 1.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
from scipy.special import digamma, gammaln

from clv.fitting import Fit, fit_positive, grouped, require_repeat_buyers

MODEL = "gamma_gamma"
PARAMS = ["p", "q", "v"]


@dataclass(frozen=True)
class _Buyers:
    """Grouped (x, m) with what does not depend on the parameters summed once: the special
    functions are computed per distinct x, and only ln(v + m x) per row and evaluation."""

    counts: np.ndarray
    x: np.ndarray  # per row
    m: np.ndarray
    distinct_x: np.ndarray
    customers_per_x: np.ndarray
    sum_x_log_mx: float  # sum of counts * x * (ln m + ln x)
    sum_log_m: float  # sum of counts * ln m

    @classmethod
    def of(cls, x, m, counts) -> _Buyers:
        x, m, counts = (np.asarray(v, dtype=float) for v in (x, m, counts))
        distinct_x, x_index = np.unique(x, return_inverse=True)
        return cls(
            counts=counts,
            x=x,
            m=m,
            distinct_x=distinct_x,
            customers_per_x=np.bincount(x_index, weights=counts, minlength=distinct_x.size),
            sum_x_log_mx=float(np.sum(counts * x * (np.log(m) + np.log(x)))),
            sum_log_m=float(np.sum(counts * np.log(m))),
        )


def _log_likelihood(params, b: _Buyers) -> tuple[float, np.ndarray]:
    p, q, v = params
    customers = b.counts.sum()
    px = p * b.distinct_x
    log_spend = np.log(v + b.m * b.x)
    weighted = b.counts * (p * b.x + q)
    total = (
        np.sum(b.customers_per_x * (gammaln(px + q) - gammaln(px)))
        - customers * gammaln(q)
        + customers * q * np.log(v)
        + p * b.sum_x_log_mx
        - b.sum_log_m
        - np.sum(weighted * log_spend)
    )
    d_p = (
        np.sum(b.customers_per_x * b.distinct_x * (digamma(px + q) - digamma(px)))
        + b.sum_x_log_mx
        - np.sum(b.counts * b.x * log_spend)
    )
    d_q = (
        np.sum(b.customers_per_x * digamma(px + q))
        - customers * digamma(q)
        + customers * np.log(v)
        - np.sum(b.counts * log_spend)
    )
    d_v = customers * q / v - np.sum(weighted / (v + b.m * b.x))
    return float(total), np.array([d_p, d_q, d_v])


def log_likelihood(params, x, m, counts) -> tuple[float, np.ndarray]:
    """The total log-likelihood of grouped (x, m) and its gradient in (p, q, v)."""
    return _log_likelihood(params, _Buyers.of(x, m, counts))


def fit(x, m, min_repeat_buyers: int = 1) -> Fit:
    """Maximum-likelihood Gamma-Gamma on repeat buyers: customers with x > 0 and m > 0 (others
    are left out, as the model describes repeat transactions only). Raises InsufficientData
    below `min_repeat_buyers` of them (and always without one)."""
    started = time.perf_counter()
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    repeat = (x > 0) & (m > 0)
    repeat_buyers = int(np.count_nonzero(repeat))
    require_repeat_buyers(MODEL, repeat_buyers, repeat_buyers, min_repeat_buyers)
    (gx, gm), counts = grouped(x[repeat], m[repeat])
    buyers = _Buyers.of(gx, gm, counts)
    initial = np.array([1.0, 2.0, float(np.mean(m[repeat]))])
    fitted = fit_positive(
        MODEL,
        PARAMS,
        lambda params: _log_likelihood(params, buyers),
        initial,
        customers=repeat_buyers,
        repeat_buyers=repeat_buyers,
        started=started,
    )
    if fitted.converged and fitted.params["q"] <= 1:
        return replace(
            fitted,
            converged=False,
            problem=f"q = {fitted.params['q']:.4f} <= 1: the mean order value is infinite",
        )
    return fitted


def expected_order_value(params, x, m) -> np.ndarray:
    """E(M | x, m): the customer's mean weighted with the population's; the population mean
    p v / (q - 1) for customers without a repeat transaction of positive value."""
    p, q, v = params
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    population = p * v / (q - 1)
    repeat = (x > 0) & (m > 0)
    conditional = (v + m * x) * p / (p * x + q - 1)
    return np.where(repeat, conditional, population)


def params_of(fitted: Fit) -> tuple[float, float, float]:
    return tuple(fitted.params[name] for name in PARAMS)
