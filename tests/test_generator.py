"""The sample-data generator: determinism, landing layout, and a manifest that matches the files."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from sources.generator.cli import main
from sources.generator.identity import written_phone_e164

REPO = Path(__file__).resolve().parents[1]
ARGS = ["--customers", "300", "--days", "30", "--quiet"]
ENTITIES = ("crm/customers", "crm/activities", "email/events", "orders/orders")
LOCAL = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    """One run through the real command line."""
    root = tmp_path_factory.mktemp("run")
    subprocess.run(
        [sys.executable, "-m", "sources.generator", *ARGS, "--seed", "42", "--out", str(root)],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    return root


@pytest.fixture(scope="module")
def manifest(out: Path) -> dict:
    return json.loads((out / "truth" / "manifest.json").read_text())


def _hashes(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _partitions(out: Path, entity: str) -> dict[str, list[Path]]:
    root = out / "landing" / entity
    return {d.name.removeprefix("dt="): sorted(d.iterdir()) for d in sorted(root.iterdir())}


def _text(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("gb18030")


def _csv_rows(out: Path, entity: str, resent: str | None = None):
    """(dt, file name, row) for every data row; the re-sent copy is skipped when named."""
    for day, files in _partitions(out, entity).items():
        for path in files:
            if path.suffix != ".csv" or path.relative_to(out).as_posix() == resent:
                continue
            reader = csv.reader(io.StringIO(_text(path), newline=""))
            next(reader)
            for row in reader:
                yield day, path.name, row


def _json_lines(out: Path):
    for day, files in _partitions(out, "email/events").items():
        for line in files[0].read_text(encoding="utf-8").splitlines():
            yield day, line


def _header(entity: str) -> list[str]:
    source, name = entity.split("/")
    contract = yaml.safe_load((REPO / "sources" / f"{source}.yml").read_text())
    return list(contract["entities"][name]["columns"])


def _local_date(value) -> dt.date:
    if isinstance(value, int):
        return dt.datetime.fromtimestamp(value, LOCAL).date()
    moment = dt.datetime.fromisoformat(value)
    return (moment.astimezone(LOCAL) if moment.tzinfo else moment).date()


def _email_key(text: str) -> str:
    match = re.search(r"<([^>]+)>", text)
    return (match.group(1) if match else text).strip().lower()


def test_same_seed_gives_identical_files(out: Path, tmp_path: Path, capsys):
    main([*ARGS, "--seed", "42", "--out", str(tmp_path)])
    assert "crm/activities" in capsys.readouterr().out
    assert _hashes(tmp_path) == _hashes(out)


def test_another_seed_gives_other_files(out: Path, tmp_path: Path):
    """Landing files only: the truth's manifest records the seed, so it differs regardless."""
    main([*ARGS, "--seed", "7", "--out", str(tmp_path)])
    first, other = _hashes(out / "landing"), _hashes(tmp_path / "landing")
    for entity in ENTITIES:
        changed = [n for n, h in other.items() if n.startswith(entity) and first.get(n) != h]
        assert changed, f"seed 7 wrote the same {entity} files as seed 42"


@pytest.mark.parametrize(
    ("written", "e164"),
    [
        ("13812345678", "+8613812345678"),
        ("+86 138 1234 5678", "+8613812345678"),
        ("0086-138-1234-5678", "+8613812345678"),
        ("".join(chr(0xFF10 + int(d)) for d in "8613812345678"), "+8613812345678"),  # full-width
        ("010-88888888", "+861088888888"),
        ("400-800-0042", "+864008000042"),
    ],
)
def test_written_phones_normalise_to_e164(written: str, e164: str):
    assert written_phone_e164(written) == e164


def test_every_day_has_a_file_per_entity_except_the_missing_day(out: Path, manifest: dict):
    start = dt.date.fromisoformat(manifest["window"]["start"])
    days = {(start + dt.timedelta(d)).isoformat() for d in range(manifest["window"]["days"])}
    missing = manifest["missing_day"]
    assert (missing["source"], missing["entity"]) == ("email", "events")
    resent = manifest["resent_file"]
    for entity in ENTITIES:
        partitions = _partitions(out, entity)
        expected = days - {missing["dt"]} if entity == "email/events" else days
        assert set(partitions) == expected, entity
        for day, files in partitions.items():
            names = [f.relative_to(out).as_posix() for f in files]
            wanted = (
                [resent["original"], resent["copy"]] if resent["original"] in names else names[:1]
            )
            assert sorted(names) == sorted(wanted), (entity, day)
    assert not (out / "landing/email/events" / f"dt={missing['dt']}").exists()


