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
from dataclasses import replace

import numpy as np
from scipy.special import digamma, gammaln

from clv.fitting import Fit, FitError, fit_positive, grouped

MODEL = "gamma_gamma"
PARAMS = ["p", "q", "v"]


def log_likelihood(params, x, m, counts) -> tuple[float, np.ndarray]:
    """The total log-likelihood of grouped (x, m) and its gradient in (p, q, v)."""
    p, q, v = params
    px = p * x
    spend = v + m * x
    total = np.sum(
        counts
        * (
            gammaln(px + q)
            - gammaln(px)
            - gammaln(q)
            + q * np.log(v)
            + (px - 1) * np.log(m)
            + px * np.log(x)
            - (px + q) * np.log(spend)
        )
    )
    d_p = x * (digamma(px + q) - digamma(px) + np.log(m) + np.log(x) - np.log(spend))
    d_q = digamma(px + q) - digamma(q) + np.log(v) - np.log(spend)
    d_v = q / v - (px + q) / spend
    gradient = np.array([np.sum(counts * d) for d in (d_p, d_q, d_v)])
    return float(total), gradient


def fit(x, m) -> Fit:
    """Maximum-likelihood Gamma-Gamma on repeat buyers: customers with x > 0 and m > 0 (others
    are left out, as the model describes repeat transactions only)."""
    started = time.perf_counter()
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    repeat = (x > 0) & (m > 0)
    if not np.any(repeat):
        raise FitError(
            f"Gamma-Gamma has no repeat buyer with a positive repeat value among {x.size} "
            "customers to fit"
        )
    (gx, gm), counts = grouped(x[repeat], m[repeat])
    initial = np.array([1.0, 2.0, float(np.mean(m[repeat]))])
    fitted = fit_positive(
        MODEL,
        PARAMS,
        lambda params: log_likelihood(params, gx, gm, counts),
        initial,
        customers=int(repeat.sum()),
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
