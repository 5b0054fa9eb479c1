"""Write-audit-publish over hand-made deliveries: each kind of bad data fails the right check with
the exact count, publishes nothing and leaves the published file as it was, byte for byte, and
readable by a BI tool holding it open; a good run then publishes."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import sqlalchemy
import yaml

from expectations.suites import Rule
from orchestration.publishing.versions import current_version, rollback
from tests.conftest import check_of, materialize
from tests.landing_files import (
    ACTIVITY_HEADER,
    CUSTOMER_HEADER,
    ORDER_HEADER,
    activity,
    customer,
    order,
    partition,
    write_csv,
    write_jsonl,
)

DAYS = ["2026-06-01", "2026-06-02", "2026-06-03"]


def write_clean_landing(landing: Path, days: list[str] = DAYS) -> None:
    """Every source on every day; from the third day on, no customer changes (header-only)."""
    shutil.rmtree(landing, ignore_errors=True)
    for i, day in enumerate(days):
        changed = [customer(f"C{i + 1}", updated_at=f"{day} 09:00:00")] if i < 2 else []
        write_csv(partition(landing, "crm/customers", day), "c.csv", CUSTOMER_HEADER, changed)
        write_csv(
            partition(landing, "crm/activities", day),
            "a.csv",
            ACTIVITY_HEADER,
            [activity(f"A{i}1", occurred_at=f"{day} 10:00:00"), activity(f"A{i}2")],
        )
        write_jsonl(
            partition(landing, "email/events", day),
            "e.jsonl",
            [
                {
                    "event_id": f"E{i}{n}",
                    "event_type": kind,
                    "email": "zs@x.cn",
                    "message_id": f"M{i}",
                    "occurred_at": f"{day}T10:0{n}:00+08:00",
                }
                for n, kind in enumerate(["sent", "open"])
            ],
        )
        write_csv(
            partition(landing, "orders/orders", day), "o.csv", ORDER_HEADER, [order(f"O{i}", day)]
        )


def redelivered_with_a_changed_row(landing: Path) -> None:
    """Day 2's activities arrive again in a second file: A11 changed, A12 unchanged."""
    write_csv(
        partition(landing, "crm/activities", DAYS[1]),
        "a_again.csv",
        ACTIVITY_HEADER,
        [activity("A11", occurred_at=f"{DAYS[1]} 10:00:00", outcome="changed"), activity("A12")],
    )


def missing_day(landing: Path) -> None:
    shutil.rmtree(partition(landing, "email/events", DAYS[1]))


def null_key(landing: Path) -> None:
    write_csv(
        partition(landing, "crm/activities", DAYS[2]),
        "a.csv",
        ACTIVITY_HEADER,
        [activity("A21"), activity("A22", customer_id="")],
    )


def null_keys_above_the_thresholds(landing: Path) -> None:
    """12 of the last day's 14 activities without a customer: more than 1% and more than 10."""
    write_csv(
        partition(landing, "crm/activities", DAYS[2]),
        "a.csv",
        ACTIVITY_HEADER,
        [activity(f"A2{n:02}", customer_id="" if n >= 2 else "C1") for n in range(14)],
    )


def amounts_out_of_range_above_the_thresholds(landing: Path) -> None:
    write_csv(
        partition(landing, "orders/orders", DAYS[2]),
        "o.csv",
        ORDER_HEADER,
        [order(f"O2{n:02}", DAYS[2], amount="99999999999") for n in range(11)],
    )


def a_few_malformed_rows(landing: Path) -> None:
    """0.02% of the last day's 5,000 orders out of range, and one of its 2 activities without a
    customer (50% of the day, but 1 row)."""
    write_csv(
        partition(landing, "orders/orders", DAYS[2]),
        "o.csv",
        ORDER_HEADER,
        [
            order(f"O2{n:04}", DAYS[2], amount="99999999999" if n == 0 else "100.00")
            for n in range(5000)
        ],
    )
    null_key(landing)


