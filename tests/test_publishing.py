"""Publishing without a pipeline run: what is masked, and how versions switch and roll back."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil

import duckdb
import pytest

from orchestration.project import dbt_project
from orchestration.publishing.build import build_version
from orchestration.publishing.built_marts import DuckDBMarts, ParquetMarts
from orchestration.publishing.currency import reporting_currency
from orchestration.publishing.mart_nodes import mart_nodes
from orchestration.publishing.masking import Mart, marts_from_manifest, masked_expression
from orchestration.publishing.versions import (
    RollbackError,
    current_version,
    finish_version,
    kept_versions,
    prune,
    rollback,
    start_version,
    switch_to,
)

PERSONAL = re.compile(r"email|phone|wechat|customer_name|identifier_value")


def test_every_personal_looking_mart_column_declares_its_pii():
    declared = {m.name: set(m.pii) for m in marts_from_manifest(dbt_project.manifest_path)}
    undeclared = [
        f"{node['name']}.{column}"
        for node in mart_nodes(dbt_project.manifest_path)
        for column in node["columns"]
        if PERSONAL.search(column)
        and not column.startswith(("is_in_", "touches_"))
        and column not in declared[node["name"]]
    ]
    assert undeclared == []


def test_masking_hides_all_but_what_identifies_the_kind():
    con = duckdb.connect()
    row = con.execute(
        f"""SELECT {masked_expression("e", {"pii": "email"})},
            {masked_expression("p", {"pii": "phone"})},
            {masked_expression("n", {"pii": "name"})},
            {masked_expression("v", {"pii": "identifier", "type_column": "t"})},
            {masked_expression("missing", {"pii": "email"})}
        FROM (SELECT 'zhang.san@x.cn' AS e, '+8613800138000' AS p, '张三丰' AS n,
            'wx_zhangsan' AS v, 'wechat_id' AS t, NULL AS missing)"""
    ).fetchone()
    assert row == ("z***@x.cn", "+86*******8000", "张***", "w***", None)


def test_kept_names_stay_readable():
    mart = Mart("mart_followup_queue", {"customer_name": {"pii": "name", "published": "keep"}})
    assert mart.masked_columns == []
    assert mart.published_select(["customer_name"]) == '"customer_name"'


def _publish(published, version: str, content: str) -> None:
    building = start_version(published, version)
    for name in ("cadence.duckdb", "cadence_restricted.duckdb"):
        (building / name).write_text(f"{content} {name}")
    (building / "parquet" / "mart.parquet").write_text(content)
    (building / "manifest.json").write_text(json.dumps({"version": version}))
    finish_version(building)
    switch_to(published, version)


def test_versions_switch_prune_and_roll_back(tmp_path):
    published = tmp_path / "published"
    with pytest.raises(RollbackError, match="nothing published"):
        rollback(published)
    for version in ("v1", "v2", "v3", "v4"):
        _publish(published, version, version)
        prune(published, keep=3)
    assert kept_versions(published) == ["v2", "v3", "v4"]
    assert (published / "cadence.duckdb").read_text() == "v4 cadence.duckdb"
    assert (published / "parquet" / "mart.parquet").read_text() == "v4"

    assert rollback(published)["version"] == "v3"
    assert (published / "cadence.duckdb").read_text() == "v3 cadence.duckdb"
    assert (published / "parquet" / "mart.parquet").read_text() == "v3"
    assert rollback(published)["version"] == "v2"
    with pytest.raises(RollbackError, match="oldest version"):
        rollback(published)
    assert current_version(published) == "v2"
    # A reader's open file survives the switch: the old inode stays readable.
    with open(published / "cadence.duckdb") as held:
        _publish(published, "v5", "v5")
        assert held.read() == "v2 cadence.duckdb"
    assert not list(published.glob(".*switching"))


def _warehouse(path, days: dict[str, list[int]], note: str) -> None:
    """A warehouse with a small mart and a fact published by day (one row per value)."""
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS marts")
        con.execute(
            "CREATE OR REPLACE TABLE marts.mart_small AS SELECT 'x@y.cn' AS email, ? AS note",
            [note],
        )
        rows = [(day, value) for day, values in days.items() for value in values]
        con.execute("CREATE OR REPLACE TABLE marts.fct_big (occurred_date DATE, amount INTEGER)")
        con.executemany("INSERT INTO marts.fct_big VALUES (?, ?)", rows)


MARTS = [
    Mart("fct_big", {}, day_column="occurred_date"),
    Mart("mart_small", {"email": {"pii": "email"}}),
]


def _publication(version: str) -> dict:
    return {
        "version": version,
        "run_id": version,
        "as_of_date": "2026-06-02",
        "published_at": "2026-06-02T23:00:00+00:00",
        "reporting_currency": "CNY",
    }


def _version(published, warehouse, name, previous=None, rebuilt=None, marts=MARTS):
    building = start_version(published, name)
    publication = _publication(name)
    manifest = build_version(
        building,
        DuckDBMarts(warehouse),
        marts,
        publication,
        {},
        previous=previous,
        rebuilt=rebuilt,
    )
    return finish_version(building), manifest


def _inode(path) -> int:
    return path.stat().st_ino


def _day_file(version, day: str):
    (file,) = (version / "parquet" / "fct_big" / f"occurred_date={day}").iterdir()
    return file


def test_a_version_writes_only_the_marts_and_days_that_changed(tmp_path):
    published, warehouse = tmp_path / "published", tmp_path / "warehouse.duckdb"
    _warehouse(warehouse, {"2026-06-01": [1, 2], "2026-06-02": [3]}, "first")
    v1, first = _version(published, warehouse, "v1")
    assert first["written"] == {"fct_big": "all", "mart_small": "all"}

    # A late event changes 06-01 and a new day arrives; the small mart is rebuilt the same.
    _warehouse(warehouse, {"2026-06-01": [1, 2, 9], "2026-06-02": [3], "2026-06-03": [4]}, "first")
    v2, second = _version(
        published, warehouse, "v2", previous=v1, rebuilt={"fct_big", "mart_small"}
    )
    assert second["written"] == {
        "fct_big": ["2026-06-01", "2026-06-03"],
        "mart_small": "nothing (the previous version's)",
    }
    assert _inode(v2 / "parquet" / "mart_small.parquet") == _inode(
        v1 / "parquet/mart_small.parquet"
    )
    assert _inode(_day_file(v2, "2026-06-02")) == _inode(_day_file(v1, "2026-06-02"))
    assert _inode(_day_file(v2, "2026-06-01")) != _inode(_day_file(v1, "2026-06-01"))
    con = duckdb.connect()
    assert con.execute(
        "SELECT occurred_date::varchar, amount FROM read_parquet("
        f"'{v2}/parquet/fct_big/*/*.parquet', hive_partitioning = true) ORDER BY ALL"
    ).fetchall() == [
        ("2026-06-01", 1),
        ("2026-06-01", 2),
        ("2026-06-01", 9),
        ("2026-06-02", 3),
        ("2026-06-03", 4),
    ]
    with duckdb.connect(str(v2 / "cadence.duckdb"), read_only=True) as reader:
        assert reader.execute("SELECT sum(amount), count(*) FROM marts.fct_big").fetchone() == (
            19,
            5,
        )
        assert reader.execute("SELECT email FROM marts.mart_small").fetchone() == ("x***@y.cn",)
        assert reader.execute("SELECT version FROM meta.publication").fetchone() == ("v2",)

    # A day that disappears is dropped; a mart no model rebuilt is not even read; a changed mart
    # is replaced in both files.
    _warehouse(warehouse, {"2026-06-01": [1, 2, 9], "2026-06-02": [3]}, "second")
    v3, third = _version(published, warehouse, "v3", previous=v2, rebuilt={"fct_big"})
    assert third["written"] == {
        "fct_big": ["-2026-06-03"],
        "mart_small": "nothing (the previous version's)",
    }
    assert not (v3 / "parquet" / "fct_big" / "occurred_date=2026-06-03").exists()
    v4, fourth = _version(published, warehouse, "v4", previous=v3, rebuilt={"mart_small"})
    assert fourth["written"] == {"fct_big": "nothing (the previous version's)", "mart_small": "all"}
    for file in ("cadence.duckdb", "cadence_restricted.duckdb"):
        with duckdb.connect(str(v4 / file), read_only=True) as reader:
            assert reader.execute("SELECT note FROM marts.mart_small").fetchone() == ("second",)
    with duckdb.connect(str(v4 / "cadence.duckdb"), read_only=True) as reader:
        assert reader.execute("SELECT count(*) FROM marts.fct_big").fetchone() == (4,)
    assert fourth["tables"]["fct_big"]["rows"] == 4


def test_internal_columns_are_not_published_and_their_changes_write_nothing(tmp_path):
    """A run that rewrites a day's rows unchanged but for the run that wrote them (an internal
    column) publishes nothing of it; neither file nor the Parquet holds that column."""
    published, warehouse = tmp_path / "published", tmp_path / "warehouse.duckdb"
    marts = [
        Mart("fct_big", {}, day_column="occurred_date", internal=frozenset({"written_by"})),
        Mart("mart_small", {"email": {"pii": "email"}}, internal=frozenset({"written_by"})),
    ]

    def land(written_by: str, amount: int) -> None:
        with duckdb.connect(str(warehouse)) as con:
            con.execute("CREATE SCHEMA IF NOT EXISTS marts")
            con.execute(
                "CREATE OR REPLACE TABLE marts.fct_big AS SELECT * FROM (VALUES "
                f"(DATE '2026-06-01', 1, '{written_by}'), (DATE '2026-06-02', {amount}, "
                f"'{written_by}')) AS t(occurred_date, amount, written_by)"
            )
            con.execute(
                "CREATE OR REPLACE TABLE marts.mart_small AS "
                f"SELECT 'x@y.cn' AS email, '{written_by}' AS written_by"
            )
            con.execute("COMMENT ON COLUMN marts.fct_big.written_by IS 'the run'")

    land("run 1", 2)
    v1, _ = _version(published, warehouse, "v1", marts=marts)
    land("run 2", 2)
    _, second = _version(published, warehouse, "v2", previous=v1, marts=marts)
    assert second["written"] == {
        "fct_big": "nothing (the previous version's)",
        "mart_small": "nothing (the previous version's)",
    }
    land("run 3", 5)
    v3, third = _version(published, warehouse, "v3", previous=v1, marts=marts)
    assert third["written"]["fct_big"] == ["2026-06-02"]
    for file in ("cadence.duckdb", "cadence_restricted.duckdb"):
        with duckdb.connect(str(v3 / file), read_only=True) as reader:
            columns = reader.execute(
                "SELECT DISTINCT column_name FROM duckdb_columns() WHERE schema_name = 'marts'"
            ).fetchall()
            assert ("written_by",) not in columns and ("email",) in columns, file
    parquet = duckdb.connect().execute(
        f"DESCRIBE SELECT * FROM read_parquet('{v3}/parquet/fct_big/*/*.parquet')"
    )
    assert "written_by" not in {row[0] for row in parquet.fetchall()}


def test_a_mart_whose_layout_changes_is_written_whole(tmp_path):
    published, warehouse = tmp_path / "published", tmp_path / "warehouse.duckdb"
    _warehouse(warehouse, {"2026-06-01": [1], "2026-06-02": [3]}, "first")
    v1, _ = _version(published, warehouse, "v1")
    # The fact is no longer published by day: one file, written whole, not patched by day.
    building = start_version(published, "v2")
    manifest = build_version(
        building,
        DuckDBMarts(warehouse),
        [Mart("fct_big", {}), MARTS[1]],
        _publication("v2"),
        {},
        previous=v1,
    )
    assert manifest["written"]["fct_big"] == "all"
    assert (building / "parquet" / "fct_big.parquet").is_file()
    with duckdb.connect(str(building / "cadence.duckdb"), read_only=True) as reader:
        assert reader.execute("SELECT count(*) FROM marts.fct_big").fetchone() == (2,)


def test_reporting_currency_is_the_one_every_money_column_declares(tmp_path):
    assert reporting_currency(dbt_project.manifest_path) == "CNY"  # dbt_project.yml's default
    manifest = json.loads(dbt_project.manifest_path.read_text())
    fct_orders = manifest["nodes"]["model.cadence.fct_orders"]
    fct_orders["columns"]["reporting_amount"]["meta"]["currency"] = "USD"
    mixed = tmp_path / "manifest.json"
    mixed.write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match=r"\['CNY', 'USD'\].*expected one"):
        reporting_currency(mixed)


def test_publication_records_typed_dates_and_the_currency(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("CREATE SCHEMA marts; CREATE TABLE marts.mart_x AS SELECT 1 AS x_id")
    building = tmp_path / "version"
    (building / "parquet").mkdir(parents=True)
    publication = {
        "version": "v1",
        "run_id": "r1",
        "as_of_date": "2026-06-30",
        "published_at": "2026-07-01T02:03:04+00:00",
        "reporting_currency": "USD",
    }
    build_version(building, DuckDBMarts(warehouse), [Mart("mart_x", {})], publication, {})
    with duckdb.connect(str(building / "cadence.duckdb"), read_only=True) as con:
        types = dict(
            con.execute(
                "SELECT column_name, data_type FROM duckdb_columns() "
                "WHERE schema_name = 'meta' AND table_name = 'publication'"
            ).fetchall()
        )
        row = con.execute("SELECT * FROM meta.publication").fetchone()
        comment = con.execute(
            "SELECT comment FROM duckdb_columns() WHERE column_name = 'published_at'"
        ).fetchone()[0]
    assert types == {
        "version": "VARCHAR",
        "run_id": "VARCHAR",
        "as_of_date": "DATE",
        "published_at": "TIMESTAMP",
        "reporting_currency": "VARCHAR",
    }
    assert row == ("v1", "r1", dt.date(2026, 6, 30), dt.datetime(2026, 7, 1, 2, 3, 4), "USD")
    assert "UTC" in comment


def test_the_restricted_file_holds_no_blocks_of_replaced_marts(tmp_path):
    published, warehouse = tmp_path / "published", tmp_path / "warehouse.duckdb"
    marts = [Mart("mart_people", {"email": {"pii": "email"}})]

    def people(domain: str) -> None:
        with duckdb.connect(str(warehouse)) as con:
            con.execute("CREATE SCHEMA IF NOT EXISTS marts")
            con.execute(
                "CREATE OR REPLACE TABLE marts.mart_people AS SELECT i AS person_id, "
                f"'p' || i || '@{domain}' AS email FROM range(300000) AS t(i)"
            )

    def version(name: str, previous=None) -> tuple:
        building = start_version(published, name)
        build_version(
            building, DuckDBMarts(warehouse), marts, _publication(name), {}, previous=previous
        )
        return finish_version(building) / "cadence_restricted.duckdb"

    people("old.cn")
    first = version("v1")
    people("new.cn")  # a run replaces the mart whole, as it does the customer marts
    patched = version("v2", previous=first.parent)
    fresh = version("v3")

    assert patched.stat().st_size <= fresh.stat().st_size * 1.1
    # Rebuilt the same: the previous file is taken over, with this version's publication.
    same = version("v4", previous=patched.parent)
    for file, name in ((patched, "v2"), (same, "v4")):
        with duckdb.connect(str(file), read_only=True) as reader:
            assert reader.execute(
                "SELECT count(*), count(*) FILTER (email LIKE '%@new.cn') FROM marts.mart_people"
            ).fetchone() == (300000, 300000)
            assert reader.execute("SELECT version FROM meta.publication").fetchone() == (name,)
        assert file.stat().st_mode & 0o777 == 0o600


def _as_spark_wrote_it(warehouse, spark_warehouse, manifest) -> None:
    """The warehouse's marts in dbt-spark's layout (`marts.db/<table>/part-*.parquet`, the fact
    partitioned by day, so its day column comes last in the files; Spark's `_SUCCESS` and
    `.crc` files beside), and a manifest with their descriptions, since Spark keeps those in
    its metastore."""
    schema = spark_warehouse / "marts.db"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        (schema / "mart_small").mkdir(parents=True)
        con.execute(f"COPY marts.mart_small TO '{schema}/mart_small/part-00000-a.c000.parquet'")
        con.execute(
            f"COPY marts.fct_big TO '{schema}/fct_big' "
            "(FORMAT parquet, PARTITION_BY (occurred_date))"
        )
        nodes = {}
        for table in ("fct_big", "mart_small"):
            comment = con.execute(
                "SELECT comment FROM duckdb_tables() WHERE table_name = ?", [table]
            ).fetchone()[0]
            columns = con.execute(
                "SELECT column_name, comment FROM duckdb_columns() WHERE table_name = ? "
                "ORDER BY column_index",
                [table],
            ).fetchall()
            nodes[f"model.cadence.{table}"] = {
                "resource_type": "model",
                "fqn": ["cadence", "marts", table],
                "name": table,
                "alias": table,
                "description": comment,
                "columns": {name: {"description": text or ""} for name, text in columns},
            }
    for table in ("fct_big", "mart_small"):
        (schema / table / "_SUCCESS").touch()
        (schema / table / ".part-00000-a.c000.parquet.crc").write_bytes(b"crc")
    manifest.write_text(json.dumps({"nodes": nodes}))


def _first_version(published, built):
    building = start_version(published, "v1")
    build_version(building, built, MARTS, _publication("v1"), {})
    return finish_version(building)


def _published(version) -> dict:
    """Everything a reader can see of a version: every relation's columns, types, comments and
    rows in both files, and the Parquet twins' rows."""
    seen = {}
    for file in ("cadence.duckdb", "cadence_restricted.duckdb"):
        with duckdb.connect(str(version / file), read_only=True) as con:
            relations = con.execute(
                "SELECT schema_name, table_name, comment FROM duckdb_tables() UNION ALL "
                "SELECT schema_name, view_name, comment FROM duckdb_views() WHERE NOT internal "
                "ORDER BY ALL"
            ).fetchall()
            seen[file, "relations"] = relations
            seen[file, "columns"] = con.execute(
                "SELECT schema_name, table_name, column_index, column_name, data_type, comment "
                "FROM duckdb_columns() WHERE NOT internal ORDER BY ALL"
            ).fetchall()
            for schema, name, _ in relations:
                if schema != "meta":
                    rows = con.execute(f'SELECT * FROM {schema}."{name}" ORDER BY ALL').fetchall()
                    seen[file, schema, name] = rows
    with duckdb.connect() as con:
        seen["parquet"] = (
            con.execute(
                f"SELECT * FROM read_parquet('{version}/parquet/fct_big/*/*.parquet', "
                "hive_partitioning = true) ORDER BY ALL"
            ).fetchall()
            + con.execute(
                f"SELECT * FROM read_parquet('{version}/parquet/mart_small.parquet')"
            ).fetchall()
        )
    return seen


