"""The whole graph over a generated sample: every kind of messiness lands where it should."""

from __future__ import annotations

import dagster as dg

from sources.generator.identity_quality import match_rates
from sources.lake import lake_dir
from tests.conftest import check_of, materialize
from tests.landing_files import (
    ACTIVITY_HEADER,
    CUSTOMER_HEADER,
    customer,
    partition,
    write_csv,
    write_jsonl,
)

ENTITIES = ["crm/customers", "crm/activities", "email/events", "orders/orders"]


def test_run_succeeds_with_every_check_evaluated(pipeline):
    assert pipeline.first_run.success
    evaluations = pipeline.first_run.get_asset_check_evaluations()
    errors = [e.check_name for e in evaluations if not e.passed and e.severity.value == "ERROR"]
    assert errors == []
    checks = {(e.asset_key.to_user_string(), e.check_name) for e in evaluations}
    assert ("raw/crm__activities", "duplicates") in checks
    assert ("marts/dim_customer", "unique_dim_customer_customer_key") in checks


def test_landed_data_checks_count_exactly_what_the_generator_injected(pipeline):
    """The sample's malformed rows (about 0.1% of a day) are quarantined and warn, one rule each,
    without any acknowledgement; its outage day fails the gap check (acknowledged), and its
    re-deliveries and guest checkouts warn, each with the manifest's exact count."""
    run, manifest = pipeline.first_run, pipeline.manifest
    for entity, kinds in manifest["messiness"].items():
        asset = f"raw/{entity.replace('/', '__')}"
        quarantine = check_of(run, asset, "quarantine")
        # Late and re-delivered rows are loaded; every other kind is one rejected row, one rule.
        malformed = sum(n for k, n in kinds.items() if k not in ("late", "duplicate_redelivered"))
        assert quarantine.metadata["unexpected_count"].value == malformed, entity
        assert quarantine.passed == (malformed == 0)
        assert quarantine.severity == dg.AssetCheckSeverity.WARN
        assert quarantine.metadata["acknowledged"].value is False
        assert check_of(run, asset, "contract").passed, entity
    gaps = check_of(run, "raw/email__events", "gaps")
    assert (gaps.passed, gaps.metadata["acknowledged"].value) == (False, True)
    assert gaps.metadata["unexpected_count"].value == 1
    delivery = manifest["delivery"]
    duplicates = check_of(run, "raw/email__events", "duplicates")
    assert duplicates.metadata["unexpected_count"].value == (
        delivery["email/events"]["duplicate_same_partition"]
        + delivery["email/events"]["duplicate_next_partition"]
    )
    resent = check_of(run, "raw/crm__activities", "duplicates")
    assert (
        resent.metadata["unexpected_count"].value == delivery["crm/activities"]["resent_file_rows"]
    )
    guests = check_of(run, "raw/orders__orders", "referential")
    assert (
        guests.metadata["unexpected_count"].value
        == (manifest["identity"]["orders/orders"]["guest_checkout_rows"])
    )
    assert (pipeline.home / "published" / "cadence.duckdb").is_file()
    assert (pipeline.home / "reports" / "data_docs" / "index.html").is_file()


def test_conservation_every_data_row_is_loaded_or_rejected(pipeline):
    with pipeline.connect() as con:
        for entity in ENTITIES:
            table = entity.replace("/", "__")
            loaded = con.execute(f"SELECT count(*) FROM raw.{table}").fetchone()[0]
            rejected = con.execute(
                "SELECT count(*) FROM raw.rejects WHERE entity = ?", [entity]
            ).fetchone()[0]
            assert loaded + rejected == pipeline.manifest["rows"][entity], entity
            logged = con.execute(
                "SELECT sum(data_rows), sum(loaded_rows), sum(rejected_rows) FROM raw.load_log "
                "WHERE entity = ?",
                [entity],
            ).fetchone()
            assert logged == (pipeline.manifest["rows"][entity], loaded, rejected), entity
    # The DuckDB engine reads the raw tables: it writes no raw lake (Spark's run does, see
    # tests/test_spark.py).
    assert not lake_dir(pipeline.home).exists()


