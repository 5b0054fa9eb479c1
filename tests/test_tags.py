"""Customer tags over several as-of dates: the history versions only what changed, a day run
again adds no version, since_date agrees with the history, transitions count the history's moves,
and the overlap check fails on overlapping history."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.project import DBT_PROJECT_DIR
from tests.conftest import run_dbt

# The as-of marts the tags read, the tag marts, and their tests (the overlap check included).
TAG_MODELS = [
    "mart_customer_rfm",
    "mart_customer_cadence",
    "mart_customer_tags",
    "mart_customer_tag_history",
    "mart_tag_transitions",
]
OVERLAP_CHECK = "assert_tag_history_has_no_overlapping_intervals"
HISTORY_COLUMNS = "customer_key, tag_group, tag, valid_from, valid_to"


def build_as_of(home: Path, as_of: dt.date) -> None:
    completed = run_dbt(home, "build", "--select", *TAG_MODELS, "--vars", f"as_of_date: {as_of}")
    assert completed.returncode == 0, completed.stdout[-4000:]


def rows(home: Path, query: str) -> list[tuple]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        return sorted(con.execute(query).fetchall(), key=repr)


def history(home: Path) -> list[tuple]:
    return rows(home, f"SELECT {HISTORY_COLUMNS} FROM marts.mart_customer_tag_history")


def moves_on(home: Path, day: dt.date) -> tuple[list[tuple], list[tuple]]:
    """Per group and tag, customers whose version opened on `day` and closed on it, from the
    history; and the same counted from the day's transitions."""
    from_history = rows(
        home,
        f"""SELECT tag_group, tag, 'in', count(*) FROM marts.mart_customer_tag_history
        WHERE valid_from = DATE '{day}' GROUP BY ALL
        UNION ALL
        SELECT tag_group, tag, 'out', count(*) FROM marts.mart_customer_tag_history
        WHERE valid_to = DATE '{day}' GROUP BY ALL""",
    )
    from_transitions = rows(
        home,
        f"""SELECT tag_group, to_tag, 'in', sum(customers) FROM marts.mart_tag_transitions
        WHERE period_grain = 'day' AND period_start = DATE '{day}' AND to_tag IS NOT NULL
        GROUP BY ALL
        UNION ALL
        SELECT tag_group, from_tag, 'out', sum(customers) FROM marts.mart_tag_transitions
        WHERE period_grain = 'day' AND period_start = DATE '{day}' AND from_tag IS NOT NULL
        GROUP BY ALL""",
    )
    return from_history, from_transitions


@pytest.fixture(scope="module")
def dates(pipeline, tmp_path_factory) -> tuple[Path, dt.date, dict[str, list[tuple]]]:
    """A copy of the pipeline's warehouse, its tags built as of two weeks and four weeks after the
    pipeline's as-of date, the first of them twice; what each step left."""
    home = tmp_path_factory.mktemp("tags")
    (as_of,) = rows(pipeline.home, "SELECT DISTINCT as_of_date FROM marts.mart_customer_tags")[0]
    completed = pipeline.dbt_on_copy(home, "parse")
    assert completed.returncode == 0, completed.stdout[-4000:]
    seen = {"start": history(home)}
    for step, days in (("first", 14), ("again", 14), ("second", 28)):
        build_as_of(home, as_of + dt.timedelta(days=days))
        seen[step] = history(home)
        seen[f"{step} tags"] = rows(home, "SELECT * FROM marts.mart_customer_tags")
    return home, as_of, seen


def test_a_later_as_of_date_versions_only_what_changed(dates):
    _, as_of, seen = dates
    first = as_of + dt.timedelta(days=14)
    assert {row[3] for row in seen["start"]} == {as_of}
    opened = [r for r in seen["first"] if r[3] == first]
    closed = [r for r in seen["first"] if r[4] == first]
    assert opened and closed, "two weeks later, some tags should have changed"
    kept = {r[:4] for r in seen["first"] if r[3] == as_of}
    assert kept == {r[:4] for r in seen["start"]}, "a version changed its start"
    # a closed version's slot reopens with another tag, or the tag is gone: never both open
    open_before = {r[:3] for r in seen["start"]}
    assert {r[:3] for r in closed} <= open_before


def test_running_a_day_again_adds_no_version(dates):
    _, _, seen = dates
    assert seen["again"] == seen["first"]
    assert seen["again tags"] == seen["first tags"]


def test_since_date_is_the_start_of_the_open_version(dates):
    home, as_of, _ = dates
    second = as_of + dt.timedelta(days=28)
    assert (
        rows(
            home,
            """SELECT t.customer_key, t.tag_group, t.tag, t.since_date, h.valid_from
        FROM marts.mart_customer_tags t
        LEFT JOIN marts.mart_customer_tag_history h
            ON h.customer_key = t.customer_key AND h.tag_group = t.tag_group
            AND h.tag = t.tag AND h.valid_to IS NULL
        WHERE h.valid_from IS DISTINCT FROM t.since_date""",
        )
        == []
    )
    assert {
        r[0] for r in rows(home, "SELECT DISTINCT as_of_date FROM marts.mart_customer_tags")
    } == {second}
    since = {r[0] for r in rows(home, "SELECT DISTINCT since_date FROM marts.mart_customer_tags")}
    assert since <= {as_of, as_of + dt.timedelta(days=14), second}
    assert len(since) == 3, since


