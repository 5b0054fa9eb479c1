"""A model kept from the daily state recomputes what the state's run changed, and nothing else
(macros/daily_state_changes.sql). A daily state is written by hand: a full build of the models
over it, then the changes one run of the state makes (rows it wrote, rows it deleted), then each
model's incremental run must equal its full rebuild over the changed state."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from orchestration.run_scope import AS_OF_DATE_ENV, RUN_END_ENV, RUN_START_ENV
from tests.conftest import run_dbt

STATE = "intermediate.int_customer_days_summarised"
EARLIER_RUN, RUN_DAY = "2026-06-29", "2026-06-30"
FULL_BUILD = {RUN_START_ENV: "", RUN_END_ENV: "", AS_OF_DATE_ENV: RUN_DAY}
DAILY_RUN = {RUN_START_ENV: RUN_DAY, RUN_END_ENV: RUN_DAY, AS_OF_DATE_ENV: RUN_DAY}
# The models kept from the state, and the columns a run writes differently from a full rebuild.
MODELS = {
    "marts.mart_customer_monthly": set(),
    "intermediate.int_activity_days_sequenced": {"computed_for_run_day"},
}

# Days stored before the run (customer, day, channel, touches, paid orders, the run that wrote
# them). The state's window starts on 06-18 (the newest stored day, 06-28, less 10 days). A
# merges into B, which is recomputed whole and loses its April; Y's only interaction inside the
# window moves to another customer; C's and E's March and May rows are rewritten (the
# conversion range of an order delivered in the run), E's with one more touch, which makes
# 05-20 the start of a burst; F's first touch in 80 days starts a burst in the window; D is
# untouched.
STORED = [
    ("A", "2026-03-10", "phone", 1, 0, EARLIER_RUN),
    ("A", "2026-06-25", "email", 2, 0, EARLIER_RUN),
    ("B", "2026-03-11", "phone", 1, 0, EARLIER_RUN),
    ("B", "2026-04-02", "visit", 1, 0, EARLIER_RUN),
    ("B", "2026-06-26", "email", 1, 0, EARLIER_RUN),
    ("Y", "2026-05-05", "email", 3, 0, EARLIER_RUN),
    ("Y", "2026-06-27", "phone", 1, 0, EARLIER_RUN),
    ("C", "2026-03-20", "order", 0, 1, EARLIER_RUN),
    ("C", "2026-03-21", "email", 1, 0, EARLIER_RUN),
    ("D", "2026-02-01", "phone", 2, 0, EARLIER_RUN),
    ("D", "2026-06-15", "phone", 1, 0, EARLIER_RUN),
    ("D", "2026-06-28", "email", 1, 0, EARLIER_RUN),
    ("E", "2026-03-01", "phone", 1, 0, EARLIER_RUN),
    ("E", "2026-05-20", "phone", 2, 0, EARLIER_RUN),
    ("E", "2026-05-22", "email", 2, 0, EARLIER_RUN),
    ("F", "2026-04-01", "phone", 1, 0, EARLIER_RUN),
]
DELETED = {("A", "2026-03-10"), ("A", "2026-06-25"), ("B", "2026-04-02"), ("Y", "2026-06-27")}
REWRITTEN = [
    ("B", "2026-03-11", "phone", 2, 0, RUN_DAY),  # A's March touch, now B's
    ("B", "2026-06-26", "email", 3, 0, RUN_DAY),
    ("C", "2026-03-21", "email", 1, 0, RUN_DAY),
    ("C", "2026-06-30", "order", 0, 2, RUN_DAY),
    ("D", "2026-06-28", "email", 1, 0, RUN_DAY),  # inside the window: every customer's is
    ("E", "2026-05-22", "email", 3, 0, RUN_DAY),
    ("F", "2026-06-20", "phone", 5, 0, RUN_DAY),
    ("Z", "2026-06-27", "phone", 1, 0, RUN_DAY),  # Y's former interaction
]


def write_state(home: Path, rows: list[tuple]) -> None:
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS intermediate")
        con.execute(
            f"""CREATE OR REPLACE TABLE {STATE} (
                customer_key VARCHAR, occurred_date DATE, channel VARCHAR, interactions BIGINT,
                touches BIGINT, weighted_touches DECIMAL(38, 9), responses BIGINT,
                customer_initiated BIGINT, responses_or_initiated BIGINT, clicks BIGINT,
                replies BIGINT, unsubscribes BIGINT, spam_reports BIGINT, bounces BIGINT,
                deliveries BIGINT, last_touch_at TIMESTAMP, last_response_at TIMESTAMP,
                paid_orders BIGINT, revenue DECIMAL(38, 9), computed_for_run_day DATE)"""
        )
        con.executemany(
            f"""INSERT INTO {STATE} VALUES (?, ?::DATE, ?, ?, ?, ? * 1.5, 0, ?, ?, 0, 0, 0, 0, 0,
                ?, CASE WHEN ? > 0 THEN ?::TIMESTAMP + INTERVAL 10 HOUR END, NULL, ?, ? * 10, ?)""",
            [
                (c, day, ch, t, t, t, o, o, int(ch == "email"), t, day, o, o, run)
                for c, day, ch, t, o, run in rows
            ],
        )


def after_the_run() -> list[tuple]:
    rewritten = {row[:2] for row in REWRITTEN}
    return [r for r in STORED if r[:2] not in DELETED and r[:2] not in rewritten] + REWRITTEN


def stored(home: Path, model: str) -> list[tuple]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        columns = [
            name
            for (name,) in con.execute(f"SELECT column_name FROM (DESCRIBE {model})").fetchall()
            if name not in MODELS[model]
        ]
        return con.execute(f"SELECT {', '.join(columns)} FROM {model} ORDER BY ALL").fetchall()


def build(home: Path, env: dict[str, str], *args: str) -> None:
    models = [model.split(".")[1] for model in MODELS]
    result = run_dbt(home, "run", "--select", *models, *args, env=env)
    assert result.returncode == 0, result.stdout


@pytest.fixture
def home(tmp_path) -> Path:
    (tmp_path / "scratch" / "duckdb_spill").mkdir(parents=True)
    write_state(tmp_path, STORED)
    build(tmp_path, FULL_BUILD)
    return tmp_path


@pytest.mark.parametrize("model", MODELS)
def test_a_model_kept_from_the_state_recomputes_what_its_run_changed(home, model):
    write_state(home, after_the_run())
    build(home, DAILY_RUN)
    incremental = stored(home, model)
    build(home, FULL_BUILD, "--full-refresh")
    assert incremental == stored(home, model)


def test_the_activity_days_carry_gaps_and_bursts_across_what_the_run_recomputed(home):
    """F's first recomputed day takes its previous touch day from the stored days; E's 05-20,
    before the rewritten 05-22, is recomputed, since its burst window reaches it."""
    write_state(home, after_the_run())
    build(home, DAILY_RUN)
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        days = con.execute(
            """SELECT customer_key, occurred_date::VARCHAR, touch_gap_days,
                touches_in_burst_window
            FROM intermediate.int_activity_days_sequenced
            WHERE customer_key IN ('E', 'F') ORDER BY ALL"""
        ).fetchall()
    assert days == [
        ("E", "2026-03-01", None, 1),
        ("E", "2026-05-20", 80, 5),
        ("E", "2026-05-22", 2, 3),
        ("F", "2026-04-01", None, 1),
        ("F", "2026-06-20", 80, 5),
    ]


def test_a_model_kept_from_the_state_leaves_what_the_run_did_not_change(home):
    """D's February, which no run rewrote, is not read again: a change the state's run did not
    make (here, by hand) does not reach the models until a full rebuild."""
    write_state(
        home,
        [
            (c, day, ch, t + 5 if (c, day) == ("D", "2026-02-01") else t, o, run)
            for c, day, ch, t, o, run in STORED
        ],
    )
    before = {model: stored(home, model) for model in MODELS}
    build(home, DAILY_RUN)
    assert {model: stored(home, model) for model in MODELS} == before
    build(home, FULL_BUILD, "--full-refresh")
    assert all(stored(home, model) != before[model] for model in MODELS)