def test_each_malformed_row_is_rejected_with_its_reason(pipeline):
    expected_reason = {
        "bad_timestamp": "unparseable timestamp",
        "wrong_field_count": "Expected Number of Columns",
        "invalid_value": "not in allowed set",
        "missing_key": "required value missing",
        "bad_amount": "unparseable decimal",
        "malformed_json": "not a valid JSON object",
    }
    with pipeline.connect() as con:
        for entity in ENTITIES:
            injected = pipeline.manifest["messiness"][entity]
            for kind, reason in expected_reason.items():
                count = con.execute(
                    "SELECT count(*) FROM raw.rejects WHERE entity = ? AND contains(reason, ?)",
                    [entity, reason],
                ).fetchone()[0]
                assert count == injected.get(kind, 0), (entity, kind)


def test_exact_duplicates_are_deduped_in_staging_and_reported_as_warnings(pipeline):
    delivery = pipeline.manifest["delivery"]
    redelivered = pipeline.manifest["messiness"]["email/events"]["duplicate_redelivered"]
    resent = delivery["crm/activities"]["resent_file_rows"]
    assert redelivered > 0 and resent > 0
    run = pipeline.first_run
    events, activities = (
        check_of(run, "raw/email__events", "duplicates"),
        check_of(run, "raw/crm__activities", "duplicates"),
    )
    assert (events.passed, events.severity) == (False, dg.AssetCheckSeverity.WARN)
    assert events.metadata["unexpected_count"].value == redelivered
    assert activities.metadata["unexpected_count"].value == resent
    assert check_of(run, "raw/email__events", "contract").passed
    with pipeline.connect() as con:
        raw, staged = con.execute(
            "SELECT (SELECT count(*) FROM raw.email__events), "
            "(SELECT count(*) FROM staging.stg_email__events)"
        ).fetchone()
        assert staged == raw - redelivered
        raw, staged = con.execute(
            "SELECT (SELECT count(*) FROM raw.crm__activities), "
            "(SELECT count(*) FROM staging.stg_crm__activities)"
        ).fetchone()
        assert staged == raw - resent


def test_missing_day_encodings_and_late_rows_are_where_the_manifest_says(pipeline):
    missing = pipeline.manifest["missing_day"]
    encodings = pipeline.manifest["encodings"]
    with pipeline.connect() as con:
        assert con.execute(
            "SELECT entity, _dt::VARCHAR FROM raw.load_log WHERE status = 'missing_partition'"
        ).fetchall() == [(f"{missing['source']}/{missing['entity']}", missing["dt"])]
        encoding_of = dict(con.execute("SELECT source_file, encoding FROM raw.load_log").fetchall())
        root = pipeline.landing.parent
        assert encoding_of[str(root / encodings["gbk"])] == "gb18030"
        assert encoding_of[str(root / encodings["utf8_bom"])] == "utf-8-sig"
        # counted after dedupe: the re-sent copy of a file repeats some late rows
        late_activities = con.execute(
            "SELECT count(*) FROM staging.stg_crm__activities WHERE delivered_date > "
            "CAST(timezone('Asia/Shanghai', timezone('UTC', occurred_at)) AS DATE)"
        ).fetchone()[0]
        assert late_activities == pipeline.manifest["messiness"]["crm/activities"]["late"]


def test_every_row_resolves_to_exactly_one_customer(pipeline):
    with pipeline.connect() as con:
        for fact, staged in [
            ("int_orders_resolved", "stg_orders__orders"),
            ("int_activities_resolved", "stg_crm__activities"),
            ("int_email_events_resolved", "stg_email__events"),
        ]:
            resolved, customers = con.execute(
                f"SELECT count(*), count(customer_key) FROM intermediate.{fact}"
            ).fetchone()
            assert resolved == customers
            assert resolved == con.execute(f"SELECT count(*) FROM staging.{staged}").fetchone()[0]
        unresolved_orders = con.execute(
            "SELECT count(*) FROM intermediate.int_orders_resolved WHERE is_unresolved"
        ).fetchone()[0]
        guests = pipeline.manifest["identity"]["orders/orders"]["guest_checkout_rows"]
        assert 0 < unresolved_orders <= guests


