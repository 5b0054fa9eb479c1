"""Hostile landed files: each is loaded, or refused with one line in `raw.load_log` naming the
file and the reason; the rest of the landing loads either way, and nothing outside the landing
tree is ever read."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from sources import readers
from sources.contract import entities
from sources.extract import REFUSED_STATUSES, load_partitions
from sources.landing import landed_days
from tests.landing_files import ACTIVITY_HEADER, activity, csv_text, partition, write_csv

DAY, NEXT_DAY = "2026-06-01", "2026-06-02"
ACTIVITIES = entities()["crm/activities"]
EVENTS = entities()["email/events"]
ORDERS = entities()["orders/orders"]
FOLDERS = {ACTIVITIES: "crm/activities", EVENTS: "email/events", ORDERS: "orders/orders"}


@pytest.fixture
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


def event(event_id: str, **extra) -> dict:
    return {
        "event_id": event_id,
        "event_type": "open",
        "email": "a@b.com",
        "message_id": "m1",
        "occurred_at": "2026-06-01T10:00:00+08:00",
    } | extra


def land_good_files(landing: Path, entity) -> None:
    """A good file beside the hostile one and another good day: both must load whatever else."""
    for day, name in [(DAY, "good"), (NEXT_DAY, "next")]:
        folder = partition(landing, FOLDERS[entity], day)
        if entity is EVENTS:
            (folder / f"{name}.jsonl").write_text(json.dumps(event(name)) + "\n")
        else:
            write_csv(folder, f"{name}.csv", ACTIVITY_HEADER, [activity(name)])


def load(con, entity, landing: Path):
    days = [dt.date.fromisoformat(DAY), dt.date.fromisoformat(NEXT_DAY)]
    return load_partitions(con, entity, landing, days, landing.parent / "scratch")


def log_of(con, path: Path) -> tuple:
    return con.execute(
        "SELECT status, message, data_rows, loaded_rows, rejected_rows FROM raw.load_log "
        "WHERE source_file = ?",
        [str(path)],
    ).fetchone()


def keys_loaded(con, entity) -> set[str]:
    key = entity.key
    return {r[0] for r in con.execute(f"SELECT {key} FROM raw.{entity.table_name}").fetchall()}


def assert_refused_in_one_line(con, path: Path, status: str, reason: str) -> None:
    logged_status, message, *_ = log_of(con, path)
    assert (logged_status, message.count("\n")) == (status, 0), message
    assert status in REFUSED_STATUSES
    assert message.startswith(f"{path}: ") and reason in message, message


@pytest.mark.parametrize(
    ("entity", "name", "data"),
    [
        (
            ACTIVITIES,
            "appended.csv",
            csv_text(ACTIVITY_HEADER, [activity("A1")]).replace("\n", "\r\n").encode()
            + csv_text(ACTIVITY_HEADER, [activity("A2"), activity("A3")])
            .split("\n", 1)[1]
            .encode(),
        ),
        (
            EVENTS,
            "appended.jsonl",
            (json.dumps(event("A1")) + "\r\n" + json.dumps(event("A2")) + "\n").encode()
            + (json.dumps(event("A3")) + "\r\n").encode(),
        ),
    ],
    ids=["csv", "jsonl"],
)
def test_mixed_line_endings_load_row_by_row(con, tmp_path, entity, name, data):
    """Rows appended with `\\n` to a Windows export with `\\r\\n`: DuckDB's strict parser gave up
    on the whole file and the extraction step died with it."""
    landing = tmp_path / "landing"
    land_good_files(landing, entity)
    path = partition(landing, FOLDERS[entity], DAY) / name
    path.write_bytes(data)

    load(con, entity, landing)

    first_line = 2 if entity is ACTIVITIES else 1
    key = entity.key
    assert con.execute(
        f"SELECT {key}, _line_number FROM raw.{entity.table_name} "
        "WHERE _source_file = ? ORDER BY _line_number",
        [str(path)],
    ).fetchall() == [("A1", first_line), ("A2", first_line + 1), ("A3", first_line + 2)]
    # no value keeps a stray carriage return
    assert con.execute(
        f"SELECT count(*) FROM raw.{entity.table_name} t "
        "WHERE CAST(t AS VARCHAR) LIKE '%' || chr(13) || '%'"
    ).fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM raw.rejects").fetchone() == (0,)
    assert log_of(con, path)[0] == "loaded"
    assert keys_loaded(con, entity) == {"A1", "A2", "A3", "good", "next"}


def test_a_nul_byte_inside_a_field_is_kept(con, tmp_path):
    landing = tmp_path / "landing"
    land_good_files(landing, ACTIVITIES)
    folder = partition(landing, "crm/activities", DAY)
    write_csv(folder, "nul.csv", ACTIVITY_HEADER, [activity("A1", subject="before\x00after")])

    load(con, ACTIVITIES, landing)

    assert con.execute(
        "SELECT subject FROM raw.crm__activities WHERE activity_id = 'A1'"
    ).fetchone() == ("before\x00after",)
    assert keys_loaded(con, ACTIVITIES) == {"A1", "good", "next"}


def land_long_line(landing: Path, entity, size: int) -> Path:
    """Rows A1, A2 and A3; A2 with a field of `size` characters."""
    folder = partition(landing, FOLDERS[entity], DAY)
    if entity is EVENTS:
        path = folder / "long.jsonl"
        lines = [event("A1"), event("A2", payload="x" * size), event("A3")]
        path.write_text("".join(json.dumps(line) + "\n" for line in lines))
        return path
    rows = [activity("A1"), activity("A2", subject="x" * size), activity("A3")]
    return write_csv(folder, "long.csv", ACTIVITY_HEADER, rows)


@pytest.mark.parametrize("entity", [ACTIVITIES, EVENTS], ids=["csv", "jsonl"])
def test_a_5mb_field_loads(con, tmp_path, entity):
    """DuckDB's default line limit (2 MB) quarantined the CSV row and failed the JSON file."""
    landing = tmp_path / "landing"
    land_good_files(landing, entity)
    path = land_long_line(landing, entity, 5_000_000)

    load(con, entity, landing)

    assert log_of(con, path)[2:] == (3, 3, 0)
    assert keys_loaded(con, entity) == {"A1", "A2", "A3", "good", "next"}
    column = "_extra" if entity is EVENTS else "subject"
    assert con.execute(
        f"SELECT length({column}) >= 5_000_000 FROM raw.{entity.table_name} "
        f"WHERE {entity.key} = 'A2'"
    ).fetchone() == (True,)


