"""A daily run equals a full rebuild: a full build over days 1..N-1, then the incremental run of
day N, publishes the same marts as a full rebuild over days 1..N. Day N merges two existing
customers (an order whose email is one's and whose phone is the other's) and brings late events
(an activity and an email open that occurred days before it, inside the lookback) and stale ones
(an activity and an order that occurred before the facts' rebuild window: a row re-sent after its
first copy was quarantined, or delivered late), and an earlier delivery event of a message already
opened, which turns the open into a privacy proxy's."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.run_scope import AS_OF_DATE_ENV, RUN_END_ENV, RUN_START_ENV
from sources.contract import entities
from sources.generator.cli import main as generate
from tests.conftest import RUN_MEASURES, materialize, run_dbt
from tests.landing_files import ACTIVITY_HEADER, activity, csv_text, partition, write_jsonl

# The smallest sample the generator makes; two weeks keep every run short.
TINY_SAMPLE = ["--customers", "150", "--days", "14", "--seed", "3", "--quiet"]
# The marts that record runs, not data, which a full rebuild (no earlier run) cannot know: a
# merge is listed with the run that saw it; tag history versions tags by the as-of dates of the
# runs, and the transitions are its moves.
RUN_HISTORY_MARTS = {"mart_customer_merges", "mart_customer_tag_history", "mart_tag_transitions"}
# Columns of other marts that record runs: since_date is the first run's as-of date from which
# a tag has held. Their other columns must still equal a full rebuild's.
RUN_HISTORY_COLUMNS = {"mart_customer_tags": {"since_date"}}
# Marts that keep the rows of every as-of date a run built them for, where a full rebuild has the
# newest date's alone: that date is compared.
AS_OF_HISTORY_MARTS = {"mart_clv_model_fit"}
LATE_ACTIVITY = "A_LATE_0001"
LATE_OPEN = "ev_late_open_0001"
MERGING_ORDER = "SO_MERGE_0001"
STALE_ACTIVITY = "A_STALE_0001"
STALE_ORDER = "SO_STALE_0001"
LATE_DELIVERY = "ev_late_delivery_0001"
# Two interactions of the published facts and their days, by interaction_id.
INTERACTION_DAYS = """SELECT interaction_id, occurred_date FROM marts.fct_interactions
    WHERE interaction_id IN (?, ?)"""
# Older than the facts' rebuild window (late_arrival_lookback_days + response_window_days).
STALE_DAYS = 12


@dataclass
class Existing:
    """What day N links to, taken from the warehouse after days 1..N-1."""

    email: str  # one resolved customer's
    phone: str  # another's
    customer_keys: tuple[str, str]
    crm_customer_id: str  # gets a late activity
    message_id: str  # a message sent 3 to 5 days before day N, not opened: gets a late open
    message_email: str
    opened_message_id: str  # a message opened, whose delivery event has not landed ...
    opened_at: dt.datetime  # ... at this UTC time
    opened_email: str


@dataclass
class Runs:
    incremental: Path  # home after the full build of days 1..N-1 and the daily run of day N
    rebuilt: Path  # home after a full rebuild of days 1..N
    linked: Existing
    newest_day: str
    results: list[dg.ExecuteInProcessResult]


def landed_days(landing: Path) -> list[str]:
    return sorted({p.name.removeprefix("dt=") for p in landing.glob("*/*/dt=*")})


def copy_days(landing: Path, target: Path, days: list[str]) -> None:
    for folder in landing.glob("*/*/dt=*"):
        if folder.name.removeprefix("dt=") in days:
            shutil.copytree(folder, target / folder.relative_to(landing))


def existing(home: Path, day: str) -> Existing:
    """An email of one resolved customer and a phone of another, each used by nobody else; a CRM
    record; a message sent 3 to 5 days before `day` without any response yet."""
    newest = dt.date.fromisoformat(day)
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        email, phone, first, second = con.execute(
            """WITH owned AS (
                SELECT identifier_type, identifier_value, min(customer_key) AS customer_key
                FROM marts.bridge_customer_identifiers
                WHERE NOT is_junk AND customer_key <> 'unresolved'
                    AND identifier_type IN ('email', 'phone')
                GROUP BY ALL HAVING count(DISTINCT customer_key) = 1
            )
            SELECT e.identifier_value, p.identifier_value, e.customer_key, p.customer_key
            FROM owned e JOIN owned p ON e.customer_key < p.customer_key
            WHERE e.identifier_type = 'email' AND p.identifier_type = 'phone'
            ORDER BY ALL LIMIT 1"""
        ).fetchone()
        (crm_customer_id,) = con.execute(
            "SELECT min(customer_id) FROM staging.stg_crm__customers"
        ).fetchone()
        message_id, message_email = con.execute(
            """SELECT message_id, min(email) FROM staging.stg_email__events
            WHERE delivered_date BETWEEN ? AND ? GROUP BY message_id
            HAVING bool_and(event_type IN ('sent', 'delivered')) AND min(email) IS NOT NULL
            ORDER BY message_id LIMIT 1""",
            [newest - dt.timedelta(days=5), newest - dt.timedelta(days=3)],
        ).fetchone()
        opened_message_id, opened_at, opened_email = con.execute(
            """SELECT message_id, min(occurred_at) FILTER (event_type = 'open'), min(email)
            FROM staging.stg_email__events GROUP BY message_id
            HAVING count(*) FILTER (event_type = 'open') > 0
                AND count(*) FILTER (event_type = 'delivered') = 0
            ORDER BY message_id LIMIT 1"""
        ).fetchone()
    return Existing(
        email,
        phone,
        (first, second),
        crm_customer_id,
        message_id,
        message_email,
        opened_message_id,
        opened_at,
        opened_email,
    )


def day_n_extras(landing: Path, day: str, linked: Existing) -> None:
    """Add to day `day` the merging order, the late and the stale rows, as extra files of the
    day."""
    earlier = (dt.date.fromisoformat(day) - dt.timedelta(days=2)).isoformat()
    stale = (dt.date.fromisoformat(day) - dt.timedelta(days=STALE_DAYS)).isoformat()
    orders = entities()["orders/orders"]
    order = {
        "order_id": MERGING_ORDER,
        "buyer_email": linked.email,
        "buyer_phone": linked.phone,
        "ordered_at": f"{day} 10:00:00",
        "amount": "880.00",
        "currency": "CNY",
        "status": "paid",
        "channel": "web",
    }
    stale_order = {
        **order,
        "order_id": STALE_ORDER,
        "buyer_email": linked.message_email,
        "buyer_phone": "",
        "ordered_at": f"{stale} 11:00:00",
    }
    folder = partition(landing, orders.qualified_name, day)
    (folder / "merging_order.csv").write_text(
        csv_text(
            orders.column_names, [[o[c] for c in orders.column_names] for o in (order, stale_order)]
        )
    )
    late = activity(
        LATE_ACTIVITY, customer_id=linked.crm_customer_id, occurred_at=f"{earlier} 15:30:00"
    )
    stale_activity = activity(
        STALE_ACTIVITY, customer_id=linked.crm_customer_id, occurred_at=f"{stale} 09:00:00"
    )
    folder = partition(landing, "crm/activities", day)
    (folder / "late_activities.csv").write_text(csv_text(ACTIVITY_HEADER, [late, stale_activity]))
    late_open = {
        "event_id": LATE_OPEN,
        "event_type": "open",
        "email": linked.message_email,
        "campaign_id": "CMP-LATE",
        "message_id": linked.message_id,
        "occurred_at": f"{earlier}T16:00:00+08:00",
    }
    # a delivery event 30 s before the open, re-sent late: the open becomes a machine open
    late_delivery = {
        "event_id": LATE_DELIVERY,
        "event_type": "delivered",
        "email": linked.opened_email,
        "campaign_id": None,
        "message_id": linked.opened_message_id,
        "occurred_at": (linked.opened_at - dt.timedelta(seconds=30)).isoformat() + "+00:00",
    }
    write_jsonl(
        partition(landing, "email/events", day), "late_events.jsonl", [late_open, late_delivery]
    )


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Runs:
    sample = tmp_path_factory.mktemp("tiny")
    generate([*TINY_SAMPLE, "--out", str(sample)])
    acknowledgements = sample / "acknowledgements.yml"
    days = landed_days(sample / "landing")
    newest = days[-1]

    incremental = tmp_path_factory.mktemp("incremental")
    landing = incremental / "landing"
    copy_days(sample / "landing", landing, days[:-1])
    instance = dg.DagsterInstance.ephemeral()
    results = [materialize(instance, incremental, landing, acknowledgements)]
    linked = existing(incremental, newest)

    day_n_extras(sample / "landing", newest, linked)
    copy_days(sample / "landing", landing, [newest])
    results.append(
        materialize(instance, incremental, landing, acknowledgements, first=newest, last=newest)
    )

    rebuilt = tmp_path_factory.mktemp("rebuilt")
    results.append(
        materialize(
            dg.DagsterInstance.ephemeral(),
            rebuilt,
            sample / "landing",
            acknowledgements,
            full_refresh=True,
        )
    )
    return Runs(incremental, rebuilt, linked, newest, results)


def compared_rows(catalog: str, table: str) -> str:
    """The rows of a published mart that a daily run and a full rebuild must share."""
    relation = f'{catalog}.marts."{table}"'
    columns = [*RUN_HISTORY_COLUMNS.get(table, ())]
    if table in RUN_MEASURES:
        columns.append(RUN_MEASURES[table])
    left_out = f" EXCLUDE ({', '.join(columns)})" if columns else ""
    newest = (
        f" WHERE as_of_date = (SELECT max(as_of_date) FROM {relation})"
        if table in AS_OF_HISTORY_MARTS
        else ""
    )
    return f"SELECT *{left_out} FROM {relation}{newest}"


def published_differences(first: Path, second: Path) -> dict[str, tuple[int, int]]:
    """Marts whose rows differ between two homes' published files, as multisets: the rows only
    in the first, and only in the second."""
    differences = {}
    for name in ("cadence.duckdb", "cadence_restricted.duckdb"):
        con = duckdb.connect()
        con.execute(f"ATTACH '{first / 'published' / name}' AS a (READ_ONLY)")
        con.execute(f"ATTACH '{second / 'published' / name}' AS b (READ_ONLY)")
        tables = {
            catalog: {
                row[0]
                for row in con.execute(
                    "SELECT table_name FROM duckdb_tables() "
                    "WHERE database_name = ? AND schema_name = 'marts'",
                    [catalog],
                ).fetchall()
            }
            for catalog in ("a", "b")
        }
        assert tables["a"] == tables["b"], f"{name}: different marts"
        for table in sorted(tables["a"] - RUN_HISTORY_MARTS):
            only = [
                con.execute(
                    f"SELECT count(*) FROM ({compared_rows(x, table)} "
                    f"EXCEPT ALL {compared_rows(y, table)})"
                ).fetchone()[0]
                for x, y in (("a", "b"), ("b", "a"))
            ]
            if any(only):
                differences[f"{name}:{table}"] = tuple(only)
        con.close()
    return differences


def published_rows(runs: Runs, query: str, parameters: list) -> list[tuple]:
    """A query's rows in the daily run's published (masked) file."""
    with duckdb.connect(
        str(runs.incremental / "published" / "cadence.duckdb"), read_only=True
    ) as con:
        return con.execute(query, parameters).fetchall()


def test_every_run_succeeded_and_published(runs):
    for result in runs.results:
        assert result.success
        assert any(
            e.is_step_success and e.step_key == "published__marts" for e in result.all_events
        )


def test_a_day_merging_two_customers_equals_a_full_rebuild(runs):
    with duckdb.connect(
        str(runs.incremental / "published" / "cadence_restricted.duckdb"), read_only=True
    ) as con:
        owners = con.execute(
            """SELECT DISTINCT customer_key FROM marts.bridge_customer_identifiers
            WHERE identifier_value IN (?, ?)""",
            [runs.linked.email, runs.linked.phone],
        ).fetchall()
    merges = published_rows(
        runs, "SELECT previous_customer_key, customer_key FROM marts.mart_customer_merges", []
    )
    assert len(owners) == 1, "the order did not merge the two customers"
    (survivor,) = owners[0]
    (absorbed,) = set(runs.linked.customer_keys) - {survivor}
    assert (absorbed, survivor) in merges
    assert published_differences(runs.incremental, runs.rebuilt) == {}


def test_a_day_with_late_events_equals_a_full_rebuild(runs):
    late = published_rows(
        runs,
        INTERACTION_DAYS,
        [f"activity:{LATE_ACTIVITY}", f"email_open:{runs.linked.message_id}"],
    )
    assert len(late) == 2, f"late events missing: {late}"
    assert all(day < dt.date.fromisoformat(runs.newest_day) for _, day in late)
    assert published_differences(runs.incremental, runs.rebuilt) == {}


def test_a_day_with_rows_older_than_the_rebuild_window_equals_a_full_rebuild(runs):
    stale = published_rows(
        runs, INTERACTION_DAYS, [f"activity:{STALE_ACTIVITY}", f"order:{STALE_ORDER}"]
    )
    assert len(stale) == 2, f"stale rows missing: {stale}"
    newest = dt.date.fromisoformat(runs.newest_day)
    assert all((newest - day).days >= STALE_DAYS - 1 for _, day in stale)
    assert published_differences(runs.incremental, runs.rebuilt) == {}


def test_a_late_delivery_event_that_makes_an_open_a_machine_open_equals_a_full_rebuild(runs):
    opens = published_rows(
        runs,
        "SELECT interaction_type FROM marts.fct_interactions "
        "WHERE source_record_id = ? AND interaction_type LIKE 'email_%open'",
        [runs.linked.opened_message_id],
    )
    assert opens == [("email_machine_open",)], opens
    assert published_differences(runs.incremental, runs.rebuilt) == {}


@pytest.mark.parametrize(
    ("model", "schema", "key"),
    [
        ("int_customer_days_summarised", "intermediate", "customer_day_id"),
        ("int_email_events_resolved", "intermediate", "event_id"),
        ("fct_interactions", "marts", "interaction_id"),
        ("mart_order_attribution", "marts", "order_attribution_id"),
    ],
)
def test_a_days_tests_check_the_rows_it_wrote(runs, tmp_path, model, schema, key):
    """The rows of the daily state, of the resolved sources and of the largest incremental marts
    carry the day of the run that wrote them (computed_for_run_day), and day N's tests check
    those alone (macros/test_scope.sql): a copy of one of them fails its unique test there, while
    a copy marked as an earlier run's was that run's to have caught, and a full build's tests
    find it."""
    shutil.copy(runs.incremental / "warehouse.duckdb", tmp_path / "warehouse.duckdb")
    (tmp_path / "scratch" / "duckdb_spill").mkdir(parents=True)
    state = f"{schema}.{model}"
    unique = f"unique_{model}_{key}"
    day = runs.newest_day
    day_n = {RUN_START_ENV: day, RUN_END_ENV: day, AS_OF_DATE_ENV: day}
    everything = {RUN_START_ENV: "", RUN_END_ENV: "", AS_OF_DATE_ENV: day}

    def unique_test(env: dict[str, str]) -> str:
        run_dbt(tmp_path, "test", "--select", model, env=env)
        results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
        return next(r["status"] for r in results if r["unique_id"].split(".")[2] == unique)

    def copy_a_row_of_day_n(marked: str) -> None:
        """A copy of a row day N wrote, itself marked as written on day `marked`."""
        with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
            con.execute(
                f"INSERT INTO {state} SELECT * REPLACE (DATE '{marked}' AS computed_for_run_day) "
                f"FROM {state} WHERE computed_for_run_day = '{day}' LIMIT 1"
            )

    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        (written_on_day_n,) = con.execute(
            f"SELECT count(*) FROM {state} WHERE computed_for_run_day = '{day}'"
        ).fetchone()
    assert written_on_day_n > 0

    earlier = dt.date.fromisoformat(day) - dt.timedelta(days=1)
    copy_a_row_of_day_n(earlier.isoformat())
    assert unique_test(day_n) == "pass"
    assert unique_test(everything) == "fail"
    copy_a_row_of_day_n(day)
    assert unique_test(day_n) == "fail"
