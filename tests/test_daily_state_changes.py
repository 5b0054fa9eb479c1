"""A model kept from the daily state recomputes what the state's run changed, and nothing else
(macros/daily_state_changes.sql). A daily state is written by hand: a full build of the model
over it, then the changes one run of the state makes (rows it wrote, rows it deleted), then the
model's incremental run must equal its full rebuild over the changed state."""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.run_scope import AS_OF_DATE_ENV, RUN_END_ENV, RUN_START_ENV
from tests.conftest import run_dbt

STATE = "intermediate.int_customer_days_summarised"
EARLIER_RUN, RUN_DAY = "2026-06-29", "2026-06-30"
FULL_BUILD = {RUN_START_ENV: "", RUN_END_ENV: "", AS_OF_DATE_ENV: RUN_DAY}
DAILY_RUN = {RUN_START_ENV: RUN_DAY, RUN_END_ENV: RUN_DAY, AS_OF_DATE_ENV: RUN_DAY}

# Days stored before the run (customer, day, channel, touches, paid orders, the run that wrote
# them). Customer A merges into B; B is recomputed whole and loses its April; Y's only June
# interaction inside the state's window moves to another customer; C's March is rewritten (the
# conversion range of an order delivered in the run); D is untouched.
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
    ("D", "2026-06-15", "phone", 1, 0, EARLIER_RUN),  # before the window (from 06-18)
    ("D", "2026-06-28", "email", 1, 0, EARLIER_RUN),
]
DELETED = {("A", "2026-03-10"), ("A", "2026-06-25"), ("B", "2026-04-02"), ("Y", "2026-06-27")}
REWRITTEN = [
    ("B", "2026-03-11", "phone", 2, 0, RUN_DAY),  # A's March touch, now B's
    ("B", "2026-06-26", "email", 3, 0, RUN_DAY),
    ("C", "2026-03-21", "email", 1, 0, RUN_DAY),
    ("C", "2026-06-30", "order", 0, 2, RUN_DAY),
    ("D", "2026-06-28", "email", 1, 0, RUN_DAY),  # inside the window: every customer's is
    ("Z", "2026-06-27", "phone", 1, 0, RUN_DAY),  # Y's former interaction
]


def write_state(home: Path, rows: list[tuple]) -> None:
    with duckdb.connect(str(home / "warehouse.duckdb")) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS intermediate")
        con.execute(
            f"""CREATE OR REPLACE TABLE {STATE} (
                customer_key VARCHAR, occurred_date DATE, channel VARCHAR, touches BIGINT,
                weighted_touches DECIMAL(38, 9), responses BIGINT, customer_initiated BIGINT,
                paid_orders BIGINT, revenue DECIMAL(38, 9), computed_for_run_day DATE)"""
        )
        con.executemany(
            f"INSERT INTO {STATE} VALUES (?, ?, ?, ?, ? * 1.5, 0, 0, ?, ? * 10, ?)",
            [(c, day, ch, t, t, o, o, run) for c, day, ch, t, o, run in rows],
        )


def monthly(home: Path) -> list[tuple]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return con.execute("SELECT * FROM marts.mart_customer_monthly ORDER BY ALL").fetchall()


def build(home: Path, env: dict[str, str], *args: str) -> None:
    result = run_dbt(home, "run", "--select", "mart_customer_monthly", *args, env=env)
    assert result.returncode == 0, result.stdout


def test_the_monthly_mart_recomputes_the_months_the_state_changed(tmp_path):
    (tmp_path / "scratch" / "duckdb_spill").mkdir(parents=True)
    write_state(tmp_path, STORED)
    build(tmp_path, FULL_BUILD)
    after_run = [
        row
        for row in STORED
        if row[:2] not in DELETED and row[:2] not in {written[:2] for written in REWRITTEN}
    ] + REWRITTEN
    write_state(tmp_path, after_run)

    build(tmp_path, DAILY_RUN)
    incremental = monthly(tmp_path)
    build(tmp_path, FULL_BUILD, "--full-refresh")
    assert incremental == monthly(tmp_path)
    customers = {row[1] for row in incremental}
    assert "A" not in customers and {"B", "C", "D", "Y", "Z"} <= customers


def test_the_monthly_mart_leaves_the_months_the_state_did_not_change(tmp_path):
    """D's February, which no run rewrote, is not read again: a change the state's run did not
    make (here, by hand) does not reach the mart until a full rebuild."""
    (tmp_path / "scratch" / "duckdb_spill").mkdir(parents=True)
    write_state(tmp_path, STORED)
    build(tmp_path, FULL_BUILD)
    write_state(
        tmp_path,
        [
            (c, day, ch, t + 5 if (c, day) == ("D", "2026-02-01") else t, o, run)
            for c, day, ch, t, o, run in STORED
        ],
    )
    before = monthly(tmp_path)
    build(tmp_path, DAILY_RUN)
    assert monthly(tmp_path) == before
    build(tmp_path, FULL_BUILD, "--full-refresh")
    assert monthly(tmp_path) != before