@pytest.mark.parametrize("entity", [ACTIVITIES, EVENTS], ids=["csv", "jsonl"])
def test_a_line_beyond_the_limit_is_quarantined_and_the_rows_around_it_load(
    con, tmp_path, entity, monkeypatch
):
    monkeypatch.setattr(readers, "MAX_LINE_BYTES", 100_000)
    landing = tmp_path / "landing"
    land_good_files(landing, entity)
    path = land_long_line(landing, entity, 200_000)

    summary = load(con, entity, landing)

    offset = 1 if entity is ACTIVITIES else 0
    assert con.execute(
        f"SELECT {entity.key}, _line_number FROM raw.{entity.table_name} "
        "WHERE _source_file = ? ORDER BY 2",
        [str(path)],
    ).fetchall() == [("A1", 1 + offset), ("A3", 3 + offset)]
    ((line, reason),) = con.execute("SELECT line_number, reason FROM raw.rejects").fetchall()
    assert line == 2 + offset
    assert reason.startswith("Maximum line size of 100000 bytes exceeded"), reason
    assert log_of(con, path)[2:] == (3, 2, 1)
    assert (summary.data_rows, summary.loaded_rows, summary.rejected_rows) == (5, 4, 1)


def test_a_quoted_header_name_with_a_doubled_quote_is_an_extra_column(con, tmp_path):
    landing = tmp_path / "landing"
    land_good_files(landing, ACTIVITIES)
    folder = partition(landing, "crm/activities", DAY)
    path = write_csv(folder, "q.csv", [*ACTIVITY_HEADER, 'say "hi"'], [[*activity("A1"), "x"]])
    assert path.read_text().splitlines()[0].endswith(',"say ""hi"""')

    load(con, ACTIVITIES, landing)

    assert con.execute(
        "SELECT _extra FROM raw.crm__activities WHERE activity_id = 'A1'"
    ).fetchone() == ('{"say \\"hi\\"":"x"}',)
    assert keys_loaded(con, ACTIVITIES) == {"A1", "good", "next"}


