"""The marts over the generated sample: what the generator made true, the marts must find."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb

from orchestration.cli.summary import render, render_both
from orchestration.project import dbt_project
from orchestration.publishing.currency import reporting_currency
from tests.conftest import RUN_MEASURES

IN_DECLINE_AS_OF = "2026-05-15"


def decline_flag_rates(con: duckdb.DuckDBPyConnection, truth) -> dict[bool, tuple[int, float]]:
    """Share of customers flagged declining, for those the generator had in decline at the as-of
    date (decline started, not yet two weeks past stopping to buy) and for everyone else."""
    rows = con.execute(
        f"""WITH persons AS (SELECT * FROM '{truth}/persons.parquet'),
        keys AS (
            SELECT DISTINCT t.person_id, c.customer_key
            FROM '{truth}/identity_truth.parquet' t
            JOIN intermediate.int_records_clustered c ON c.record_key = 'crm:' || t.record_id
            WHERE t.record_type = 'crm_customer'
        )
        SELECT
            coalesce(p.is_declining AND p.decline_start_date <= DATE '{IN_DECLINE_AS_OF}'
                AND coalesce(p.stopped_buying_date, DATE '2100-01-01')
                    >= DATE '{IN_DECLINE_AS_OF}' - 14, false) AS in_decline,
            count(*), avg(m.is_declining::INT)
        FROM persons p JOIN keys USING (person_id)
        JOIN marts.mart_customer_cadence m USING (customer_key)
        GROUP BY 1"""
    ).fetchall()
    return {in_decline: (customers, rate) for in_decline, customers, rate in rows}


def test_generator_decliners_are_flagged_far_more_often_than_others(pipeline, tmp_path):
    completed = pipeline.dbt_on_copy(
        tmp_path,
        "build",
        "--select",
        "mart_customer_rfm",
        "int_as_of_dates_resolved",  # the lifetime-value models' as-of date
        "mart_clv_model_fit",
        "mart_customer_lifetime_value",
        "mart_customer_cadence",
        "--vars",
        f"{{as_of_date: '{IN_DECLINE_AS_OF}'}}",
    )
    assert completed.returncode == 0, completed.stdout[-3000:]
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        rates = decline_flag_rates(con, pipeline.truth)
    (decliners, decliner_rate), (others, other_rate) = rates[True], rates[False]
    assert decliners >= 15 and others >= 200
    assert decliner_rate >= 2.5 * other_rate, rates
    assert decliner_rate >= 0.15, rates


def test_incremental_interactions_equal_a_full_refresh(rerun, tmp_path):
    """The pipeline ran twice (the second run incremental); a full rebuild gives the same rows
    (but for the run that wrote them, computed_for_run_day)."""
    assert rerun.first_run.success
    with rerun.connect() as con:
        incremental = con.execute(
            "SELECT * EXCLUDE (computed_for_run_day) FROM marts.fct_interactions "
            "ORDER BY interaction_id"
        ).fetchall()
    completed = rerun.dbt_on_copy(
        tmp_path,
        "run",
        "--select",
        "fct_interactions",
        "--full-refresh",
        "--vars",
        "{as_of_date: '2026-06-30'}",
    )
    assert completed.returncode == 0, completed.stdout[-3000:]
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        full = con.execute(
            "SELECT * EXCLUDE (computed_for_run_day) FROM marts.fct_interactions "
            "ORDER BY interaction_id"
        ).fetchall()
    assert len(full) > 1000
    assert incremental == full


def test_channels_rank_by_response_rate_as_the_generator_made_them(pipeline):
    with pipeline.connect() as con:
        rates = dict(
            con.execute(
                """SELECT channel, sum(responses) / sum(touches)
            FROM marts.mart_channel_effectiveness GROUP BY channel"""
            ).fetchall()
        )
    assert min(rates["meeting"], rates["visit"]) > max(rates["sms"], rates["email"])


def test_summary_shows_segments_cadence_and_the_queue(pipeline):
    text = render(pipeline.warehouse, pipeline.truth)
    assert "RFM segments as of 2026-06-30" in text
    assert "Cadence status per tier" in text and "tier A:" in text
    assert "Top of the follow-up queue" in text
    assert "precision 1.0000" in text or "precision 0.99" in text
    # What a run keeps is the full text; what it prints, its sections in this order.
    kept, printed = render_both(pipeline.warehouse, pipeline.truth)
    assert kept == text
    starts = [
        "Rows per layer:",
        "Email campaigns (",
        "Funnel (",
        "Order attribution (",
        "Channel attribution (",
        "Rejected rows:",
        "File problems:",
        "Tags as of",
        "Tag history (",
        "Tag transitions (",
        "Lifetime value models fitted",
        "Top of the follow-up queue by value at risk",
    ]
    lines = printed.splitlines()
    found = [next(i for i, line in enumerate(lines) if line.startswith(s)) for s in starts]
    assert found == sorted(found)


MONEY = re.compile(r"revenue|monetary|amount")


def published_columns(published_file: Path) -> dict[tuple[str, str], str]:
    with duckdb.connect(str(published_file), read_only=True) as con:
        rows = con.execute(
            "SELECT table_name, column_name, data_type FROM duckdb_columns() "
            "WHERE schema_name = 'marts'"
        ).fetchall()
    return {(table, column): data_type for table, column, data_type in rows}


def content_hashes(published_file: Path) -> dict[str, str]:
    """Per table of schema marts: a hash of its rows as text, whatever their order. Text shows
    every digit, so 12.4 and 12.399999999999999 hash apart."""

    def rows(table: str) -> str:
        left_out = f" EXCLUDE ({RUN_MEASURES[table]})" if table in RUN_MEASURES else ""
        return f'SELECT *{left_out} FROM marts."{table}"'

    with duckdb.connect(str(published_file), read_only=True) as con:
        tables = sorted({table for table, _ in published_columns(published_file)})
        return {
            table: con.execute(
                f"""SELECT count(*) || ':' || md5(string_agg(row_text, chr(10) ORDER BY row_text))
                FROM (SELECT CAST(m AS VARCHAR) AS row_text FROM ({rows(table)}) AS m)"""
            ).fetchone()[0]
            for table in tables
        }


def test_money_and_weights_are_exact_decimals(pipeline):
    columns = published_columns(pipeline.home / "published" / "cadence.duckdb")
    money = {key: data_type for key, data_type in columns.items() if MONEY.search(key[1])}
    weights = {key: data_type for key, data_type in columns.items() if "weight" in key[1]}
    assert ("mart_customer_rfm", "monetary") in money and len(money) >= 6
    assert {key: t for key, t in money.items() if t != "DECIMAL(18,2)"} == {}
    assert ("mart_customer_cadence", "weighted_touches_90d") in weights
    assert {key: t for key, t in weights.items() if t in ("DOUBLE", "FLOAT")} == {}


def test_every_published_timestamp_is_documented_as_utc(pipeline):
    manifest = json.loads(dbt_project.manifest_path.read_text())
    descriptions = {
        (node["name"], column): spec["description"]
        for node in manifest["nodes"].values()
        for column, spec in node.get("columns", {}).items()
    }
    columns = published_columns(pipeline.home / "published" / "cadence.duckdb")
    timestamps = [key for key, data_type in columns.items() if data_type.startswith("TIMESTAMP")]
    assert ("fct_interactions", "occurred_at") in timestamps
    assert [key for key in timestamps if "UTC" not in descriptions.get(key, "")] == []


def test_content_hashes_tell_the_last_bit_apart(tmp_path):
    files = []
    for value in ("12.4", "12.399999999999999"):
        files.append(tmp_path / f"{value}.duckdb")
        with duckdb.connect(str(files[-1])) as con:
            con.execute(f"CREATE SCHEMA marts; CREATE TABLE marts.m AS SELECT {value}::DOUBLE AS w")
    assert content_hashes(files[0]) != content_hashes(files[1])


def test_a_rerun_over_the_same_data_publishes_identical_marts(pipeline, rerun):
    """The second run works on a copy of the first one's home, so other tests keep theirs."""
    assert rerun.first_run.success
    versions = [
        json.loads((run.home / "published" / "manifest.json").read_text())["version"]
        for run in (pipeline, rerun)
    ]
    assert versions[0] != versions[1]  # a new version was published
    for name in ("cadence.duckdb", "cadence_restricted.duckdb"):
        first = pipeline.home / "published" / name
        second = rerun.home / "published" / name
        hashes = content_hashes(first)
        assert len(hashes) >= 5
        assert content_hashes(second) == hashes, name