def test_transitions_count_the_moves_of_the_history(dates):
    home, as_of, _ = dates
    for days in (14, 28):
        from_history, from_transitions = moves_on(home, as_of + dt.timedelta(days=days))
        assert from_history, f"no moves {days} days on"
        assert from_transitions == from_history
    # the history's first as-of date is its baseline, not a move
    assert (
        rows(
            home,
            f"SELECT * FROM marts.mart_tag_transitions WHERE period_start = DATE '{as_of}'"
            " AND period_grain = 'day'",
        )
        == []
    )


def test_overlap_check_fails_on_overlapping_history(tmp_path):
    """The singular test passes on touching versions and fails on each kind of overlap."""
    ok = [
        ("c1", "activity", "active", "2026-06-01", "2026-06-15"),
        ("c1", "activity", "silent", "2026-06-15", None),
        ("c1", "risk", "declining", "2026-06-01", None),
        ("c1", "risk", "unsubscribed", "2026-06-10", None),  # another risk slot: may overlap
    ]
    overlapping = [
        ("c2", "activity", "active", "2026-06-01", "2026-06-20"),
        ("c2", "activity", "silent", "2026-06-15", None),  # starts before active ended
        ("c3", "value", "Champions", "2026-06-01", None),
        ("c3", "value", "Lost", "2026-06-10", None),  # two open RFM segments
        ("c4", "risk", "declining", "2026-06-10", "2026-06-10"),  # empty
    ]
    warehouse = tmp_path / "warehouse.duckdb"
    for history_rows, failures in ((ok, 0), (ok + overlapping, 3)):
        with duckdb.connect(str(warehouse)) as con:
            con.execute("CREATE SCHEMA IF NOT EXISTS marts")
            con.execute(
                "CREATE OR REPLACE TABLE marts.mart_customer_tag_history (tag_version_id VARCHAR,"
                " customer_key VARCHAR, tag_group VARCHAR, tag VARCHAR, valid_from DATE,"
                " valid_to DATE)"
            )
            con.executemany(
                "INSERT INTO marts.mart_customer_tag_history "
                "VALUES (md5(?::VARCHAR), ?, ?, ?, ?, ?)",
                [(i, *row) for i, row in enumerate(history_rows)],
            )
        completed = run_dbt(tmp_path, "test", "--select", OVERLAP_CHECK)
        if failures:
            assert completed.returncode == 1, completed.stdout[-4000:]
            assert f"Got {failures} results" in completed.stdout, completed.stdout[-4000:]
        else:
            assert completed.returncode == 0, completed.stdout[-4000:]


# Until the lifetime-value mart is part of the project, a stand-in with its columns: P(alive)
# low after 60 days without an order, deciles of monetary.
LIFETIME_VALUE_STAND_IN = """select
    customer_key,
    case when recency_days > 60 then 0.1 else 0.9 end as p_alive,
    ntile(10) over (order by monetary, customer_key) as clv_decile
from {{ ref('mart_customer_rfm') }}
"""


def test_the_lifetime_value_mart_feeds_value_and_risk_when_switched_on(pipeline, tmp_path):
    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    if not list(project.glob("models/**/mart_customer_lifetime_value.sql")):
        (project / "models" / "marts" / "mart_customer_lifetime_value.sql").write_text(
            LIFETIME_VALUE_STAND_IN
        )
    shutil.copy(pipeline.warehouse, tmp_path / "warehouse.duckdb")
    select = ["mart_customer_lifetime_value", "mart_customer_tags"]
    vars_ = "lifetime_value_tags: true"
    completed = run_dbt(tmp_path, "run", "--select", *select, "--vars", vars_, project_dir=project)
    assert completed.returncode == 0, completed.stdout[-4000:]
    assert (
        rows(
            tmp_path,
            """SELECT l.customer_key, l.clv_decile, l.p_alive, t.tag, r.tag
        FROM marts.mart_customer_lifetime_value l
        JOIN marts.mart_customer_cadence USING (customer_key)
        LEFT JOIN marts.mart_customer_tags t ON t.customer_key = l.customer_key
            AND t.tag_group = 'value' AND t.tag LIKE 'clv_decile_%'
        LEFT JOIN marts.mart_customer_tags r ON r.customer_key = l.customer_key
            AND r.tag = 'low_p_alive'
        WHERE t.tag IS DISTINCT FROM 'clv_decile_' || l.clv_decile
            OR (r.tag IS NOT NULL) <> (l.p_alive < 0.3)""",
        )
        == []
    )
    (low,) = rows(
        tmp_path, "SELECT count(*) FROM marts.mart_customer_tags WHERE tag = 'low_p_alive'"
    )
    assert low[0] > 0