def test_identity_stitching_matches_the_truth(pipeline):
    with pipeline.connect() as con:
        rates = match_rates(con, pipeline.truth)
        junk_values = {
            v
            for (v,) in con.execute(
                "SELECT identifier_value FROM marts.mart_junk_identifiers"
            ).fetchall()
        }
    assert rates.predicted_pairs > 50 and rates.linkable_pairs > 50
    assert rates.precision >= 0.995, rates
    assert rates.recall >= 0.98, rates
    junk = pipeline.manifest["junk_identifiers"]
    assert {e.lower() for e in junk["emails"]} <= junk_values


def test_rerunning_changes_nothing_and_keeps_customer_keys(pipeline, rerun):
    def snapshot(run):
        with run.connect() as con:
            return {
                table: con.execute(
                    f"SELECT * EXCLUDE (_loaded_at) FROM raw.{table} ORDER BY ALL"
                ).fetchall()
                for table in ["crm__activities", "email__events", "orders__orders"]
            } | {
                "rejects": con.execute(
                    "SELECT * EXCLUDE (_loaded_at) FROM raw.rejects ORDER BY ALL"
                ).fetchall(),
                "customers": con.execute(
                    "SELECT * FROM marts.dim_customer ORDER BY customer_key"
                ).fetchall(),
            }

    assert rerun.first_run.success
    assert snapshot(rerun) == snapshot(pipeline)
    with rerun.connect() as con:
        assert con.execute("SELECT count(*) FROM marts.mart_customer_merges").fetchone() == (0,)


def test_unconverged_stitching_fails_the_build_loudly(pipeline, tmp_path):
    completed = pipeline.dbt_on_copy(
        tmp_path,
        "run",
        "--select",
        "int_records_clustered",
        "--vars",
        "{identity_max_iterations: 1}",
    )
    assert completed.returncode == 1
    assert "identity stitching did not converge within 1 iterations" in completed.stdout


def test_conflicting_copies_in_one_delivery_fail_the_run(tmp_path, monkeypatch):
    """The same event_id with different content in one delivery is an error; two versions of a
    CRM customer in one delivery, told apart by updated_at, are history and pass. An
    acknowledgement of the whole contract check does not let the conflict through."""
    landing = tmp_path / "landing"
    day = "2026-06-01"
    event = {
        "event_id": "e1",
        "event_type": "open",
        "email": "a@b.cn",
        "message_id": "m1",
        "occurred_at": "2026-06-01T10:00:00+08:00",
    }
    write_jsonl(
        partition(landing, "email/events", day),
        "e.jsonl",
        [event, event | {"event_type": "click"}, event | {"event_id": "e2"}],
    )
    write_csv(
        partition(landing, "crm/customers", day),
        "c.csv",
        CUSTOMER_HEADER,
        [customer("C1"), customer("C1", owner_rep="R2", updated_at="2026-06-01 11:00:00")],
    )
    write_csv(partition(landing, "crm/activities", day), "a.csv", ACTIVITY_HEADER, [])
    monkeypatch.setenv("CADENCE_SOURCES", "crm,email")  # no orders: none are expected
    acknowledged = tmp_path / "acknowledged.yml"
    acknowledged.write_text(
        "acknowledgements:\n  - {check: contract, entity: email/events, rows: 2, note: test}\n"
    )

    result = materialize(dg.DagsterInstance.ephemeral(), tmp_path, landing, acknowledged)

    assert not result.success
    gate = check_of(result, "raw/email__events", "contract")
    assert (gate.passed, gate.severity) == (False, dg.AssetCheckSeverity.ERROR)
    assert (gate.metadata["failed_rules"].value, gate.metadata["acknowledged"].value) == (
        "key:no_conflicting_copies",
        False,
    )
    assert gate.metadata["unexpected_count"].value == 2
    assert check_of(result, "raw/crm__customers", "contract").passed
    assert not (tmp_path / "published" / "cadence.duckdb").exists()