def test_a_contract_column_named_twice_refuses_the_file(con, tmp_path):
    """Which of the two holds the key is anyone's guess; the second one used to win silently."""
    landing = tmp_path / "landing"
    land_good_files(landing, ACTIVITIES)
    folder = partition(landing, "crm/activities", DAY)
    path = write_csv(
        folder, "dup.csv", [*ACTIVITY_HEADER, "Activity_ID"], [[*activity("A1"), "A2"]]
    )

    load(con, ACTIVITIES, landing)

    assert_refused_in_one_line(
        con, path, "bad_header", "header names column 'activity_id' twice (columns 1 and 10)"
    )
    assert log_of(con, path)[2:] == (1, 0, 0)
    assert keys_loaded(con, ACTIVITIES) == {"good", "next"}


def test_repeated_and_blank_extra_column_names_keep_every_value(con, tmp_path):
    """A trailing comma on every line (a blank header name) crashed the extraction step; a
    repeated extra column lost its first value."""
    landing = tmp_path / "landing"
    land_good_files(landing, ACTIVITIES)
    folder = partition(landing, "crm/activities", DAY)
    write_csv(
        folder,
        "extra.csv",
        [*ACTIVITY_HEADER, "note", "note", ""],
        [[*activity("A1"), "first", "second", ""]],
    )

    load(con, ACTIVITIES, landing)

    (extra,) = con.execute(
        "SELECT _extra FROM raw.crm__activities WHERE activity_id = 'A1'"
    ).fetchone()
    assert json.loads(extra) == {"note": "first", "note_11": "second", "column_12": None}
    assert keys_loaded(con, ACTIVITIES) == {"A1", "good", "next"}


# The start of a PNG image: not UTF-8, and not GB18030 either (0xff is no GB18030 byte).
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000100000001008060000001ff3ff61")


@pytest.mark.parametrize(
    ("entity", "name"), [(ACTIVITIES, "image.csv"), (EVENTS, "image.jsonl")], ids=["csv", "jsonl"]
)
def test_binary_bytes_refuse_the_file(con, tmp_path, entity, name):
    landing = tmp_path / "landing"
    land_good_files(landing, entity)
    path = partition(landing, FOLDERS[entity], DAY) / name
    path.write_bytes(PNG * 100)

    load(con, entity, landing)

    assert_refused_in_one_line(con, path, "unknown_encoding", "not decodable as any of: utf-8")
    assert con.execute("SELECT count(*) FROM raw.rejects").fetchone() == (0,)
    assert keys_loaded(con, entity) == {"good", "next"}


def test_a_file_the_parser_gives_up_on_is_refused_and_the_rest_loads(con, tmp_path):
    landing = tmp_path / "landing"
    folder = partition(landing, "orders/orders", DAY)
    path = folder / "broken.parquet"
    path.write_bytes(b"PAR1 not really a parquet file PAR1")
    write_csv(
        folder,
        "good.csv",
        ORDERS.column_names,
        [["O1", "a@b.com", "", "2026-06-01 10:00:00", "5", "CNY", "paid", "web"]],
    )

    summary = load(con, ORDERS, landing)

    assert_refused_in_one_line(con, path, "unreadable", "broken.parquet")
    assert log_of(con, path)[2] is None  # its rows cannot be counted
    assert keys_loaded(con, ORDERS) == {"O1"}
    assert len(summary.problems) == 2  # the broken file and the missing next day


