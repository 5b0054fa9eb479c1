"""Maximum likelihood on grouped data, shared by both models: positive parameters are optimised
on their logarithm, with the analytic gradient, and a fit is accepted only when it converged to
finite values."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize

# Parameters are searched within e^-15..e^15: beyond, a shape or rate is degenerate (3e-7 or
# 3e6) and no customer data supports it, so a fit that runs there has not found a maximum.
BOUND = 15.0


class FitError(RuntimeError):
    """A fit that did not converge or has nothing to fit; the message says which and why."""


@dataclass(frozen=True)
class NotFitted:
    """A model left unfitted because its data cannot identify it yet: too few repeat buyers.
    Not an error: the marts say so and the run goes on."""

    model: str
    customers: int
    repeat_buyers: int
    reason: str


class InsufficientData(FitError):
    """Raised by a fit whose data are too few to identify the model; carries what to table."""

    def __init__(self, not_fitted: NotFitted):
        super().__init__(f"{not_fitted.model}: {not_fitted.reason}")
        self.not_fitted = not_fitted


def require_repeat_buyers(model: str, customers: int, repeat_buyers: int, minimum: int) -> None:
    """The rule that tells too little data from a failed fit. Both models rest on repeat buyers:
    BG/NBD learns drop-out from them alone (a customer can drop out only after a repeat
    purchase), Gamma-Gamma is fitted on them. With fewer than `minimum` (at least one), a fit
    may run to the edge of the search space by chance, so the model is not fitted at all. With
    at least `minimum`, a fit that does not converge is an error."""
    if repeat_buyers == 0 or repeat_buyers < minimum:
        raise InsufficientData(
            NotFitted(
                model=model,
                customers=customers,
                repeat_buyers=repeat_buyers,
                reason=f"{repeat_buyers} repeat buyers, fewer than the {max(minimum, 1)} needed "
                "to identify the model (clv_min_repeat_buyers)",
            )
        )


@dataclass(frozen=True)
class Fit:
    model: str
    params: dict[str, float]
    log_likelihood: float
    customers: int
    repeat_buyers: int
    converged: bool
    fit_seconds: float
    problem: str | None = None  # why it did not converge

    def raise_unless_converged(self) -> Fit:
        if not self.converged:
            raise FitError(
                f"{self.model} fit did not converge on {self.customers} customers: "
                f"{self.problem} (parameters {self.rounded_params()}, log-likelihood "
                f"{self.log_likelihood:.4f})"
            )
        return self

    def rounded_params(self, digits: int = 4) -> dict[str, float]:
        return {name: round(value, digits) for name, value in self.params.items()}


def distinct_rows(*columns) -> tuple[list[np.ndarray], np.ndarray]:
    """The distinct rows of `columns` (in order of first appearance) and, per input row, the
    index of its distinct row. Each column is hashed on its own and the codes combined, which
    takes a fraction of a second at a million rows where np.unique(axis=0) takes several."""
    values = [np.asarray(c, dtype=float) for c in columns]
    key = np.zeros(len(values[0]), dtype=np.int64)
    for column in values:
        codes, uniques = pd.factorize(column)
        # Re-factorised after each column, the combined key stays below rows x distinct values.
        key, _ = pd.factorize(key * len(uniques) + codes)
    representative = np.empty(key.max() + 1 if key.size else 0, dtype=np.int64)
    representative[key] = np.arange(key.size)
    return [column[representative] for column in values], key


def grouped(*columns) -> tuple[list[np.ndarray], np.ndarray]:
    """The distinct rows of `columns`, sorted, and how many customers share each: the sufficient
    statistics the likelihoods need, so a fit's cost grows with distinct histories. Sorted, the
    likelihood sums its terms in the same order whatever order the customers came in, so a rerun
    over the same data fits the same parameters to the last digit."""
    distinct, inverse = distinct_rows(*columns)
    counts = np.bincount(inverse, minlength=len(distinct[0])).astype(float)
    order = np.lexsort(distinct[::-1])
    return [column[order] for column in distinct], counts[order]


def fit_positive(
    model: str,
    names: list[str],
    log_likelihood: Callable[[np.ndarray], tuple[float, np.ndarray]],
    initial: np.ndarray,
    customers: int,
    repeat_buyers: int,
    started: float,
) -> Fit:
    """Maximise `log_likelihood(params) -> (total, gradient)` over positive parameters. The
    result says whether it converged; callers that publish call `raise_unless_converged`.
    `started` is the `time.perf_counter()` when the caller began (grouping counts as fitting)."""

    def negative(log_params: np.ndarray) -> tuple[float, np.ndarray]:
        params = np.exp(log_params)
        value, gradient = log_likelihood(params)
        if not np.isfinite(value):
            return np.inf, np.zeros_like(log_params)
        # d/d(log p) = p * d/dp
        return -value, -gradient * params

    result = minimize(
        negative,
        np.log(initial),
        jac=True,
        method="L-BFGS-B",
        bounds=[(-BOUND, BOUND)] * len(names),
        options={"maxiter": 1000},
    )
    seconds = time.perf_counter() - started
    params = np.exp(result.x)
    at_bound = [n for n, v in zip(names, result.x, strict=True) if abs(v) >= BOUND - 1e-6]
    problem = None
    if at_bound:
        problem = (
            f"{', '.join(at_bound)} ran to the edge of the search space: the data do not "
            "identify the model"
        )
    elif not result.success:
        problem = f"the optimiser stopped without converging ({result.message})"
    elif not np.isfinite(result.fun) or not np.all(np.isfinite(params)):
        problem = "the log-likelihood or a parameter is not finite"
    return Fit(
        model=model,
        params=dict(zip(names, params.tolist(), strict=True)),
        log_likelihood=float(-result.fun),
        customers=customers,
        repeat_buyers=repeat_buyers,
        converged=problem is None,
        fit_seconds=seconds,
        problem=problem,
    )