def test_a_usd_landing_reports_usd_amounts_unchanged(pipeline, tmp_path):
    completed = pipeline.dbt_on_copy(
        tmp_path,
        "run",
        "--select",
        "fct_orders",
        "--full-refresh",
        "--vars",
        "{as_of_date: '2026-06-30', reporting_currency: USD}",
    )
    assert completed.returncode == 0, completed.stdout[-3000:]
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        usd, usd_unchanged, cny, cny_converted = con.execute(
            """SELECT count(*) FILTER (currency = 'USD'),
                count(*) FILTER (currency = 'USD' AND reporting_amount = amount),
                count(*) FILTER (currency = 'CNY'),
                count(*) FILTER (currency = 'CNY' AND abs(reporting_amount - amount / 7.1) < 0.0051)
            FROM marts.fct_orders"""
        ).fetchone()
    assert usd > 10 and usd_unchanged == usd
    assert cny > 10 and cny_converted == cny
    # The money columns' descriptions and meta follow the var, and so does the publication.
    assert reporting_currency(tmp_path / "target" / "manifest.json") == "USD"


def test_a_reporting_currency_without_a_rate_fails_the_build(pipeline, tmp_path):
    completed = pipeline.dbt_on_copy(
        tmp_path,
        "test",
        "--select",
        "assert_reporting_currency_has_a_rate",
        "--vars",
        "{reporting_currency: XYZ}",
    )
    assert completed.returncode == 1
    assert "FAIL 1 assert_reporting_currency_has_a_rate" in completed.stdout
