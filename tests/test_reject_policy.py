"""The quality policy for quarantined rows, without a pipeline run: row-level defects are
quarantined with the rules they broke, and a delivery day's rejected rows warn unless they exceed
both thresholds of quality.yml, per entity and per rule."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
import yaml

from expectations.config import QUALITY_FILE, QualityConfigError, load_quality_config
from sources.contract import entities
from sources.extract import ensure_tables, load_partitions
from tests.landing_files import (
    ACTIVITY_HEADER,
    ORDER_HEADER,
    activity,
    order,
    partition,
    write_csv,
)

DAY = "2026-06-01"
ACTIVITIES = entities()["crm/activities"]
ORDERS = entities()["orders/orders"]


@pytest.fixture(scope="module")
def session():
    from expectations.validation import GxSession

    return GxSession(None)


@pytest.fixture
def con():
    connection = duckdb.connect()
    for entity in entities().values():
        ensure_tables(connection, entity)
    yield connection
    connection.close()


def quality_file(tmp_path: Path, **entity_rejects: dict) -> Path:
    """quality.yml with `rejects:` set for the entities given (by table name)."""
    doc = yaml.safe_load(QUALITY_FILE.read_text())
    for table, spec in entity_rejects.items():
        source, name = table.split("__")
        doc["entities"][f"{source}/{name}"]["rejects"] = spec
    path = tmp_path / "quality.yml"
    path.write_text(yaml.safe_dump(doc))
    return path


def land_activities(landing: Path, rows: int, missing_customer: int, bad_type: int = 0) -> None:
    """One day of `rows` activities: the first rows without a customer, the next of type fax."""
    found = []
    for n in range(rows):
        overrides = {}
        if n < missing_customer:
            overrides["customer_id"] = ""
        elif n < missing_customer + bad_type:
            overrides["activity_type"] = "fax"
        found.append(activity(f"A{n}", occurred_at=f"{DAY} 10:00:00", **overrides))
    write_csv(partition(landing, "crm/activities", DAY), "a.csv", ACTIVITY_HEADER, found)


def quarantine(session, con, tmp_path, entity=ACTIVITIES, config=None, acknowledgements=None):
    """The quarantine check of `entity` after loading DAY from tmp_path/landing."""
    from expectations.validation import validate_entity

    landing = tmp_path / "landing"
    day = dt.date.fromisoformat(DAY)
    load_partitions(con, entity, landing, [day], tmp_path / "scratch")
    config = load_quality_config(config or QUALITY_FILE, acknowledgements)
    outcomes = validate_entity(session, con, entity, config, [day], landing)
    return next(o for o in outcomes if o.check == "quarantine")


def failed(outcome) -> dict[str, int]:
    return {r.rule.name: r.unexpected for r in outcome.failures}


def test_an_out_of_range_value_is_quarantined_not_loaded(con, tmp_path):
    landing = tmp_path / "landing"
    write_csv(
        partition(landing, "orders/orders", DAY),
        "o.csv",
        ORDER_HEADER,
        [order("O1", DAY), order("O2", DAY, amount="99999999999"), order("O3", DAY, amount="-1")],
    )
    load_partitions(con, ORDERS, landing, [dt.date.fromisoformat(DAY)], tmp_path / "scratch")
    assert con.execute("SELECT order_id FROM raw.orders__orders").fetchall() == [("O1",)]
    assert con.execute(
        "SELECT line_number, rules, reason FROM raw.rejects ORDER BY line_number"
    ).fetchall() == [
        (3, ["range:amount"], "amount: value out of range [0, 10000000]"),
        (4, ["range:amount"], "amount: value out of range [0, 10000000]"),
    ]


def test_every_rule_a_row_broke_is_recorded(con, tmp_path):
    landing = tmp_path / "landing"
    bad = activity("A2", customer_id="", activity_type="fax", duration_seconds="-5")
    write_csv(
        partition(landing, "crm/activities", DAY), "a.csv", ACTIVITY_HEADER, [activity("A1"), bad]
    )
    path = partition(landing, "crm/activities", DAY) / "a.csv"
    with path.open("a", encoding="utf-8") as f:
        f.write(",".join(activity("A3")) + ",extra\n")
    load_partitions(con, ACTIVITIES, landing, [dt.date.fromisoformat(DAY)], tmp_path / "scratch")
    assert con.execute("SELECT rules FROM raw.rejects ORDER BY line_number").fetchall() == [
        (["required:customer_id", "allowed:activity_type", "range:duration_seconds"],),
        (["unparseable:line"],),
    ]


def test_a_day_above_both_thresholds_blocks(session, con, tmp_path):
    land_activities(tmp_path / "landing", rows=100, missing_customer=11)  # 11% and 11 rows

    outcome = quarantine(session, con, tmp_path)

    assert failed(outcome) == {"required:customer_id": 11}
    assert outcome.blocks
    (rule,) = outcome.failures
    assert rule.above_threshold == [
        "2026-06-01: 11 of 100 rows rejected, more than 1.00% of the day's rows and more than 10"
    ]


def test_a_day_above_the_share_but_under_the_floor_warns(session, con, tmp_path):
    land_activities(tmp_path / "landing", rows=20, missing_customer=5, bad_type=5)  # 50%, 10 rows

    outcome = quarantine(session, con, tmp_path)

    assert failed(outcome) == {"required:customer_id": 5, "allowed:activity_type": 5}
    assert not outcome.passed
    assert not outcome.blocks


def test_a_day_above_the_floor_but_under_the_share_warns(session, con, tmp_path):
    land_activities(tmp_path / "landing", rows=5000, missing_customer=12)  # 0.24%

    outcome = quarantine(session, con, tmp_path)

    assert failed(outcome) == {"required:customer_id": 12}
    assert not outcome.blocks


def test_the_rules_of_a_day_add_up_against_the_entity_threshold(session, con, tmp_path):
    # 6 + 6 rows: neither rule alone exceeds 10 rows, the day's 12 rejected rows do.
    land_activities(tmp_path / "landing", rows=100, missing_customer=6, bad_type=6)

    outcome = quarantine(session, con, tmp_path)

    assert outcome.blocks
    assert {r.rule.name for r in outcome.failures if r.above_threshold} == {
        "required:customer_id",
        "allowed:activity_type",
    }


def test_an_entity_sets_its_own_thresholds(session, con, tmp_path):
    land_activities(tmp_path / "landing", rows=100, missing_customer=11)
    config = quality_file(tmp_path, crm__activities={"max_share": 0.2})

    outcome = quarantine(session, con, tmp_path, config=config)

    assert failed(outcome) == {"required:customer_id": 11}
    assert not outcome.blocks


def test_a_rule_with_its_own_threshold_is_judged_on_its_rows_alone(session, con, tmp_path):
    # 30 unknown types, tolerated by the rule's own threshold; 11 missing customers still block.
    land_activities(tmp_path / "landing", rows=200, missing_customer=11, bad_type=30)
    config = quality_file(
        tmp_path, crm__activities={"rules": {"allowed:activity_type": {"max_rows": 50}}}
    )

    outcome = quarantine(session, con, tmp_path, config=config)

    above = {r.rule.name: r.above_threshold for r in outcome.failures}
    assert above == {
        "required:customer_id": [
            "2026-06-01: 11 of 200 rows rejected, more than 1.00% of the day's rows and more "
            "than 10"
        ],
        "allowed:activity_type": [],
    }
    assert outcome.blocks


def test_a_rule_over_its_own_threshold_blocks(session, con, tmp_path):
    land_activities(tmp_path / "landing", rows=200, missing_customer=0, bad_type=60)
    config = quality_file(
        tmp_path, crm__activities={"rules": {"allowed:activity_type": {"max_rows": 50}}}
    )

    outcome = quarantine(session, con, tmp_path, config=config)

    (rule,) = outcome.failures
    assert rule.above_threshold == [
        "2026-06-01: 60 of 200 rows rejected by allowed:activity_type, more than 1.00% of the "
        "day's rows and more than 50"
    ]
    assert outcome.blocks


def test_an_acknowledged_rule_above_the_thresholds_warns(session, con, tmp_path):
    land_activities(tmp_path / "landing", rows=100, missing_customer=11)
    acknowledged = tmp_path / "ack.yml"
    acknowledged.write_text(
        "acknowledgements:\n"
        "  - {check: quarantine, entity: crm/activities, expectation: required:customer_id,\n"
        "     rows: 11, note: CRM import bug}\n"
    )

    outcome = quarantine(session, con, tmp_path, acknowledgements=acknowledged)

    (rule,) = outcome.failures
    assert (rule.acknowledged, outcome.blocks) == (True, False)


@pytest.mark.parametrize(
    ("rejects", "message"),
    [
        (
            {"rules": {"required:nope": {"max_rows": 1}}},
            "crm/activities has no rule 'required:nope'",
        ),
        ({"max_share": 5}, r"rejects.max_share: a share between 0 and 1, not 5"),
        ({"max_rows": -1}, r"rejects.max_rows: a number of rows >= 0, not -1"),
        ({"max_share_typo": 0.1}, r"expected a mapping of max_rows and/or max_share and/or rules"),
    ],
)
def test_a_bad_threshold_is_refused_naming_the_file(tmp_path, rejects, message):
    path = quality_file(tmp_path, crm__activities=rejects)
    with pytest.raises(QualityConfigError, match=rf"{path}: entities.crm/activities.rejects"):
        load_quality_config(path)
    with pytest.raises(QualityConfigError, match=message):
        load_quality_config(path)