def future_late_and_broken_rows(landing: Path) -> None:
    """On the last day: an activity dated after its delivery day, one 5 days old (lateness is 3),
    and a line with a field too many."""
    path = write_csv(
        partition(landing, "crm/activities", DAYS[2]),
        "a.csv",
        ACTIVITY_HEADER,
        [
            activity("A21"),
            activity("A22", occurred_at="2026-06-05 10:00:00"),
            activity("A23", occurred_at="2026-05-29 10:00:00"),
        ],
    )
    with path.open("a", encoding="utf-8") as f:
        f.write(",".join(activity("A24")) + ",extra\n")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def version_seen_by_a_new_process(path: Path) -> str:
    script = (
        "import sqlalchemy, sys; "
        "engine = sqlalchemy.create_engine('duckdb:///' + sys.argv[1], "
        "connect_args={'read_only': True}); "
        "print(engine.connect().execute("
        "sqlalchemy.text('SELECT version FROM meta.publication')).scalar())"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def results_text(evaluation: dg.AssetCheckEvaluation) -> str:
    """Every cell of a landed-data check's results table, one row a line."""
    table = evaluation.metadata["results"]
    return "\n".join(" | ".join(str(v) for v in r.data.values()) for r in table.records)


def published_step_succeeded(result) -> bool:
    return any(e.is_step_success and e.step_key == "published__marts" for e in result.all_events)


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """A home whose first, clean run published; the landing is rewritten by each test."""
    root = tmp_path_factory.mktemp("gates")
    home, landing = root / "home", root / "landing"
    instance = dg.DagsterInstance.ephemeral()
    write_clean_landing(landing)
    first = materialize(instance, home, landing)
    assert published_step_succeeded(first), [
        e.step_failure_data.error.message for e in first.all_events if e.is_step_failure
    ]
    return home, landing, instance


@pytest.fixture
def reader(published):
    """A BI tool's connection to the published file, held open across the test."""
    home, _, _ = published
    engine = sqlalchemy.create_engine(
        f"duckdb:///{home / 'published' / 'cadence.duckdb'}", connect_args={"read_only": True}
    )
    with engine.connect() as connection:
        yield connection
    engine.dispose()


BAD_DELIVERIES = [
    # (mutation, asset, blocking check, rule, unexpected rows)
    (
        redelivered_with_a_changed_row,
        "raw/crm__activities",
        "contract",
        "key:no_conflicting_copies",
        2,
    ),
    (missing_day, "raw/email__events", "gaps", "gaps:every_day_landed", 1),
    (
        null_keys_above_the_thresholds,
        "raw/crm__activities",
        "quarantine",
        "required:customer_id (2026-06-03: 12 of 14 rows rejected, more than 1.00% of the day's "
        "rows and more than 10)",
        12,
    ),
    (
        amounts_out_of_range_above_the_thresholds,
        "raw/orders__orders",
        "quarantine",
        "range:amount (2026-06-03: 11 of 11 rows rejected, more than 1.00% of the day's rows and "
        "more than 10)",
        11,
    ),
]


@pytest.mark.parametrize(
    ("mutate", "asset", "check", "rule", "unexpected"),
    BAD_DELIVERIES,
    ids=[b[0].__name__ for b in BAD_DELIVERIES],
)
def test_bad_delivery_fails_its_check_and_publishes_nothing(
    published, reader, mutate, asset, check, rule, unexpected
):
    home, landing, instance = published
    before = sha256(home / "published" / "cadence.duckdb")
    version = current_version(home / "published")
    write_clean_landing(landing)
    mutate(landing)

    result = materialize(instance, home, landing)

    failed = check_of(result, asset, check)
    assert (failed.passed, failed.severity) == (False, dg.AssetCheckSeverity.ERROR)
    assert failed.metadata["unexpected_count"].value == unexpected
    assert failed.metadata["failed_rules"].value == rule
    assert not published_step_succeeded(result)
    assert sha256(home / "published" / "cadence.duckdb") == before
    assert current_version(home / "published") == version
    assert reader.execute(sqlalchemy.text("SELECT count(*) FROM marts.dim_customer")).scalar() > 0


def test_time_rules_and_quarantine_count_exactly(published):
    home, landing, instance = published
    write_clean_landing(landing)
    future_late_and_broken_rows(landing)

    result = materialize(instance, home, landing)

    future = check_of(result, "raw/crm__activities", "contract")
    assert (future.passed, future.severity) == (False, dg.AssetCheckSeverity.ERROR)
    assert future.metadata["failed_rules"].value == "time:not_after_delivery"
    assert future.metadata["unexpected_count"].value == 1
    late = check_of(result, "raw/crm__activities", "lateness")
    assert (late.passed, late.severity) == (False, dg.AssetCheckSeverity.WARN)
    assert late.metadata["unexpected_count"].value == 1
    broken = check_of(result, "raw/crm__activities", "quarantine")
    assert (broken.passed, broken.severity) == (False, dg.AssetCheckSeverity.WARN)
    assert broken.metadata["unexpected_count"].value == 1
    assert broken.metadata["failed_rules"].value == "unparseable:line"
    assert "Expected Number of Columns: 9 Found: 10" in results_text(broken)
    assert not published_step_succeeded(result)


def test_a_refused_file_blocks_publishing_and_everything_else_is_checked(published, tmp_path):
    """A parquet file the parser gives up on, and a symlink out of the landing tree: each blocks
    its entity's `files` check naming the file; every entity is still loaded and checked."""
    home, landing, instance = published
    before = sha256(home / "published" / "cadence.duckdb")
    write_clean_landing(landing)
    broken = partition(landing, "orders/orders", DAYS[2]) / "broken.parquet"
    broken.write_bytes(b"PAR1 not a parquet file PAR1")
    secret = tmp_path / "secret.csv"
    secret.write_text("S3CRET-OUTSIDE\n")
    link = partition(landing, "crm/activities", DAYS[2]) / "link.csv"
    link.symlink_to(secret)

    result = materialize(instance, home, landing)

    for asset, path in [("raw/orders__orders", broken), ("raw/crm__activities", link)]:
        files = check_of(result, asset, "files")
        assert (files.passed, files.severity) == (False, dg.AssetCheckSeverity.ERROR)
        assert files.metadata["failed_rules"].value == "files:all_read"
        assert f"{DAYS[2]}: {path}: " in results_text(files)
    for asset in ["raw/crm__customers", "raw/email__events"]:
        assert check_of(result, asset, "files").passed
        assert check_of(result, asset, "contract").passed
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute(
            "SELECT count(*) FROM raw.orders__orders WHERE _dt = ?", [DAYS[2]]
        ).fetchone() == (1,)
        assert con.execute(
            "SELECT count(*) FROM raw.rejects WHERE raw_record LIKE '%S3CRET%'"
        ).fetchone() == (0,)
    assert not published_step_succeeded(result)
    assert sha256(home / "published" / "cadence.duckdb") == before


def test_a_few_malformed_rows_are_quarantined_and_publish_with_warnings(tmp_path):
    # A home of its own: the shared one's incremental facts hold the clean landing's rows.
    home, landing = tmp_path / "home", tmp_path / "landing"
    write_clean_landing(landing)
    a_few_malformed_rows(landing)

    result = materialize(dg.DagsterInstance.ephemeral(), home, landing)

    assert published_step_succeeded(result)
    for asset, rule in [
        ("raw/orders__orders", "range:amount"),
        ("raw/crm__activities", "required:customer_id"),
    ]:
        warned = check_of(result, asset, "quarantine")
        assert (warned.passed, warned.severity) == (False, dg.AssetCheckSeverity.WARN), asset
        assert (
            warned.metadata["failed_rules"].value,
            warned.metadata["unexpected_count"].value,
        ) == (
            rule,
            1,
        )
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute(
            "SELECT count(*) FROM raw.orders__orders WHERE order_id = 'O20000'"
        ).fetchone() == (0,)
        assert con.execute(
            "SELECT rules FROM raw.rejects WHERE entity = 'orders/orders'"
        ).fetchall() == [(["range:amount"],)]


def test_exact_redelivery_warns_with_the_surplus_count(published):
    home, landing, instance = published
    write_clean_landing(landing)
    redelivered_with_a_changed_row(landing)
    result = materialize(instance, home, landing)
    duplicates = check_of(result, "raw/crm__activities", "duplicates")
    assert (duplicates.passed, duplicates.severity) == (False, dg.AssetCheckSeverity.WARN)
    assert duplicates.metadata["unexpected_count"].value == 1  # A12's second copy


def test_an_expectation_that_raises_is_an_error_not_a_failed_expectation(published, monkeypatch):
    home, landing, instance = published
    before = sha256(home / "published" / "cadence.duckdb")
    write_clean_landing(landing)
    broken = Rule(
        "contract",
        "broken:no_such_column",
        "a typo",
        "ExpectColumnValuesToNotBeNull",
        {"column": "no_such_column"},
    )
    from expectations import validation

    original = validation.row_rules
    monkeypatch.setattr(validation, "row_rules", lambda e, r: [*original(e, r), broken])

    result = materialize(instance, home, landing)

    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert failure.step_key == "extract_landing"
    error = failure.step_failure_data.error.to_string()
    assert "ExpectationRaisedError" in error
    assert "broken:no_such_column" in error
    assert 'The column "no_such_column" in BatchData does not exist' in error
    assert not published_step_succeeded(result)
    assert sha256(home / "published" / "cadence.duckdb") == before


def test_an_acknowledged_gap_warns_and_a_good_run_publishes_while_a_reader_holds_the_file(
    published, reader, tmp_path
):
    home, landing, instance = published
    old_version = current_version(home / "published")
    held = reader.execute(sqlalchemy.text("SELECT version FROM meta.publication")).scalar()
    # Two new days land; the email platform had an outage on the first of them.
    outage = "2026-06-04"
    write_clean_landing(landing, [*DAYS, outage, "2026-06-05"])
    shutil.rmtree(partition(landing, "email/events", outage))
    acknowledged = tmp_path / "acknowledgements.yml"
    acknowledged.write_text(
        yaml.safe_dump(
            {
                "acknowledgements": [
                    {
                        "check": "gaps",
                        "entity": "email/events",
                        "dates": [outage],
                        "note": "ESP outage",
                    }
                ]
            }
        )
    )

    result = materialize(instance, home, landing, acknowledged)

    gap = check_of(result, "raw/email__events", "gaps")
    assert (gap.passed, gap.severity) == (False, dg.AssetCheckSeverity.WARN)
    assert gap.metadata["acknowledged"].value is True
    assert published_step_succeeded(result)
    new_version = current_version(home / "published")
    assert new_version != old_version
    # The open reader still sees its version; another process connecting now sees the new one.
    # (Within one process DuckDB shares a file's instance while any connection to it is open.)
    assert reader.execute(sqlalchemy.text("SELECT version FROM meta.publication")).scalar() == held
    assert version_seen_by_a_new_process(home / "published" / "cadence.duckdb") == new_version
    assert not list((home / "published").glob("*.wal"))

    assert rollback(home / "published")["version"] == old_version
    assert current_version(home / "published") == old_version
    assert sha256(home / "published" / "cadence.duckdb") == sha256(
        home / "published" / "versions" / old_version / "cadence.duckdb"
    )


def test_make_run_exits_non_zero_naming_the_failed_check(tmp_path, monkeypatch, capsys):
    from orchestration.cli.commands import main

    landing = tmp_path / "landing"
    write_clean_landing(landing)
    null_keys_above_the_thresholds(landing)
    monkeypatch.setenv("CADENCE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CADENCE_LANDING_DIR", str(landing))

    assert main(["run"]) == 1

    out, err = capsys.readouterr()
    assert (
        "error: check raw/crm__activities:quarantine failed: required:customer_id (2026-06-03: "
        "12 of 14 rows rejected" in err
    )
    assert "nothing published" in err
    assert "raw/crm__activities:quarantine  required:customer_id" in out
    assert re.search(r"extract_landing\s+FAILED", out)  # its blocking check failed
    assert re.search(r"dbt_models\s+not run", out)
    assert not (tmp_path / "home" / "published" / "cadence.duckdb").exists()
    assert "required:customer_id" in (tmp_path / "home" / "reports" / "run_summary.md").read_text()


def test_backfill_reloads_and_checks_only_its_days(published):
    home, landing, instance = published
    write_clean_landing(landing)
    null_key(landing)  # on the last day
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        before = dict(
            con.execute(
                "SELECT _dt::VARCHAR, max(_loaded_at) FROM raw.load_log GROUP BY 1"
            ).fetchall()
        )

    result = materialize(instance, home, landing, first=DAYS[2], last=DAYS[2])

    warned = check_of(result, "raw/crm__activities", "quarantine")
    assert warned.metadata["unexpected_count"].value == 1
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        after = dict(
            con.execute(
                "SELECT _dt::VARCHAR, max(_loaded_at) FROM raw.load_log GROUP BY 1"
            ).fetchall()
        )
    assert [day for day in before if after[day] != before[day]] == [DAYS[2]]
