"""The quality configuration and the partition frame, without a pipeline run."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import subprocess
import sys

import duckdb
import pytest

from expectations.config import QualityConfigError, load_quality_config
from expectations.frames import partition_frame
from orchestration.settings import REPO_ROOT
from sources.contract import entities
from sources.extract import LOAD_LOG_DDL

EVENTS = entities()["email/events"]


def test_an_acknowledgement_without_a_note_is_refused_naming_the_file(tmp_path):
    extra = tmp_path / "ack.yml"
    extra.write_text(
        "acknowledgements:\n  - {check: gaps, entity: email/events, dates: [2026-06-01]}\n"
    )
    with pytest.raises(QualityConfigError, match=rf"{extra}: acknowledgement 1 lacks note"):
        load_quality_config(extra_acknowledgements=extra)


def test_acknowledged_dates_and_rows_add_up(tmp_path):
    extra = tmp_path / "ack.yml"
    extra.write_text(
        "acknowledgements:\n"
        "  - {check: gaps, entity: email/events, dates: [2026-06-01], note: outage}\n"
        "  - {check: contract, entity: crm/activities, rows: 2, note: a}\n"
        "  - {check: contract, entity: crm/activities, expectation: required:customer_id,"
        " rows: 3, note: b}\n"
    )
    config = load_quality_config(extra_acknowledgements=extra)
    gaps = ("email/events", "gaps", "gaps:every_day_landed")
    assert config.acknowledged_dates(*gaps) == {dt.date(2026, 6, 1)}
    assert config.acknowledged_rows("crm/activities", "contract", "required:customer_id") == 5
    assert config.acknowledged_rows("crm/activities", "contract", "allowed:activity_type") == 2
    assert config.acknowledged_rows("email/events", "contract", "required:event_id") == 0


def test_conflicting_copies_cannot_be_acknowledged(tmp_path):
    """Staging keeps one copy of a key: which of a delivery's conflicting copies is true is
    nothing a note can settle, so they block whatever the acknowledgements say."""
    whole_check = "  - {check: contract, entity: email/events, rows: 5, note: a}\n"
    extra = tmp_path / "ack.yml"
    extra.write_text(
        "acknowledgements:\n" + whole_check + "  - {check: contract, entity: email/events, "
        "expectation: key:no_conflicting_copies, rows: 5, note: b}\n"
    )
    with pytest.raises(
        QualityConfigError,
        match=rf"{extra}: acknowledgement 2: key:no_conflicting_copies cannot be acknowledged",
    ):
        load_quality_config(extra_acknowledgements=extra)
    extra.write_text("acknowledgements:\n" + whole_check)
    config = load_quality_config(extra_acknowledgements=extra)
    assert config.acknowledged_rows("email/events", "contract", "time:not_after_delivery") == 5
    assert config.acknowledged_rows("email/events", "contract", "key:no_conflicting_copies") == 0


@pytest.mark.parametrize(
    ("cadence", "due_but_missing"), [("daily", 2), ("weekdays", 0), ("none", 0)]
)
def test_only_due_days_count_as_gaps(cadence, due_but_missing):
    con = duckdb.connect()
    con.execute("CREATE SCHEMA raw")
    con.execute(LOAD_LOG_DDL)
    friday = dt.date(2026, 6, 5)
    for offset, status in enumerate(["loaded", "missing_partition", "missing_partition", "loaded"]):
        con.execute(
            "INSERT INTO raw.load_log (entity, _dt, status, data_rows) VALUES (?, ?, ?, 10)",
            [EVENTS.qualified_name, friday + dt.timedelta(days=offset), status],
        )
    entity = dataclasses.replace(EVENTS, expected_cadence=cadence)
    frame = partition_frame(con, entity, load_quality_config().volume, [friday])
    assert list(frame["landed"]) == [True, False, False, True]
    assert (frame["landed_when_expected"] == False).sum() == due_but_missing  # noqa: E712


def test_a_day_far_below_its_weekdays_median_is_flagged():
    from expectations.suites import partition_rules
    from expectations.validation import GxSession

    con = duckdb.connect()
    con.execute("CREATE SCHEMA raw")
    con.execute(LOAD_LOG_DDL)
    monday = dt.date(2026, 6, 29)
    days = [monday - dt.timedelta(days=n) for n in range(35, -1, -1)]
    for day in days:
        rows = 5 if day == monday else 100
        con.execute(
            "INSERT INTO raw.load_log (entity, _dt, status, data_rows) VALUES (?, ?, 'loaded', ?)",
            [EVENTS.qualified_name, day, rows],
        )
    volume = load_quality_config().volume
    frame = partition_frame(con, EVENTS, volume, days)
    rules = [r for r in partition_rules(EVENTS, volume) if r.check == "volume"]
    ((_, result),) = GxSession(None).validate("events.partitions", rules, frame)
    assert result["unexpected_count"] == 1
    assert frame.loc[result["unexpected_index_list"][0], "data_rows"] == 5


def test_a_day_with_a_refused_file_fails_the_files_rule_naming_the_file():
    from expectations.suites import BLOCKING, partition_rules
    from expectations.validation import GxSession

    con = duckdb.connect()
    con.execute("CREATE SCHEMA raw")
    con.execute(LOAD_LOG_DDL)
    days = [dt.date(2026, 6, 1), dt.date(2026, 6, 2)]
    logged = [
        (days[0], "a.jsonl", "loaded", None),
        (days[1], "b.jsonl", "loaded", None),
        (days[1], "c.jsonl", "unreadable", "c.jsonl: the parser gave up"),
        (days[1], "d.jsonl", "outside_landing", "d.jsonl: resolves outside the landing tree"),
    ]
    for day, path, status, message in logged:
        con.execute(
            "INSERT INTO raw.load_log (entity, _dt, source_file, status, data_rows, message) "
            "VALUES (?, ?, ?, ?, 10, ?)",
            [EVENTS.qualified_name, day, path, status, message],
        )
    volume = load_quality_config().volume
    frame = partition_frame(con, EVENTS, volume, days)
    rules = [r for r in partition_rules(EVENTS, volume) if r.check == "files"]
    ((_, result),) = GxSession(None).validate("events.partitions", rules, frame)
    assert "files" in BLOCKING
    assert result["unexpected_index_list"] == [1]
    assert frame.loc[1, "refusals"] == (
        "c.jsonl: the parser gave up | d.jsonl: resolves outside the landing tree"
    )


@pytest.mark.parametrize("run_days", [[2], [1, 2]], ids=["new day only", "every day"])
def test_a_row_delivered_again_unchanged_is_found_whether_or_not_the_run_reloads_history(run_days):
    from expectations.frames import prepare_row_frames
    from sources.extract import ensure_tables

    activities = entities()["crm/activities"]
    con = duckdb.connect()
    ensure_tables(con, activities)
    day = {n: dt.date(2026, 6, n) for n in (1, 2)}
    delivered = [("A1", "done", 1), ("A2", "done", 1), ("A1", "done", 2), ("A2", "changed", 2)]
    for line, (key, outcome, n) in enumerate(delivered, start=1):
        con.execute(
            "INSERT INTO raw.crm__activities (activity_id, outcome, _dt, _source_file, "
            "_line_number) VALUES (?, ?, ?, ?, ?)",
            [key, outcome, day[n], f"a{n}.csv", line],
        )
    rules = load_quality_config().entities[activities.qualified_name]
    prepare_row_frames(con, activities, rules, [day[n] for n in run_days])
    found = con.execute("SELECT activity_id, first_dt FROM redelivered").fetchall()
    assert found == [("A1", day[1])]


def test_each_row_rule_counts_the_rows_breaking_it_with_their_file_and_line(tmp_path):
    """The row suite validates per-day counts aggregated in DuckDB: each rule reports the rows
    that break it, and samples them by file and line."""
    from expectations.validation import GxSession, validate_entity
    from sources.extract import ensure_tables

    activities = entities()["crm/activities"]
    con = duckdb.connect()
    ensure_tables(con, activities)
    ensure_tables(con, entities()["crm/customers"])
    con.execute("INSERT INTO raw.crm__customers (customer_id) VALUES ('C1')")
    first, day = dt.date(2026, 6, 1), dt.date(2026, 6, 2)
    ok, late = "2026-06-02 01:00:00", "2026-05-20 01:00:00"  # UTC; the day ends 16:00 UTC
    delivered = [
        ("A1", "C1", "2026-06-01 01:00:00", "done", first),
        ("A1", "C1", "2026-06-01 01:00:00", "done", day),  # delivered before, unchanged
        ("A2", "C1", ok, "done", day),
        ("A2", "C1", ok, "done", day),  # an exact copy
        ("A3", "C1", ok, "done", day),
        ("A3", "C1", ok, "changed", day),  # the same key, other content
        ("A4", "C1", "2026-06-03 01:00:00", "done", day),  # after its delivery day
        ("A5", "C1", late, "done", day),  # beyond the 3 days' lateness
        ("A6", "C404", ok, "done", day),  # an unknown customer
    ]
    for line, (key, customer, occurred, outcome, delivery) in enumerate(delivered, start=2):
        con.execute(
            "INSERT INTO raw.crm__activities (activity_id, customer_id, occurred_at, outcome, "
            "_dt, _source_file, _line_number) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [key, customer, occurred, outcome, delivery, f"{delivery}.csv", line],
        )

    outcomes = validate_entity(
        GxSession(None), con, activities, load_quality_config(), [day], tmp_path
    )

    found = {
        r.rule.name: (r.evaluated, r.unexpected, r.samples)
        for o in outcomes
        for r in o.rules
        if o.check in ("contract", "duplicates", "lateness", "referential")
    }
    assert found == {
        "key:no_conflicting_copies": (8, 2, ["2026-06-02.csv:6 key=A3", "2026-06-02.csv:7 key=A3"]),
        "time:not_after_delivery": (8, 1, ["2026-06-02.csv:8 key=A4"]),
        "key:no_exact_copies": (8, 1, ["2026-06-02.csv:5 key=A2"]),
        "key:not_delivered_before": (8, 1, ["2026-06-02.csv:3 key=A1"]),
        "time:within_lateness": (8, 1, ["2026-06-02.csv:9 key=A5"]),
        "reference:customer_id": (8, 1, ["2026-06-02.csv:10 key=A6"]),
    }


def _fresh_interpreter(code: str) -> str:
    """What `python -c code` prints: a process whose __main__ has no file, as a daemon's run
    worker's, and which has not imported great_expectations yet (the test process may have)."""
    ran = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        check=True,
    )
    return ran.stdout.strip()


def test_great_expectations_is_imported_in_the_background():
    printed = _fresh_interpreter(
        "import sys, threading\n"
        "from expectations.preload import start_importing_great_expectations\n"
        "start_importing_great_expectations()\n"
        "for thread in threading.enumerate():\n"
        "    if thread.name == 'import great_expectations':\n"
        "        thread.join()\n"
        "print('great_expectations' in sys.modules)\n"
    )
    assert printed == "True"


def test_great_expectations_is_imported_without_pyspark_which_stays_importable():
    # Imported by great_expectations, pyspark's connect module exits a process whose __main__
    # has no file (it takes it for a doctest run): the gates of a daemon's run failed so.
    printed = _fresh_interpreter(
        "import sys\n"
        "from expectations.preload import import_great_expectations\n"
        "gx = import_great_expectations()\n"
        "print(gx.__name__, 'pyspark' in sys.modules)\n"
        "import pyspark\n"
        "print(pyspark.__name__)\n"
    )
    assert printed.splitlines() == ["great_expectations False", "pyspark"]