def test_csv_headers_follow_the_contracts_and_quiet_days_are_header_only(out: Path):
    quiet = 0
    for entity in ("crm/customers", "crm/activities", "orders/orders"):
        header = ",".join(_header(entity)) + "\n"
        for files in _partitions(out, entity).values():
            for path in files:
                if path.suffix == ".parquet":
                    assert pq.read_schema(path).names == _header(entity)
                    continue
                text = _text(path)
                assert text.startswith(header), path
                quiet += text == header
    assert quiet > 0
    for files in _partitions(out, "email/events").values():
        text = files[0].read_text(encoding="utf-8")
        assert text == "" or text.endswith("\n")


def test_row_counts_match_the_manifest(out: Path, manifest: dict):
    counted = Counter()
    for entity in ("crm/customers", "crm/activities", "orders/orders"):
        counted[entity] = sum(1 for _ in _csv_rows(out, entity))
        for files in _partitions(out, entity).values():
            counted[entity] += sum(
                pq.read_metadata(f).num_rows for f in files if f.suffix == ".parquet"
            )
    counted["email/events"] = sum(1 for _ in _json_lines(out))
    assert dict(counted) == manifest["rows"]
    assert manifest["resent_file"]["rows"] > 0


def test_duplicate_and_late_email_events_match_the_manifest(out: Path, manifest: dict):
    lines_by_id: dict[str, list[str]] = {}
    late_rows = 0
    for day, line in _json_lines(out):
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue
        if event["event_id"]:
            lines_by_id.setdefault(event["event_id"], []).append(line)
        if event["occurred_at"] != "not-a-date":
            late_rows += _local_date(event["occurred_at"]) < dt.date.fromisoformat(day)
    copies = [lines for lines in lines_by_id.values() if len(lines) > 1]
    messiness = manifest["messiness"]["email/events"]
    delivery = manifest["delivery"]["email/events"]
    assert sum(len(lines) - 1 for lines in copies) == messiness["duplicate_redelivered"] > 0
    assert all(len(set(lines)) == 1 for lines in copies)
    assert late_rows == messiness["late"] + delivery["duplicate_next_partition"]
    assert messiness["late"] > 0


def test_malformed_email_events_match_the_manifest(out: Path, manifest: dict):
    kinds = Counter()
    types = {"sent", "delivered", "open", "click", "reply", "bounce", "unsubscribe", "spam_report"}
    stamps = Counter()
    for _, line in _json_lines(out):
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            kinds["malformed_json"] += 1
            continue
        kinds["invalid_value"] += event["event_type"] not in types
        kinds["missing_key"] += event["event_id"] == ""
        value = event["occurred_at"]
        if value == "not-a-date":
            kinds["bad_timestamp"] += 1
        else:
            stamps[
                "epoch" if isinstance(value, int) else value[-1] if value[-1] == "Z" else value[-6]
            ] += 1
    expected = manifest["messiness"]["email/events"]
    assert {k: kinds[k] for k in kinds} == {k: expected[k] for k in kinds}
    assert all(
        kinds[k] >= 1 for k in ("malformed_json", "bad_timestamp", "invalid_value", "missing_key")
    )
    assert set(stamps) == {"epoch", "Z", "+", ":"}  # ":" ends the seconds of naive local time


def test_malformed_and_late_activities_match_the_manifest(out: Path, manifest: dict):
    width = len(_header("crm/activities"))
    kinds, late = Counter(), 0
    types = {"call", "visit", "meeting", "wechat", "sms", "note"}
    for day, _, row in _csv_rows(out, "crm/activities", resent=manifest["resent_file"]["copy"]):
        if len(row) != width:
            kinds["wrong_field_count"] += 1
            continue
        kinds["missing_key"] += row[0] == "" or row[1] == ""
        kinds["invalid_value"] += row[3] not in types
        if row[5] == "not-a-date":
            kinds["bad_timestamp"] += 1
        else:
            late += row[5][:10].replace("/", "-") < day
    expected = manifest["messiness"]["crm/activities"]
    assert dict(kinds) == {k: v for k, v in expected.items() if k != "late"}
    assert late == expected["late"] > 0
    assert min(kinds.values()) >= 1


