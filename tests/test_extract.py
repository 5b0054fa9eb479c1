"""Extraction: every kind of bad input lands where it should, and nothing is lost."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from sources.contract import entities
from sources.extract import load_partitions
from tests.landing_files import (
    ACTIVITY_HEADER,
    CUSTOMER_HEADER,
    activity,
    csv_text,
    customer,
    data_rows_in_csv,
    partition,
    write_csv,
    write_jsonl,
)

DAY = "2026-06-01"
ACTIVITIES = entities()["crm/activities"]
CUSTOMERS = entities()["crm/customers"]
EVENTS = entities()["email/events"]
ORDERS = entities()["orders/orders"]


@pytest.fixture
def con(tmp_path):
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    yield connection
    connection.close()


def load(con, entity, landing: Path, *days: str):
    dates = [dt.date.fromisoformat(d) for d in days or (DAY,)]
    return load_partitions(con, entity, landing, dates, landing.parent / "scratch")


def rejects(con) -> list[tuple]:
    return con.execute(
        "SELECT line_number, column_name, raw_value, reason FROM raw.rejects ORDER BY line_number"
    ).fetchall()


def test_bad_rows_go_to_rejects_with_file_line_column_and_reason(con, tmp_path):
    landing = tmp_path / "landing"
    folder = partition(landing, "crm/activities", DAY)
    path = write_csv(
        folder,
        "a.csv",
        ACTIVITY_HEADER,
        [
            activity("A1"),
            activity("A2", activity_type="fax"),
            activity("A3", occurred_at="not-a-date"),
            activity("", customer_id="C2"),
            activity("A5", duration_seconds="12x"),
            activity("A6", activity_type="Call", direction=" INBOUND "),
        ],
    )
    with open(path, "a", encoding="utf-8") as f:
        f.write("A7,C1,R1,call\n")  # four fields under a nine-column header
        f.write(",".join(activity("A8")) + "\n")

    summary = load(con, ACTIVITIES, landing)

    assert rejects(con) == [
        (
            3,
            "activity_type",
            "fax",
            "activity_type: value not in allowed set [call, visit, meeting, wechat, sms, note]",
        ),
        (4, "occurred_at", "not-a-date", "occurred_at: unparseable timestamp"),
        (5, "activity_id", None, "activity_id: required value missing"),
        (6, "duration_seconds", "12x", "duration_seconds: unparseable integer"),
        (8, "direction", "A7,C1,R1,call", "Expected Number of Columns: 9 Found: 4"),
    ]
    assert con.execute(
        "SELECT activity_id, _line_number, activity_type, direction FROM raw.crm__activities "
        "ORDER BY _line_number"
    ).fetchall() == [
        ("A1", 2, "call", "outbound"),
        ("A6", 7, "call", "inbound"),
        ("A8", 9, "call", "outbound"),
    ]
    assert con.execute("SELECT DISTINCT source_file FROM raw.rejects").fetchall() == [(str(path),)]
    assert (summary.data_rows, summary.loaded_rows, summary.rejected_rows) == (8, 3, 5)
    assert summary.data_rows == data_rows_in_csv(path)


def test_a_row_with_several_violations_is_rejected_once_listing_all(con, tmp_path):
    landing = tmp_path / "landing"
    folder = partition(landing, "crm/activities", DAY)
    write_csv(
        folder, "a.csv", ACTIVITY_HEADER, [activity("A1", activity_type="fax", occurred_at="soon")]
    )
    load(con, ACTIVITIES, landing)
    assert rejects(con) == [
        (
            2,
            "activity_type",
            "fax",
            "activity_type: value not in allowed set "
            "[call, visit, meeting, wechat, sms, note]; "
            "occurred_at: unparseable timestamp",
        )
    ]


def test_timestamps_are_stored_in_utc_whatever_their_form(con, tmp_path):
    landing = tmp_path / "landing"
    folder = partition(landing, "email/events", DAY)
    base = {"event_type": "open", "email": "a@b.com", "message_id": "m1"}
    write_jsonl(
        folder,
        "e.jsonl",
        [
            base | {"event_id": "naive", "occurred_at": "2026-06-01T10:00:00"},
            base | {"event_id": "offset", "occurred_at": "2026-06-01T10:00:00+08:00"},
            base | {"event_id": "zulu", "occurred_at": "2026-06-01T02:00:00Z"},
            base | {"event_id": "epoch", "occurred_at": 1780279200},
            base | {"event_id": "space-offset", "occurred_at": "2026-06-01 13:00:00+11:00"},
        ],
    )
    load(con, EVENTS, landing)
    stored = dict(con.execute("SELECT event_id, occurred_at FROM raw.email__events").fetchall())
    assert set(stored.values()) == {dt.datetime(2026, 6, 1, 2, 0)}, stored
    assert len(stored) == 5


def test_json_lines_keep_line_numbers_extras_and_broken_lines(con, tmp_path):
    landing = tmp_path / "landing"
    folder = partition(landing, "email/events", DAY)
    good = {
        "event_id": "e1",
        "event_type": "click",
        "email": "a@b.com",
        "message_id": "m1",
        "occurred_at": "2026-06-01T10:00:00+08:00",
        "ip": "10.0.0.1",
    }
    write_jsonl(
        folder,
        "e.jsonl",
        [
            good,
            "",
            '{"event_id": "e2", ',
            "[1, 2]",
            good | {"event_id": "e3", "event_type": "bounced_hard"},
        ],
    )
    summary = load(con, EVENTS, landing)
    assert con.execute(
        "SELECT event_id, _line_number, _extra FROM raw.email__events"
    ).fetchall() == [("e1", 1, '{"ip":"10.0.0.1"}')]
    assert rejects(con) == [
        (3, None, '{"event_id": "e2", ', "not a valid JSON object"),
        (4, None, "[1, 2]", "not a valid JSON object"),
        (
            5,
            "event_type",
            "bounced_hard",
            "event_type: value not in allowed set "
            "[sent, delivered, open, click, reply, bounce, unsubscribe, spam_report]",
        ),
    ]
    assert (summary.data_rows, summary.loaded_rows, summary.rejected_rows) == (4, 1, 3)


def test_gbk_and_bom_files_are_decoded(con, tmp_path):
    landing = tmp_path / "landing"
    gbk = write_csv(
        partition(landing, "crm/customers", DAY), "c.csv", CUSTOMER_HEADER, [customer("C1")], "gbk"
    )
    with pytest.raises(UnicodeDecodeError):
        gbk.read_bytes().decode("utf-8")
    write_csv(
        partition(landing, "crm/customers", "2026-06-02"),
        "c.csv",
        CUSTOMER_HEADER,
        [customer("C2")],
        "utf-8-sig",
    )
    load(con, CUSTOMERS, landing, DAY, "2026-06-02")
    assert con.execute(
        "SELECT customer_id, name, company FROM raw.crm__customers ORDER BY 1"
    ).fetchall() == [("C1", "张三", "北京某某科技有限公司"), ("C2", "张三", "北京某某科技有限公司")]
    assert con.execute("SELECT encoding FROM raw.load_log ORDER BY _dt").fetchall() == [
        ("gb18030",),
        ("utf-8-sig",),
    ]


def test_a_header_without_a_required_column_refuses_its_file_alone(con, tmp_path):
    landing = tmp_path / "landing"
    folder = partition(landing, "crm/activities", DAY)
    header = [c for c in ACTIVITY_HEADER if c != "occurred_at"]
    path = write_csv(folder, "a.csv", header, [activity("A1")[:-1], activity("A2")[:-1]])
    write_csv(folder, "b.csv", ACTIVITY_HEADER, [activity("B1")])

    summary = load(con, ACTIVITIES, landing)

    assert con.execute(
        "SELECT source_file, status, data_rows, loaded_rows FROM raw.load_log ORDER BY 1"
    ).fetchall() == [(str(path), "bad_header", 2, 0), (str(folder / "b.csv"), "loaded", 1, 1)]
    assert summary.problems == [
        f"{path}: header lacks required column 'occurred_at' (entity crm/activities; "
        f"header: {', '.join(header)})"
    ]
    assert con.execute("SELECT activity_id FROM raw.crm__activities").fetchall() == [("B1",)]


def test_empty_unreadable_and_missing_partitions_are_reported_not_crashed_on(con, tmp_path):
    landing = tmp_path / "landing"
    (partition(landing, "crm/activities", DAY) / "empty.csv").write_bytes(b"")
    write_csv(partition(landing, "crm/activities", "2026-06-02"), "quiet.csv", ACTIVITY_HEADER, [])
    (partition(landing, "crm/activities", "2026-06-03") / "bin.csv").write_bytes(
        b"\xff\xfe\x00\x81"
    )
    summary = load(con, ACTIVITIES, landing, DAY, "2026-06-02", "2026-06-03", "2026-06-04")
    statuses = con.execute("SELECT _dt::VARCHAR, status FROM raw.load_log ORDER BY 1").fetchall()
    assert statuses == [
        ("2026-06-01", "empty"),
        ("2026-06-02", "no_rows"),
        ("2026-06-03", "unknown_encoding"),
        ("2026-06-04", "missing_partition"),
    ]
    assert len(summary.problems) == 3
    assert "empty.csv: empty file, not even a header" in summary.problems[0]
    assert "bin.csv: not decodable as any of: utf-8" in summary.problems[1]
    assert "dt=2026-06-04" in summary.problems[2]


def test_vendor_mapping_translates_headers_and_coded_values(con, tmp_path):
    landing = tmp_path / "landing"
    header = [
        "跟进记录编号",
        "客户编号",
        "负责人",
        "跟进方式",
        "方向",
        "跟进时间",
        "通话时长(秒)",
        "跟进结果",
        "跟进内容",
        "备注2",
    ]
    write_csv(
        partition(landing, "crm/activities", DAY),
        "fx.csv",
        header,
        [["F1", "C9", "R2", "拜访", "呼入", "2026-06-01 08:00:00", "30", "接通", "介绍", "x"]],
    )
    load(con, ACTIVITIES, landing)
    assert con.execute(
        "SELECT activity_id, customer_id, activity_type, direction, duration_seconds, _extra "
        "FROM raw.crm__activities"
    ).fetchall() == [("F1", "C9", "visit", "inbound", 30, '{"备注2":"x"}')]
    assert con.execute("SELECT mapping FROM raw.load_log").fetchone() == ("fxiaoke_activities",)


def test_parquet_orders_load_with_row_numbers(con, tmp_path):
    landing = tmp_path / "landing"
    folder = partition(landing, "orders/orders", DAY)
    duckdb.execute(
        f"""COPY (SELECT * FROM (VALUES
            ('O1', 'a@b.com', NULL, TIMESTAMP '2026-06-01 12:00:00', 99.5, 'CNY', 'paid', 'web'),
            ('O2', NULL, '138', TIMESTAMP '2026-06-01 12:00:00', 5, 'XYZ', 'paid', 'web'))
            t(order_id, buyer_email, buyer_phone, ordered_at, amount, currency, status, channel))
        TO '{folder / "o.parquet"}' (FORMAT parquet)"""
    )
    load(con, ORDERS, landing)
    assert con.execute(
        "SELECT order_id, ordered_at, amount::VARCHAR, _line_number, _extra FROM raw.orders__orders"
    ).fetchall() == [("O1", dt.datetime(2026, 6, 1, 4, 0), "99.50", 1, None)]
    assert rejects(con) == [
        (2, "currency", "XYZ", "currency: value not in allowed set [CNY, USD, EUR, HKD]")
    ]


def test_reloading_a_partition_replaces_exactly_that_partition(con, tmp_path):
    landing = tmp_path / "landing"
    write_csv(
        partition(landing, "crm/activities", DAY),
        "a.csv",
        ACTIVITY_HEADER,
        [activity("A1"), activity("A2", activity_type="fax")],
    )
    write_csv(
        partition(landing, "crm/activities", "2026-06-02"),
        "a.csv",
        ACTIVITY_HEADER,
        [activity("B1")],
    )
    load(con, ACTIVITIES, landing, DAY, "2026-06-02")
    before = con.execute(
        "SELECT * EXCLUDE (_loaded_at) FROM raw.crm__activities ORDER BY 1"
    ).fetchall()

    load(con, ACTIVITIES, landing, DAY)
    load(con, ACTIVITIES, landing, DAY)
    after = con.execute(
        "SELECT * EXCLUDE (_loaded_at) FROM raw.crm__activities ORDER BY 1"
    ).fetchall()
    assert after == before
    assert con.execute("SELECT count(*) FROM raw.rejects").fetchone() == (1,)
    assert con.execute("SELECT count(*) FROM raw.load_log").fetchone() == (2,)

    write_csv(partition(landing, "crm/activities", DAY), "a.csv", ACTIVITY_HEADER, [activity("A9")])
    load(con, ACTIVITIES, landing, DAY)
    assert con.execute("SELECT activity_id FROM raw.crm__activities ORDER BY 1").fetchall() == [
        ("A9",),
        ("B1",),
    ]
    assert con.execute("SELECT count(*) FROM raw.rejects").fetchone() == (0,)


def test_lines_are_counted_per_file_when_files_are_parsed_together(con, tmp_path):
    """Three files of two days share a header and one scan: every row keeps the line of its own
    file, also after a line the parser rejected in that file, and each file is conserved."""
    landing = tmp_path / "landing"
    bad = "A9,C1,R1,call\n"  # four fields under a nine-column header
    for day, name, rows_before in [
        (DAY, "a.csv", 2),
        (DAY, "b.csv", 0),
        ("2026-06-02", "c.csv", 1),
    ]:
        folder = partition(landing, "crm/activities", day)
        rows = [activity(f"{name}{i}") for i in range(rows_before)]
        text = csv_text(ACTIVITY_HEADER, rows) + bad + ",".join(activity(f"{name}-after")) + "\n"
        (folder / name).write_text(text)

    load(con, ACTIVITIES, landing, DAY, "2026-06-02")

    loaded = con.execute(
        "SELECT parse_filename(_source_file), activity_id, _line_number "
        "FROM raw.crm__activities ORDER BY ALL"
    ).fetchall()
    assert loaded == [
        ("a.csv", "a.csv-after", 5),
        ("a.csv", "a.csv0", 2),
        ("a.csv", "a.csv1", 3),
        ("b.csv", "b.csv-after", 3),
        ("c.csv", "c.csv-after", 4),
        ("c.csv", "c.csv0", 2),
    ]
    assert con.execute(
        "SELECT parse_filename(source_file), line_number FROM raw.rejects ORDER BY ALL"
    ).fetchall() == [("a.csv", 4), ("b.csv", 2), ("c.csv", 3)]
    assert con.execute(
        "SELECT parse_filename(source_file), data_rows, loaded_rows, rejected_rows "
        "FROM raw.load_log ORDER BY ALL"
    ).fetchall() == [("a.csv", 4, 3, 1), ("b.csv", 2, 1, 1), ("c.csv", 3, 2, 1)]
