"""A deployment declares its sources (CADENCE_SOURCES): the others are neither loaded nor checked,
their raw tables exist empty so dbt builds, and a declared source that never landed blocks."""

from __future__ import annotations

import dataclasses
import datetime as dt

import dagster as dg
import duckdb
import pytest

from expectations.suites import CHECKS
from orchestration.jobs import declared_selection
from orchestration.resources import LandingZone
from orchestration.settings import Settings, UnknownSourceError, declared_sources
from tests.conftest import check_of, materialize
from tests.landing_files import land_orders_only


def published_step_succeeded(result) -> bool:
    return any(e.is_step_success and e.step_key == "published__marts" for e in result.all_events)


def test_sources_are_read_from_the_environment_in_the_contract_order():
    assert Settings.from_env({}).sources == ("crm", "email", "orders")
    assert Settings.from_env({"CADENCE_SOURCES": " orders, crm"}).sources == ("crm", "orders")
    assert declared_sources("email") == ("email",)


@pytest.mark.parametrize("listed", ["orders,shop", " , "])
def test_an_unknown_source_is_refused_naming_the_known_ones(listed):
    with pytest.raises(UnknownSourceError, match="name one or more of crm, email, orders"):
        declared_sources(listed)


def test_a_run_selects_only_the_raw_tables_of_declared_sources():
    assert declared_selection(("crm", "email", "orders")) is None  # the whole job
    selected = {key.to_user_string() for key in declared_selection(("orders",))}
    assert not {key for key in selected if key.startswith(("raw/crm", "raw/email"))}
    assert {"raw/orders__orders", "marts/mart_customer_rfm", "published/marts"} <= selected


def test_an_unknown_source_stops_make_run_with_one_line(tmp_path, monkeypatch, capsys):
    from orchestration.cli.commands import main

    land_orders_only(tmp_path / "landing")
    monkeypatch.setenv("CADENCE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CADENCE_LANDING_DIR", str(tmp_path / "landing"))
    monkeypatch.setenv("CADENCE_SOURCES", "order")

    assert main(["run"]) == 2

    assert "error: CADENCE_SOURCES='order': name one or more of crm, email, orders" in (
        capsys.readouterr().err
    )


def test_an_orders_only_deployment_publishes_rfm(tmp_path, monkeypatch):
    landing, home = tmp_path / "landing", tmp_path / "home"
    land_orders_only(landing)
    monkeypatch.setenv("CADENCE_SOURCES", "orders")

    result = materialize(dg.DagsterInstance.ephemeral(), home, landing)

    assert published_step_succeeded(result)
    # No landed-data check of an undeclared source (dbt tests its staging over the empty table).
    landed_data_checks = {
        (e.asset_key.to_user_string(), e.check_name)
        for e in result.get_asset_check_evaluations()
        if e.check_name in CHECKS
    }
    assert {asset for asset, _ in landed_data_checks} == {"raw/orders__orders"}
    assert check_of(result, "raw/orders__orders", "gaps").passed
    assert check_of(result, "raw/orders__orders", "quarantine").passed
    with duckdb.connect(str(home / "published" / "cadence.duckdb"), read_only=True) as con:
        people = con.execute(
            "SELECT count(*) FROM marts.dim_customer WHERE customer_key <> 'unresolved'"
        ).fetchone()
        rfm = con.execute(
            "SELECT frequency_orders, lifetimes_frequency, lifetimes_t, lifetimes_monetary_value "
            "FROM marts.mart_customer_rfm ORDER BY 1, 2"
        ).fetchall()
        empty = con.execute(
            "SELECT (SELECT count(*) FROM marts.mart_channel_effectiveness), "
            "(SELECT count(*) FROM marts.mart_followup_queue)"
        ).fetchone()
    assert people == (2,)
    assert [row[:3] for row in rfm] == [(3, 2, 2), (3, 2, 2)]
    assert all(row[3] is not None for row in rfm)
    assert empty == (0, 0)
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM raw.crm__activities").fetchone() == (0,)


def test_a_declared_source_that_never_landed_blocks_naming_its_folder(tmp_path):
    landing, home = tmp_path / "landing", tmp_path / "home"
    land_orders_only(landing)  # crm and email are declared (the default), but never landed

    result = materialize(dg.DagsterInstance.ephemeral(), home, landing)

    assert not published_step_succeeded(result)
    for entity in ["crm/customers", "crm/activities", "email/events"]:
        gaps = check_of(result, f"raw/{entity.replace('/', '__')}", "gaps")
        assert (gaps.passed, gaps.severity) == (False, dg.AssetCheckSeverity.ERROR)
        source = entity.split("/")[0]
        assert gaps.metadata["failed_rules"].value == (
            f"{entity}: source {source} is declared (CADENCE_SOURCES) but nothing has ever "
            f"landed in {landing / entity}"
        )
    assert check_of(result, "raw/orders__orders", "gaps").passed
    assert not (home / "published" / "cadence.duckdb").exists()


@pytest.mark.parametrize("cadence", ["daily", "none"])
def test_a_declared_entity_that_never_landed_fails_its_gap_check_whatever_its_cadence(
    tmp_path, cadence
):
    from expectations.config import load_quality_config
    from expectations.validation import GxSession, validate_entity
    from sources.contract import entities
    from sources.extract import ensure_tables, load_partitions

    events = dataclasses.replace(entities()["email/events"], expected_cadence=cadence)
    landing, day = tmp_path / "landing", dt.date(2026, 6, 1)
    con = duckdb.connect()
    for entity in entities().values():
        ensure_tables(con, entity)
    load_partitions(con, events, landing, [day], tmp_path / "scratch")

    outcomes = validate_entity(GxSession(None), con, events, load_quality_config(), [day], landing)

    gaps = next(o for o in outcomes if o.check == "gaps")
    assert gaps.blocks
    assert gaps.counts == {
        "email/events: source email is declared (CADENCE_SOURCES) but nothing has ever landed "
        f"in {landing / 'email' / 'events'}": 1
    }


def test_the_sensor_runs_only_the_declared_sources(tmp_path):
    from orchestration.automation import landing_sensor

    land_orders_only(tmp_path / "landing")
    context = dg.build_sensor_context(
        instance=dg.DagsterInstance.ephemeral(),
        resources={
            "landing": LandingZone(landing_dir=str(tmp_path / "landing"), sources=["orders"])
        },
    )
    (request,) = landing_sensor(context).run_requests
    selected = {key.to_user_string() for key in request.asset_selection}
    assert "raw/orders__orders" in selected
    assert "raw/crm__activities" not in selected
