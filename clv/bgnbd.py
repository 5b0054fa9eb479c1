"""BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way: an alternative to
the Pareto/NBD model", Marketing Science 24(2)).

A customer's history is (x, t_x, T): x repeat purchases, the last at t_x, observed for T, all
measured from the first purchase in one period unit (days in the marts, weeks in the paper).
While alive, a customer buys at Poisson rate lambda ~ Gamma(r, alpha); after each purchase they
drop out with probability p ~ Beta(a, b). Equation (6) of the paper, on logarithms:

    ln L = A1 + A2 + ln(exp(A3) + [x > 0] exp(A4))
    A1 = ln G(r + x) - ln G(r) + r ln(alpha)
    A2 = ln B(a, b + x) - ln B(a, b)
    A3 = -(r + x) ln(alpha + T)
    A4 = ln(a) - ln(b + x - 1) - (r + x) ln(alpha + t_x)

(A4 uses B(a + 1, b + x - 1) / B(a, b + x) = a / (b + x - 1)); the sum is a log-sum-exp, so
long histories do not underflow.
"""

from __future__ import annotations

import time

import numpy as np
from scipy.special import betaln, digamma, gammaln, hyp2f1, logsumexp

from clv.fitting import Fit, FitError, fit_positive, grouped

MODEL = "bg_nbd"
PARAMS = ["r", "alpha", "a", "b"]


def _check_histories(x, t_x, t) -> None:
    if np.any(x < 0) or np.any(t_x < 0) or np.any(t_x > t):
        raise FitError(
            "BG/NBD histories need 0 <= x, 0 <= t_x <= T (a repeat purchase after the "
            "observation end, or a negative count, is not a history)"
        )
    if np.any((x == 0) & (t_x != 0)):
        raise FitError("BG/NBD histories without repeat purchases must have t_x = 0")


def _terms(params, x, t_x, t):
    r, alpha, a, b = params
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = betaln(a, b + x) - betaln(a, b)
    a3 = -(r + x) * np.log(alpha + t)
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.where(x > 0, np.log(a) - np.log(b + x - 1) - (r + x) * np.log(alpha + t_x), -np.inf)
    return a1, a2, a3, a4


def log_likelihood(params, x, t_x, t, counts) -> tuple[float, np.ndarray]:
    """The total log-likelihood of grouped histories and its gradient in (r, alpha, a, b)."""
    r, alpha, a, b = params
    a1, a2, a3, a4 = _terms(params, x, t_x, t)
    mixture = logsumexp(np.stack([a3, a4]), axis=0)
    total = np.sum(counts * (a1 + a2 + mixture))
    w3 = np.exp(a3 - mixture)  # the weights of the two terms of the mixture
    w4 = np.exp(a4 - mixture)
    positive = x > 0
    safe_x = np.where(positive, x, 1.0)  # keeps b + x - 1 > 0 where A4 is absent
    d_r = (
        digamma(r + x)
        - digamma(r)
        + np.log(alpha)
        - w3 * np.log(alpha + t)
        - w4 * np.log(alpha + t_x)
    )
    d_alpha = r / alpha - w3 * (r + x) / (alpha + t) - w4 * (r + x) / (alpha + t_x)
    d_beta_a = digamma(a + b) - digamma(a + b + x)
    d_a = d_beta_a + np.where(positive, w4 / a, 0.0)
    d_b = digamma(b + x) - digamma(b) + d_beta_a - np.where(positive, w4 / (b + safe_x - 1), 0.0)
    gradient = np.array([np.sum(counts * d) for d in (d_r, d_alpha, d_a, d_b)])
    return float(total), gradient


def fit(x, t_x, t) -> Fit:
    """Maximum-likelihood BG/NBD on per-customer histories (grouped before fitting)."""
    started = time.perf_counter()
    x, t_x, t = (np.asarray(v, dtype=float) for v in (x, t_x, t))
    if x.size == 0:
        raise FitError("BG/NBD has no customers to fit")
    _check_histories(x, t_x, t)
    if not np.any(x > 0):
        raise FitError(
            f"BG/NBD cannot be fitted on {x.size} customers without a single repeat purchase: "
            "the data say nothing about purchase or drop-out rates yet"
        )
    (gx, gt_x, gt), counts = grouped(x, t_x, t)
    initial = np.array([1.0, max(float(np.mean(t)), 1.0), 1.0, 1.0])
    return fit_positive(
        MODEL,
        PARAMS,
        lambda params: log_likelihood(params, gx, gt_x, gt, counts),
        initial,
        customers=int(x.size),
        started=started,
    )


def _odds_dead(params, x, t_x, t):
    """[x > 0] a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x): P(dead) / P(alive)."""
    r, alpha, a, b = params
    safe_x = np.where(x > 0, x, 1.0)
    log_odds = np.log(a) - np.log(b + safe_x - 1) + (r + x) * np.log((alpha + t) / (alpha + t_x))
    return np.where(x > 0, np.exp(log_odds), 0.0)


def p_alive(params, x, t_x, t) -> np.ndarray:
    """P(alive | x, t_x, T), equation (11) of the paper; 1 without repeat purchases (BG/NBD
    lets a customer drop out only right after a repeat purchase)."""
    x, t_x, t = (np.asarray(v, dtype=float) for v in (x, t_x, t))
    return 1.0 / (1.0 + _odds_dead(params, x, t_x, t))


def expected_purchases(params, horizon: float, x, t_x, t) -> np.ndarray:
    """E[Y(horizon) | x, t_x, T], the expected purchases in the next `horizon` periods,
    equation (10) of the paper:

        (a + b + x - 1) / (a - 1) * [1 - ((alpha + T) / (alpha + T + t))^(r + x)
            * 2F1(r + x, b + x; a + b + x - 1; z)] / (1 + odds of being dead),
        z = t / (alpha + T + t)

    with Euler's transformation 2F1(A, B; C; z) = (1 - z)^(C - A - B) 2F1(C - A, C - B; C; z),
    so the product becomes (1 - z)^(a - 1) 2F1(a + b - 1 - r, a - 1; a + b + x - 1; z): the
    original overflows for long histories while its power factor underflows."""
    r, alpha, a, b = params
    if abs(a - 1.0) < 1e-9:
        raise FitError("BG/NBD expected purchases are undefined at a = 1")
    x, t_x, t = (np.asarray(v, dtype=float) for v in (x, t_x, t))
    if horizon == 0:
        return np.zeros_like(x)
    z = horizon / (alpha + t + horizon)
    hypergeometric = (1 - z) ** (a - 1) * hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z)
    expected = (a + b + x - 1) / (a - 1) * (1 - hypergeometric)
    return expected / (1.0 + _odds_dead(params, x, t_x, t))


def params_of(fitted: Fit) -> tuple[float, float, float, float]:
    return tuple(fitted.params[name] for name in PARAMS)
