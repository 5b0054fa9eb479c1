"""Staging and identity maintained day by day equal a full rebuild on the same data.

On a copy of the sample's warehouse: build staging, identity and the customer marts over every day
but the last, then land the last day with an order whose email belongs to one existing customer
and whose phone to another (a merge), and an email event delivered late, older than everything its
customer was seen with (a new anchor). The incremental run of that day must equal a full rebuild.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from tests.conftest import run_dbt

RAW_TABLES = ["crm__customers", "crm__activities", "email__events", "orders__orders"]
SELECTION = [
    "path:models/staging",
    "path:models/intermediate",
    "path:models/marts/customers",
]
RESOLVED = ["int_activities_resolved", "int_email_events_resolved", "int_orders_resolved"]
# Every model of the selection but the merges, which list the changes of each run as it saw them.
COMPARED = [
    "staging.stg_crm__customers",
    "staging.stg_crm__activities",
    "staging.stg_email__events",
    "staging.stg_orders__orders",
    "intermediate.int_identifiers_unioned",
    "intermediate.int_identifiers_screened",
    "intermediate.int_records_clustered",
    "intermediate.int_activities_resolved",
    "intermediate.int_email_events_resolved",
    "intermediate.int_orders_resolved",
    "marts.dim_customer",
    "marts.bridge_customer_identifiers",
    "marts.mart_junk_identifiers",
]


def dbt(home: Path, *args: str) -> None:
    completed = run_dbt(
        home,
        *args,
        "--select",
        *SELECTION,
        "--exclude-resource-type",
        "test",
        "--exclude-resource-type",
        "unit_test",
    )
    assert completed.returncode == 0, completed.stdout[-4000:]


def rows(home: Path, table: str) -> list[tuple]:
    """The table's rows, but for the day of the run that wrote each (computed_for_run_day, which
    a daily run and a full rebuild set differently by design)."""
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        compared = "COLUMNS(lambda c: c <> 'computed_for_run_day')"
        return sorted(con.execute(f"SELECT {compared} FROM {table}").fetchall(), key=repr)


def customer_of(con: duckdb.DuckDBPyConnection, record_key: str) -> str:
    return con.execute(
        "SELECT customer_key FROM intermediate.int_records_clustered WHERE record_key = ?",
        [record_key],
    ).fetchone()[0]


def two_customers_and_a_late_address(con: duckdb.DuckDBPyConnection) -> dict:
    """An email of one CRM-only customer, a phone of another, and an address seen in email events
    whose customer is anchored on another record (a late event can take the anchor over)."""
    crm = con.execute(
        """SELECT c.customer_key, min(i.identifier_type), min(i.identifier_value)
        FROM intermediate.int_identifiers_unioned i
        JOIN intermediate.int_identifiers_screened s USING (identifier_type, identifier_value)
        JOIN intermediate.int_records_clustered c USING (record_key)
        WHERE i.record_type = 'crm_customer' AND NOT s.is_junk AND s.record_count = 1
            AND i.identifier_type IN ('email', 'phone')
        GROUP BY c.customer_key, i.identifier_type
        ORDER BY c.customer_key"""
    ).fetchall()
    emails = {key: value for key, kind, value in crm if kind == "email"}
    phones = {key: value for key, kind, value in crm if kind == "phone"}
    absorbing, absorbed = next((a, b) for a in emails for b in phones if a != b)
    address, anchor_seen = con.execute(
        """SELECT substr(c.record_key, 7), anchors.first_seen_at
        FROM intermediate.int_records_clustered c
        JOIN intermediate.int_records_clustered anchors
            ON anchors.record_key = c.anchor_record_key
        WHERE c.record_type = 'email_address' AND c.anchor_record_key <> c.record_key
            AND c.customer_key NOT IN (?, ?)
        ORDER BY c.record_key LIMIT 1""",
        [absorbing, absorbed],
    ).fetchone()
    return {
        "email": emails[absorbing],
        "phone": phones[absorbed],
        "absorbing": absorbing,
        "absorbed": absorbed,
        "address": address,
        "anchor_seen": anchor_seen,
    }


def land_day(con: duckdb.DuckDBPyConnection, day: dt.date, case: dict) -> None:
    """Day `day` as delivered, plus the merging order and the late event."""
    for table in RAW_TABLES:
        con.execute(f"INSERT INTO raw.{table} SELECT * FROM held.{table}")
    con.execute(
        """INSERT INTO raw.orders__orders (order_id, buyer_email, buyer_phone, ordered_at, amount,
            currency, status, channel, _source_file, _line_number, _dt, _loaded_at)
        VALUES ('SO-MERGE-1', ?, ?, ? + INTERVAL 9 HOUR, 100.00, 'CNY', 'paid', 'web',
            'orders.csv', 9999, ?, now())""",
        [case["email"], case["phone"], day, day],
    )
    con.execute(
        """INSERT INTO raw.email__events (event_id, event_type, email, campaign_id, message_id,
            occurred_at, url, _source_file, _line_number, _dt, _loaded_at)
        VALUES ('EV-LATE-1', 'sent', ?, NULL, 'MSG-LATE-1', ? - INTERVAL 1 DAY, NULL,
            'events.jsonl', 9999, ?, now())""",
        [case["address"], case["anchor_seen"], day],
    )


@pytest.fixture(scope="module")
def maintained_and_rebuilt(pipeline, tmp_path_factory) -> tuple[Path, Path, Path, dict]:
    """Homes with: the build over every day but the last (before), that build maintained
    incrementally with the last day (incremental), and a full rebuild over all days (full)."""
    before = tmp_path_factory.mktemp("before")
    shutil.copy(pipeline.warehouse, before / "warehouse.duckdb")
    with duckdb.connect(str(before / "warehouse.duckdb")) as con:
        day = con.execute("SELECT max(_dt) FROM raw.orders__orders").fetchone()[0]
        # the key history the pipeline's run recorded, which full rebuilds keep
        con.execute("DROP TABLE intermediate.int_key_assignments_recorded")
        con.execute("CREATE SCHEMA held")
        for table in RAW_TABLES:
            con.execute(f"CREATE TABLE held.{table} AS FROM raw.{table} WHERE _dt = ?", [day])
            con.execute(f"DELETE FROM raw.{table} WHERE _dt = ?", [day])
    dbt(before, "build", "--full-refresh")
    with duckdb.connect(str(before / "warehouse.duckdb")) as con:
        case = two_customers_and_a_late_address(con)
        land_day(con, day, case)
    incremental = tmp_path_factory.mktemp("incremental")
    full = tmp_path_factory.mktemp("full")
    shutil.copy(before / "warehouse.duckdb", incremental / "warehouse.duckdb")
    shutil.copy(before / "warehouse.duckdb", full / "warehouse.duckdb")
    run_days = json.dumps({"run_start": day.isoformat(), "run_end": day.isoformat()})
    dbt(incremental, "build", "--vars", run_days)
    dbt(full, "build", "--full-refresh")
    return before, incremental, full, case


@pytest.mark.parametrize("table", COMPARED)
def test_a_day_maintained_incrementally_equals_a_full_rebuild(maintained_and_rebuilt, table):
    _, incremental, full, _ = maintained_and_rebuilt
    maintained = rows(incremental, table)
    assert maintained, f"{table} is empty"
    assert maintained == rows(full, table)


def test_the_day_changed_identity_so_the_comparison_can_fail(maintained_and_rebuilt):
    """Negative control: the build before the day differs from the rebuild, so equal results
    above are the incremental run's doing."""
    before, _, full, _ = maintained_and_rebuilt
    for table in ("intermediate.int_records_clustered", "marts.dim_customer"):
        assert rows(before, table) != rows(full, table)


def test_the_merge_rekeys_the_absorbed_customer_and_is_recorded(maintained_and_rebuilt):
    _, incremental, _, case = maintained_and_rebuilt
    with duckdb.connect(str(incremental / "warehouse.duckdb"), read_only=True) as con:
        survivor = con.execute(
            "SELECT customer_key FROM intermediate.int_orders_resolved WHERE order_id = ?",
            ["SO-MERGE-1"],
        ).fetchone()[0]
        assert survivor in (case["absorbing"], case["absorbed"])
        gone = ({case["absorbing"], case["absorbed"]} - {survivor}).pop()
        for model in RESOLVED:
            left = con.execute(
                f"SELECT count(*) FROM intermediate.{model} WHERE customer_key = ?", [gone]
            ).fetchone()[0]
            assert left == 0, f"{model} still has rows of the absorbed customer"
        assert (
            con.execute(
                "SELECT count(*) FROM marts.dim_customer WHERE customer_key = ?", [gone]
            ).fetchone()[0]
            == 0
        )
        merges = con.execute(
            "SELECT previous_customer_key, records_moved FROM marts.mart_customer_merges "
            "WHERE customer_key = ?",
            [survivor],
        ).fetchall()
    assert any(previous == gone for previous, _ in merges), merges
