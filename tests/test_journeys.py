"""The funnel and attribution marts over the session's sample: Markov removal effects and every
model's weights against an implementation of their own here (pandas journeys, a linear solve of
the absorbing chain), the removal effects against the ChannelAttribution package too, and the
reconciliation checks failing on altered copies."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter

import duckdb
import numpy as np
import pandas as pd
import pytest

from orchestration.cli.journey_summary import order_attribution_line

LOOKBACK = dt.timedelta(days=30)  # var attribution_lookback_days
HALF_LIFE_DAYS = 7  # var attribution_half_life_days


def removal_effects(journeys: list[tuple[list[str], bool]]) -> dict[str, float]:
    """Removal effect per channel of a first-order chain over (channels, converted) journeys:
    absorption probabilities by solving (I - Q) x = R, not by matrix powers as the model does."""
    transitions = Counter()
    for channels, converted in journeys:
        path = ["start", *channels, "conversion" if converted else "null"]
        transitions.update(itertools.pairwise(path))
    transient = sorted({f for f, _ in transitions})
    out = Counter()
    for (source, _), n in transitions.items():
        out[source] += n

    def conversion(removed: str | None) -> float:
        index = {s: i for i, s in enumerate(transient)}
        q = np.zeros((len(transient), len(transient)))
        r = np.zeros(len(transient))
        for (source, target), n in transitions.items():
            if source == removed or target == removed:
                continue  # a removed channel leads to null
            if target == "conversion":
                r[index[source]] += n / out[source]
            elif target != "null":
                q[index[source], index[target]] += n / out[source]
        return float(np.linalg.solve(np.eye(len(transient)) - q, r)[index["start"]])

    observed = conversion(None)
    return {c: 1 - conversion(c) / observed for c in transient if c != "start"}


def test_the_oracle_solves_the_hand_computed_chain():
    # the journeys of the unit test int_channel_removal_effects_match_a_hand_solved_chain
    journeys = [(["A", "B"], True), (["A"], False), (["B"], True), (["A", "A"], False)]
    assert removal_effects(journeys) == pytest.approx({"A": 0.5, "B": 1.0})


@pytest.fixture(scope="module")
def facts(pipeline) -> tuple[pd.DataFrame, pd.DataFrame]:
    with pipeline.connect() as con:
        touches = con.sql(
            """SELECT interaction_id, customer_key, occurred_at, channel FROM marts.fct_interactions
            WHERE is_touch AND customer_key <> 'unresolved'"""
        ).df()
        orders = con.sql(
            "SELECT order_id, customer_key, ordered_at, reporting_amount FROM marts.fct_orders"
        ).df()
    return touches.sort_values(["occurred_at", "interaction_id"]), orders


def order_touches(touches: pd.DataFrame, orders: pd.DataFrame) -> pd.DataFrame:
    """Each paid order with its customer's touches in the lookback before it, in time order."""
    joined = orders.merge(touches, on="customer_key")
    window = (joined.occurred_at < joined.ordered_at) & (
        joined.occurred_at >= joined.ordered_at - LOOKBACK
    )
    return joined[window].sort_values(["order_id", "occurred_at", "interaction_id"])


def journeys(touches: pd.DataFrame, orders: pd.DataFrame) -> list[tuple[list[str], bool]]:
    """Converting: each order's touches in its lookback. Not converting: the other touches,
    one journey per interval between a customer's paid orders."""
    credited = order_touches(touches, orders)
    paths = [(list(group.channel), True) for _, group in credited.groupby("order_id")]
    rest = touches[~touches.interaction_id.isin(credited.interaction_id)]
    order_times = orders.groupby("customer_key").ordered_at.apply(sorted).to_dict()
    open_paths: dict[tuple, list[str]] = {}
    for touch in rest.itertuples():
        before = [t for t in order_times.get(touch.customer_key, []) if t <= touch.occurred_at]
        key = (touch.customer_key, before[-1] if before else None)
        open_paths.setdefault(key, []).append(touch.channel)
    return paths + [(channels, False) for channels in open_paths.values()]