def test_a_quoted_value_never_closed_refuses_the_file_instead_of_losing_its_rest(con, tmp_path):
    """DuckDB's strict parser returned the rows before the open quote and dropped the others
    without a word; an inch mark in an unquoted value (also an odd number of quotes) still loads."""
    landing = tmp_path / "landing"
    land_good_files(landing, ACTIVITIES)
    folder = partition(landing, "crm/activities", DAY)
    rows = [activity("A1"), activity("A2"), activity("A3"), activity("A4")]
    text = csv_text(ACTIVITY_HEADER, rows).replace(",follow-up\nA3,", ',"follow-up\nA3,')
    (folder / "open.csv").write_text(text)  # A2's subject opens a quote, swallowing A3 and A4
    inch = ",".join(activity("B1", subject='a 27" screen'))
    (folder / "inch.csv").write_text(",".join(ACTIVITY_HEADER) + "\n" + inch + "\n")

    load(con, ACTIVITIES, landing)

    assert_refused_in_one_line(
        con,
        folder / "open.csv",
        "unreadable",
        "a quoted value is never closed: the parser stops after 1 of 2 records",
    )
    assert log_of(con, folder / "open.csv")[2] == 2
    assert keys_loaded(con, ACTIVITIES) == {"B1", "good", "next"}


def test_a_json_line_that_is_an_array_is_quarantined(con, tmp_path):
    landing = tmp_path / "landing"
    land_good_files(landing, EVENTS)
    path = partition(landing, "email/events", DAY) / "array.jsonl"
    path.write_text(json.dumps(event("A1")) + "\n" + json.dumps([event("A2")]) + "\n")

    load(con, EVENTS, landing)

    assert con.execute("SELECT line_number, reason FROM raw.rejects").fetchall() == [
        (2, "not a valid JSON object")
    ]
    assert keys_loaded(con, EVENTS) == {"A1", "good", "next"}


def test_a_json_object_nested_2000_deep_loads(con, tmp_path):
    landing = tmp_path / "landing"
    land_good_files(landing, EVENTS)
    path = partition(landing, "email/events", DAY) / "deep.jsonl"
    nested = '{"a": ' * 2000 + "1" + "}" * 2000
    line = json.dumps(event("A1"))[:-1] + f', "payload": {nested}}}'
    path.write_text(line + "\n")

    load(con, EVENTS, landing)

    (extra,) = con.execute("SELECT _extra FROM raw.email__events WHERE event_id = 'A1'").fetchone()
    payload = json.loads(extra)["payload"]
    assert payload.replace(" ", "") == nested.replace(" ", "")
    assert keys_loaded(con, EVENTS) == {"A1", "good", "next"}


def test_a_file_name_with_quotes_and_spaces_loads_under_its_own_name(con, tmp_path):
    landing = tmp_path / "landing"
    land_good_files(landing, ACTIVITIES)
    folder = partition(landing, "crm/activities", DAY)
    path = write_csv(folder, """it's "the" export [1].csv""", ACTIVITY_HEADER, [activity("A1")])

    load(con, ACTIVITIES, landing)

    assert con.execute(
        "SELECT _source_file FROM raw.crm__activities WHERE activity_id = 'A1'"
    ).fetchone() == (str(path),)
    assert log_of(con, path)[0] == "loaded"
    assert keys_loaded(con, ACTIVITIES) == {"A1", "good", "next"}


SECRET = "S3CRET-OUTSIDE-THE-TREE"


def outside_file(tmp_path: Path) -> Path:
    """A file outside the landing tree that would load, and be quarantined, if it were read."""
    outside = tmp_path / "outside"
    outside.mkdir(exist_ok=True)
    path = outside / "secret.csv"
    rows = [activity(SECRET), activity("x", activity_type=SECRET), [SECRET]]
    path.write_text(csv_text(ACTIVITY_HEADER, rows))
    return path


