"""Customers drawn from the BG/NBD generative process: for tests that a fit recovers the
parameters, and for timing fits at scale (`python -m clv.simulate --customers 1000000`)."""

from __future__ import annotations

import argparse
import time

import numpy as np

from clv import bgnbd, gamma_gamma


def histories(params, customers: int, max_days: int, seed: int = 0):
    """(x, t_x, T) in whole days, as the marts count them: each customer first bought on a day
    uniform in the last `max_days`; while alive buys at rate lambda ~ Gamma(r, alpha); after each
    repeat purchase drops out with probability p ~ Beta(a, b). Purchases on one day count once."""
    r, alpha, a, b = params
    rng = np.random.default_rng(seed)
    rate = rng.gamma(r, 1 / alpha, customers)
    drop = rng.beta(a, b, customers)
    t = rng.integers(0, max_days + 1, customers).astype(float)
    clock = np.zeros(customers)
    last_day = np.zeros(customers)
    days = np.zeros(customers)
    active = np.ones(customers, dtype=bool)
    while active.any():
        index = np.flatnonzero(active)
        clock[index] += rng.exponential(1 / rate[index])
        bought = clock[index] <= t[index]
        buyers = index[bought]
        day = np.floor(clock[buyers])
        new_day = day > last_day[buyers]
        days[buyers[new_day]] += 1
        last_day[buyers] = day
        dies = rng.random(buyers.size) < drop[buyers]
        active[index[~bought]] = False
        active[buyers[dies]] = False
    return days, last_day, t


def mean_values(params, x, seed: int = 0) -> np.ndarray:
    """Each repeat buyer's mean repeat purchase value under Gamma-Gamma: the mean of x values
    Gamma(p, nu) is Gamma(p x, nu x), with nu ~ Gamma(q, v); 0 without a repeat purchase."""
    p, q, v = params
    rng = np.random.default_rng(seed)
    nu = rng.gamma(q, 1 / v, len(x))
    repeat = x > 0
    m = np.zeros(len(x))
    m[repeat] = rng.gamma(p * x[repeat], 1 / (nu[repeat] * x[repeat]))
    return m


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    # CDNOW's estimates (Fader, Hardie & Lee 2005), alpha from weeks to days.
    truth = (0.243, 4.414 * 7, 0.793, 2.426)
    value_truth = (6.25, 3.74, 15.44)
    started = time.perf_counter()
    x, t_x, t = histories(truth, args.customers, args.days, args.seed)
    simulated = time.perf_counter() - started
    distinct = len(np.unique(np.column_stack([x, t_x, t]), axis=0))
    fitted = bgnbd.fit(x, t_x, t).raise_unless_converged()
    print(
        f"{args.customers:,} customers over {args.days} days ({distinct:,} distinct histories, "
        f"{int((x > 0).sum()):,} repeat buyers; simulated in {simulated:.1f} s)"
    )
    print(f"BG/NBD fit in {fitted.fit_seconds:.2f} s (grouping included)")
    for (name, value), true in zip(fitted.params.items(), truth, strict=True):
        print(f"  {name:<6} {value:10.4f}  (simulated with {true:.4f})")
    values = gamma_gamma.fit(x, mean_values(value_truth, x, args.seed)).raise_unless_converged()
    print(f"Gamma-Gamma fit in {values.fit_seconds:.2f} s on {values.customers:,} repeat buyers")
    for (name, value), true in zip(values.params.items(), value_truth, strict=True):
        print(f"  {name:<6} {value:10.4f}  (simulated with {true:.4f})")


if __name__ == "__main__":
    main()