def test_malformed_orders_and_customers_match_the_manifest(out: Path, manifest: dict):
    width = len(_header("orders/orders"))
    kinds = Counter()
    for _, _, row in _csv_rows(out, "orders/orders"):
        if len(row) != width:
            kinds["wrong_field_count"] += 1
            continue
        kinds["missing_key"] += row[0] == ""
        kinds["bad_timestamp"] += row[3] == "not-a-date"
        kinds["bad_amount"] += re.fullmatch(r"\d+\.\d\d", row[4]) is None
        kinds["invalid_value"] += row[5] not in {"CNY", "USD", "EUR", "HKD"}
        kinds["invalid_value"] += row[6] not in {"paid", "refunded", "cancelled"}
    assert dict(kinds) == manifest["messiness"]["orders/orders"]
    assert min(kinds.values()) >= 1
    blank = sum(row[0] == "" for _, _, row in _csv_rows(out, "crm/customers"))
    assert blank == manifest["messiness"]["crm/customers"]["missing_key"] == 1


def test_special_files(out: Path, manifest: dict):
    gbk = (out / manifest["encodings"]["gbk"]).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        gbk.decode("utf-8")
    assert re.search(r"[\u4e00-\u9fff]", gbk.decode("gb18030"))
    assert (out / manifest["encodings"]["utf8_bom"]).read_bytes().startswith(b"\xef\xbb\xbf")
    original = (out / manifest["resent_file"]["original"]).read_bytes()
    assert original == (out / manifest["resent_file"]["copy"]).read_bytes()
    assert manifest["parquet_days"]["orders/orders"]


def test_truth_covers_every_record_and_identifiers_agree(out: Path, manifest: dict):
    truth = pq.read_table(out / "truth" / "identity_truth.parquet").to_pylist()
    owner = {(r["record_type"], r["record_id"]): r["person_id"] for r in truth}
    persons = {
        p["person_id"]: p for p in pq.read_table(out / "truth" / "persons.parquet").to_pylist()
    }
    junk_phones = set(manifest["junk_identifiers"]["phones"])
    junk_emails = set(manifest["junk_identifiers"]["emails"])
    assert {r["record_id"] for r in truth if r["is_junk"]} == junk_emails
    assert all(owner[("email_address", e)] is None for e in junk_emails)

    holders = Counter()
    width = len(_header("crm/customers"))
    for _, _, row in _csv_rows(out, "crm/customers"):
        if not row[0]:
            continue
        person = persons[owner[("crm_customer", row[0])]]
        if row[4] in junk_phones:
            holders[row[4]] += 1
        elif row[4]:
            assert written_phone_e164(row[4]) == person["phone"]
        if row[5]:
            email = _email_key(row[5])
            assert email in junk_emails or email == person["email"]
            assert ("email_address", email) in owner
        assert len(row) == width
    assert set(holders) == junk_phones and min(holders.values()) >= 4

    order_ids = set()
    for _, _, row in _csv_rows(out, "orders/orders"):
        if len(row) != len(_header("orders/orders")) or not row[0]:
            continue
        order_ids.add(row[0])
        person = persons[owner[("order", row[0])]]
        if row[2]:
            assert written_phone_e164(row[2]) == person["phone"]
        if row[1]:
            assert _email_key(row[1]) in junk_emails | {person["email"]}
    assert order_ids and order_ids <= {r["record_id"] for r in truth if r["record_type"] == "order"}


def test_persons_truth(out: Path, manifest: dict):
    persons = pq.read_table(out / "truth" / "persons.parquet").to_pylist()
    assert len(persons) == manifest["args"]["customers"] == 300
    assert all(re.fullmatch(r"\+861[3-9]\d{9}", p["phone"]) for p in persons)
    assert all(p["email"] == p["email"].strip().lower() for p in persons)
    assert {p["tier"] for p in persons} == {"A", "B", "C", "D"}
    declining = [p for p in persons if p["is_declining"]]
    assert declining and all(p["decline_start_date"] < p["stopped_buying_date"] for p in declining)
    assert all(p["stopped_buying_date"] is None for p in persons if not p["is_declining"])