def modelled_removal_effects(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    rows = con.execute(
        "SELECT channel, removal_effect FROM intermediate.int_channel_removal_effects_solved"
    ).fetchall()
    return {channel: float(effect) for channel, effect in rows}


def test_markov_removal_effects_match_an_independent_solve(pipeline, facts):
    expected = removal_effects(journeys(*facts))
    with pipeline.connect() as con:
        modelled = modelled_removal_effects(con)
    assert len(expected) >= 5
    assert modelled == pytest.approx(expected, abs=1e-9)


def test_markov_removal_effects_match_the_channelattribution_package(pipeline, facts):
    """The field's own implementation (ChannelAttribution, by Davide Altomare) estimates the
    removal effects by simulating the chain, so it agrees to within its sampling error."""
    from ChannelAttribution import markov_model

    paths = pd.DataFrame(
        [(" > ".join(channels), int(converted)) for channels, converted in journeys(*facts)],
        columns=["path", "converted"],
    )
    grouped = paths.groupby("path").converted.agg(conversions="sum", journeys="count")
    grouped = grouped.assign(nulls=grouped.journeys - grouped.conversions).reset_index()
    estimated = markov_model(
        grouped,
        "path",
        "conversions",
        var_null="nulls",
        order=1,
        out_more=True,
        nsim_start=1_000_000,
        seed=42,
        verbose=0,
    )["removal_effects"]
    with pipeline.connect() as con:
        modelled = modelled_removal_effects(con)
    assert set(estimated.channel_name) == set(modelled)
    assert modelled == pytest.approx(
        dict(zip(estimated.channel_name, estimated.removal_effect, strict=True)), abs=0.01
    )


def expected_weights(credited: pd.DataFrame, effects: dict[str, float]) -> pd.DataFrame:
    """(order_id, model, channel, weight) by each model's definition, per channel."""
    frames = []
    for order_id, group in credited.groupby("order_id"):
        n = len(group)
        days = (group.ordered_at - group.occurred_at).dt.total_seconds() / 86400
        decay = 0.5 ** (days / HALF_LIFE_DAYS)
        middle = [0.2 / (n - 2)] * (n - 2) if n > 2 else []
        position = [1.0] if n == 1 else [0.5, 0.5] if n == 2 else [0.4, *middle, 0.4]
        channels = sorted(set(group.channel))
        total = sum(effects[c] for c in channels)
        for model, weights in (
            ("first_touch", [1.0] + [0.0] * (n - 1)),
            ("last_touch", [0.0] * (n - 1) + [1.0]),
            ("linear", [1 / n] * n),
            ("time_decay", list(decay / decay.sum())),
            ("position_based", position),
        ):
            frame = pd.DataFrame({"channel": list(group.channel), "weight": weights})
            frame = frame.groupby("channel", as_index=False).weight.sum()
            frames.append(frame.assign(order_id=order_id, model=model))
        frames.append(
            pd.DataFrame(
                {
                    "channel": channels,
                    "weight": [effects[c] / total for c in channels],
                    "order_id": order_id,
                    "model": "markov",
                }
            )
        )
    expected = pd.concat(frames)
    return expected[expected.weight > 0]


def test_every_model_credits_channels_as_defined(pipeline, facts):
    touches, orders = facts
    credited = order_touches(touches, orders)
    with pipeline.connect() as con:
        effects = modelled_removal_effects(con)
        actual = con.sql(
            """SELECT order_id, model, channel, sum(weight)::DOUBLE AS weight
            FROM marts.mart_order_attribution GROUP BY ALL
            UNION ALL
            SELECT order_id, 'markov', channel, weight::DOUBLE
            FROM marts.mart_order_attribution_markov"""
        ).df()
    expected = expected_weights(credited, effects)
    touched = actual[actual.channel != "direct"]
    merged = touched.merge(expected, on=["order_id", "model", "channel"], how="outer")
    assert len(merged) == len(touched) == len(expected) > 100
    assert np.allclose(merged.weight_x, merged.weight_y, atol=1e-9)
    # every other paid order is wholly direct under each of the six models
    direct = actual[actual.channel == "direct"]
    assert set(direct.order_id) == set(orders.order_id) - set(credited.order_id)
    assert (direct.weight == 1).all() and len(direct) == 6 * direct.order_id.nunique()


@pytest.mark.parametrize(
    ("alteration", "check"),
    [
        (
            # one order's markov share moved to another channel keeps revenue whole but not
            # the order's weights
            """UPDATE marts.mart_order_attribution_markov SET weight = weight / 2
            WHERE order_channel_id = (SELECT min(order_channel_id)
                FROM marts.mart_order_attribution_markov)""",
            "assert_attribution_reconciles_with_paid_orders",
        ),
        (
            "UPDATE marts.mart_channel_attribution SET attributed_revenue = attributed_revenue + 1"
            " WHERE channel_model_month_id = (SELECT min(channel_model_month_id)"
            " FROM marts.mart_channel_attribution)",
            "assert_attribution_reconciles_with_paid_orders",
        ),
        (
            "UPDATE marts.mart_funnel SET customers = customers + 1000"
            " WHERE stage = 'second_paid_order' AND funnel_stage_id = (SELECT min(funnel_stage_id)"
            " FROM marts.mart_funnel WHERE stage = 'second_paid_order')",
            "assert_funnel_stages_never_grow",
        ),
    ],
)
def test_reconciliation_checks_fail_on_bad_data(pipeline, tmp_path, alteration, check):
    passed = pipeline.dbt_on_copy(tmp_path, "test", "--select", check)
    assert passed.returncode == 0, passed.stdout
    failed = pipeline.dbt_on_copy(tmp_path, "test", "--select", check, tamper=alteration)
    assert failed.returncode == 1
    assert f"FAIL 1 {check}" in failed.stdout


def test_the_summary_counts_every_credited_order_from_one_model(pipeline):
    """The run summary counts paid orders from the first-touch rows alone: the same orders, and
    the same direct ones, as the whole mart holds."""
    with pipeline.connect() as con:
        orders, direct = con.execute(
            """SELECT count(DISTINCT order_id), count(DISTINCT order_id) FILTER (
                channel = 'direct') FROM marts.mart_order_attribution"""
        ).fetchone()
        line = order_attribution_line(con)
    assert f"{orders:,} paid orders credited" in line
    assert f"; {direct:,} (" in line