def test_marts_spark_built_as_parquet_publish_as_the_duckdb_warehouse_does(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    _warehouse(warehouse, {"2026-06-01": [1, 2], "2026-06-02": [3]}, "first")
    with duckdb.connect(str(warehouse)) as con:
        con.execute("COMMENT ON TABLE marts.fct_big IS 'One row per thing.'")
        con.execute("COMMENT ON COLUMN marts.fct_big.occurred_date IS 'The day it happened.'")
        con.execute("COMMENT ON COLUMN marts.mart_small.email IS 'Their address.'")
    spark_warehouse, manifest = tmp_path / "spark-warehouse", tmp_path / "manifest.json"
    _as_spark_wrote_it(warehouse, spark_warehouse, manifest)
    from_duckdb = _first_version(tmp_path / "a", DuckDBMarts(warehouse))
    from_parquet = _first_version(tmp_path / "b", ParquetMarts(spark_warehouse, manifest))

    assert _published(from_parquet) == _published(from_duckdb)
    readers_see = _published(from_parquet)
    assert readers_see["cadence.duckdb", "marts", "fct_big"] == [
        (dt.date(2026, 6, 1), 1),
        (dt.date(2026, 6, 1), 2),
        (dt.date(2026, 6, 2), 3),
    ]
    assert readers_see["cadence.duckdb", "marts", "mart_small"] == [("x***@y.cn", "first")]
    assert ("marts", "fct_big", "One row per thing.") in readers_see["cadence.duckdb", "relations"]

    # A mart Spark did not write is missing, as from a warehouse without it.
    shutil.rmtree(spark_warehouse / "marts.db" / "mart_small")
    with pytest.raises(RuntimeError, match="mart mart_small is missing from the warehouse"):
        _first_version(tmp_path / "c", ParquetMarts(spark_warehouse, manifest))