def assert_never_read(con) -> None:
    """The outside file's content is in no raw table (load_log names the path, not the content)."""
    tables = [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'raw'"
        ).fetchall()
    ]
    for table in tables:
        hits = con.execute(
            f"SELECT count(*) FROM raw.{table} t WHERE CAST(t AS VARCHAR) LIKE ?", [f"%{SECRET}%"]
        ).fetchone()
        assert hits == (0,), table


@pytest.mark.parametrize("link", ["absolute", "relative through .."])
def test_a_symlink_to_a_file_outside_the_tree_is_reported_never_read(con, tmp_path, link):
    landing = tmp_path / "landing"
    land_good_files(landing, ACTIVITIES)
    secret = outside_file(tmp_path)
    path = partition(landing, "crm/activities", DAY) / "leak.csv"
    path.symlink_to(secret if link == "absolute" else Path("../../../../outside/secret.csv"))
    assert path.read_text().count(SECRET) == 3  # the link works: only the boundary stops it

    load(con, ACTIVITIES, landing)

    assert_refused_in_one_line(con, path, "outside_landing", "outside the landing tree")
    assert log_of(con, path)[2:] == (None, 0, 0)
    assert_never_read(con)
    assert keys_loaded(con, ACTIVITIES) == {"good", "next"}


def test_folders_linked_outside_the_tree_are_reported_never_read(con, tmp_path):
    landing = tmp_path / "landing"
    land_good_files(landing, ACTIVITIES)
    outside_day = tmp_path / "outside" / "dt=2026-06-03"
    outside_day.mkdir(parents=True)
    shutil.copy(outside_file(tmp_path), outside_day / "a.csv")
    day_link = landing / "crm/activities/dt=2026-06-03"
    day_link.symlink_to(outside_day)
    # A whole entity folder linked out of the tree is not even listed.
    (landing / "email").mkdir()
    (landing / "email/events").symlink_to(tmp_path / "outside", target_is_directory=True)
    assert landed_days(landing, EVENTS) == []

    load_partitions(con, ACTIVITIES, landing, [dt.date(2026, 6, 3)], tmp_path / "scratch")
    load_partitions(con, EVENTS, landing, [dt.date(2026, 6, 3)], tmp_path / "scratch")

    assert_refused_in_one_line(con, day_link, "outside_landing", "outside the landing tree")
    assert_refused_in_one_line(
        con, landing / "email/events/dt=2026-06-03", "outside_landing", "outside the landing tree"
    )
    assert_never_read(con)


def test_a_symlink_inside_the_tree_is_read(con, tmp_path):
    landing = tmp_path / "landing"
    land_good_files(landing, ACTIVITIES)
    link = partition(landing, "crm/activities", DAY) / "again.csv"
    link.symlink_to(Path("../dt=2026-06-02/next.csv"))

    load(con, ACTIVITIES, landing)

    assert con.execute(
        "SELECT _source_file FROM raw.crm__activities WHERE _dt = DATE '2026-06-01' ORDER BY 1"
    ).fetchall() == [(str(link),), (str(link.with_name("good.csv")),)]


def test_a_file_that_fails_the_shared_scan_is_refused_alone(con, tmp_path, monkeypatch):
    """Files sharing a header are parsed in one scan; when DuckDB refuses the scan (here a file
    vanishes after it was listed and decoded), the file its error names is read alone and refused,
    and every other file of the scan still loads."""
    landing = tmp_path / "landing"
    land_good_files(landing, ACTIVITIES)
    folder = partition(landing, "crm/activities", DAY)
    vanishing = write_csv(folder, "vanishing.csv", ACTIVITY_HEADER, [activity("V1")])
    prepare = readers._csv_text

    def prepare_then_vanish(entity, landed, day, scratch):
        prepared = prepare(entity, landed, day, scratch)
        if landed.path == vanishing:
            vanishing.unlink()
        return prepared

    monkeypatch.setattr(readers, "_csv_text", prepare_then_vanish)

    load(con, ACTIVITIES, landing)

    assert_refused_in_one_line(con, vanishing, "unreadable", "vanishing.csv")
    assert keys_loaded(con, ACTIVITIES) == {"good", "next"}
