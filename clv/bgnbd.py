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
from dataclasses import dataclass

import numpy as np
from scipy.special import betaln, digamma, gammaln, hyp2f1

from clv.fitting import Fit, FitError, fit_positive, grouped, require_repeat_buyers

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


@dataclass(frozen=True)
class _Histories:
    """Grouped histories with each of x, t_x and T split into its distinct values and an index:
    every special function and logarithm is computed once per distinct value (a few hundred in
    days), not once per history (hundreds of thousands at a million customers)."""

    counts: np.ndarray
    x: np.ndarray  # distinct values of x
    x_index: np.ndarray  # per history, its x among them
    t_x: np.ndarray
    t_x_index: np.ndarray
    t: np.ndarray
    t_index: np.ndarray
    repeat: np.ndarray  # per history, x > 0
    customers_per_x: np.ndarray  # per distinct x, the customers with it

    @classmethod
    def of(cls, x, t_x, t, counts) -> _Histories:
        counts = np.asarray(counts, dtype=float)
        parts = {}
        for name, values in (("x", x), ("t_x", t_x), ("t", t)):
            parts[name], parts[f"{name}_index"] = np.unique(values, return_inverse=True)
        per_x = np.bincount(parts["x_index"], weights=counts, minlength=parts["x"].size)
        return cls(counts=counts, repeat=np.asarray(x) > 0, customers_per_x=per_x, **parts)


def _log_likelihood(params, h: _Histories) -> tuple[float, np.ndarray]:
    r, alpha, a, b = params
    xs = h.x
    # Per distinct x: A1 + A2 without r ln(alpha), the digammas of the gradient, ln(b + x - 1).
    by_x = gammaln(r + xs) - gammaln(r) + betaln(a, b + xs) - betaln(a, b)
    digamma_r = digamma(r + xs) - digamma(r)
    digamma_ab = digamma(a + b) - digamma(a + b + xs)
    digamma_b = digamma(b + xs) - digamma(b)
    inverse_b = 1 / (b + np.maximum(xs, 1) - 1)  # where x > 0 only
    ln_b = np.log(b + np.maximum(xs, 1) - 1)
    ln_alpha_t = np.log(alpha + h.t)[h.t_index]
    ln_alpha_t_x = np.log(alpha + h.t_x)[h.t_x_index]
    x = xs[h.x_index]
    a3 = -(r + x) * ln_alpha_t
    a4 = np.where(h.repeat, np.log(a) - ln_b[h.x_index] - (r + x) * ln_alpha_t_x, -np.inf)
    # ln(exp(A3) + [x > 0] exp(A4)) as a log-sum-exp: the larger term factored out, so nothing
    # overflows or underflows (numpy's logaddexp does the same, several times slower).
    larger = np.maximum(a3, a4)
    mixture = larger + np.log1p(np.exp(np.minimum(a3, a4) - larger))
    total = np.sum(h.counts * (by_x[h.x_index] + r * np.log(alpha) + mixture))
    w3 = h.counts * np.exp(a3 - mixture)  # each term's weight in the mixture, times its count
    w4 = h.counts * np.exp(a4 - mixture)
    # Sums of products as sum(u * v), not u @ v: a BLAS dot product starts threads, which cost
    # more than they save on a busy machine.
    customers = h.customers_per_x
    d_r = (
        np.sum(customers * digamma_r)
        + h.counts.sum() * np.log(alpha)
        - np.sum(w3 * ln_alpha_t)
        - np.sum(w4 * ln_alpha_t_x)
    )
    d_alpha = (
        h.counts.sum() * r / alpha
        - np.sum(w3 * (r + x) / (alpha + h.t[h.t_index]))
        - np.sum(w4 * (r + x) / (alpha + h.t_x[h.t_x_index]))
    )
    d_a = np.sum(customers * digamma_ab) + w4.sum() / a
    d_b = np.sum(customers * (digamma_b + digamma_ab)) - np.sum(w4 * inverse_b[h.x_index])
    return float(total), np.array([d_r, d_alpha, d_a, d_b])


def log_likelihood(params, x, t_x, t, counts) -> tuple[float, np.ndarray]:
    """The total log-likelihood of grouped histories and its gradient in (r, alpha, a, b)."""
    x, t_x, t = (np.asarray(v, dtype=float) for v in (x, t_x, t))
    return _log_likelihood(params, _Histories.of(x, t_x, t, counts))


def fit(x, t_x, t, min_repeat_buyers: int = 1) -> Fit:
    """Maximum-likelihood BG/NBD on per-customer histories (grouped before fitting). Raises
    InsufficientData below `min_repeat_buyers` customers with x > 0 (and always without one:
    the data then say nothing about purchase or drop-out rates)."""
    started = time.perf_counter()
    x, t_x, t = (np.asarray(v, dtype=float) for v in (x, t_x, t))
    _check_histories(x, t_x, t)
    repeat_buyers = int(np.count_nonzero(x > 0))
    require_repeat_buyers(MODEL, int(x.size), repeat_buyers, min_repeat_buyers)
    (gx, gt_x, gt), counts = grouped(x, t_x, t)
    histories = _Histories.of(gx, gt_x, gt, counts)
    initial = np.array([1.0, max(float(np.mean(t)), 1.0), 1.0, 1.0])
    return fit_positive(
        MODEL,
        PARAMS,
        lambda params: _log_likelihood(params, histories),
        initial,
        customers=int(x.size),
        repeat_buyers=repeat_buyers,
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
