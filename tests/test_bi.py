"""The published file as BI tools read it: every mart and column described, names that resolve
unqualified, through SQLAlchemy and duckdb-engine exactly as the README connects."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa

from orchestration.project import dbt_project
from orchestration.publishing.bi_ready import MASKED_NOTE
from orchestration.publishing.build import build_version
from orchestration.publishing.built_marts import DuckDBMarts
from orchestration.publishing.masking import Mart, marts_from_manifest
from orchestration.publishing.versions import finish_version, start_version, switch_to

PUBLICATION = {
    "version": "v1",
    "run_id": "r1",
    "as_of_date": "2026-06-30",
    "published_at": "2026-07-01T02:03:04+00:00",
    "reporting_currency": "CNY",
}


def readme_engine(published_file: Path) -> sa.Engine:
    """The connection README.md gives BI users (section 'Connecting a BI tool')."""
    return sa.create_engine(f"duckdb:///{published_file}", connect_args={"read_only": True})


def undescribed(published_file: Path) -> list[str]:
    """Every mart table, its unqualified view and their columns that carry no comment."""
    with duckdb.connect(str(published_file), read_only=True) as con:
        relations = con.execute(
            """SELECT schema_name || '.' || table_name, comment FROM duckdb_tables()
                WHERE schema_name = 'marts'
            UNION ALL
            SELECT schema_name || '.' || view_name, comment FROM duckdb_views()
                WHERE NOT internal AND schema_name = 'main'"""
        ).fetchall()
        columns = con.execute(
            """SELECT schema_name || '.' || table_name || '.' || column_name, comment
            FROM duckdb_columns() WHERE NOT internal AND schema_name IN ('marts', 'main')"""
        ).fetchall()
    return sorted(name for name, comment in relations + columns if not comment)


def publish(warehouse: Path, into: Path, marts: list[Mart]) -> Path:
    (into / "parquet").mkdir(parents=True)
    build_version(into, DuckDBMarts(warehouse), marts, PUBLICATION, {})
    return into / "cadence.duckdb"


def warehouse_with_rows(path: Path, rows: int) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS marts")
        con.execute(f"CREATE OR REPLACE TABLE marts.mart_x AS SELECT range AS x FROM range({rows})")
    return path


def test_published_files_carry_the_warehouse_comments(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            """CREATE SCHEMA marts;
            CREATE TABLE marts.mart_x AS SELECT 1 AS x_id, 'ann@example.cn' AS email_address;
            COMMENT ON TABLE marts.mart_x IS 'One row per x.';
            COMMENT ON COLUMN marts.mart_x.x_id IS 'The x.';
            COMMENT ON COLUMN marts.mart_x.email_address IS 'Its email address.'"""
        )
    mart = Mart("mart_x", {"email_address": {"pii": "email"}})
    public = publish(warehouse, tmp_path / "v1", [mart])
    assert undescribed(public) == []
    with duckdb.connect(str(public), read_only=True) as con:
        comments = dict(
            con.execute(
                "SELECT schema_name || '.' || column_name, comment FROM duckdb_columns() "
                "WHERE table_name = 'mart_x'"
            ).fetchall()
        )
        table_comment = con.execute(
            "SELECT comment FROM duckdb_tables() WHERE table_name = 'mart_x'"
        ).fetchone()[0]
    assert table_comment == "One row per x."
    assert comments["marts.x_id"] == comments["main.x_id"] == "The x."
    assert comments["marts.email_address"] == "Its email address." + MASKED_NOTE
    with duckdb.connect(str(tmp_path / "v1" / "cadence_restricted.duckdb"), read_only=True) as con:
        restricted = con.execute(
            "SELECT comment FROM duckdb_columns() "
            "WHERE schema_name = 'marts' AND column_name = 'email_address'"
        ).fetchone()[0]
    assert restricted == "Its email address."


def test_every_published_mart_and_column_is_described(pipeline):
    public = pipeline.home / "published" / "cadence.duckdb"
    marts = marts_from_manifest(dbt_project.manifest_path)
    with duckdb.connect(str(public), read_only=True) as con:
        published = {
            name
            for (name,) in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'marts'"
            ).fetchall()
        }
    assert published == {m.name for m in marts}
    assert undescribed(public) == []
    assert undescribed(pipeline.home / "published" / "cadence_restricted.duckdb") == []


def test_a_missing_description_is_caught(pipeline, tmp_path):
    """A column whose yml description is missing has no comment in the warehouse."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(pipeline.warehouse, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("COMMENT ON COLUMN marts.mart_customer_rfm.rfm_segment IS NULL")
    marts = marts_from_manifest(dbt_project.manifest_path)
    public = publish(warehouse, tmp_path / "v1", marts)
    assert undescribed(public) == [
        "main.mart_customer_rfm.rfm_segment",
        "marts.mart_customer_rfm.rfm_segment",
    ]


def test_bi_connection_reads_unqualified_names_and_lists_tables(pipeline):
    engine = readme_engine(pipeline.home / "published" / "cadence.duckdb")
    try:
        with engine.connect() as con:
            count = "SELECT count(*) FROM {}"
            unqualified = con.execute(sa.text(count.format("mart_customer_rfm"))).scalar()
            qualified = con.execute(sa.text(count.format("marts.mart_customer_rfm"))).scalar()
            with pytest.raises(sa.exc.DBAPIError, match="read-only"):
                con.execute(sa.text("CREATE TABLE main.scratch AS SELECT 1 AS x"))
        assert unqualified == qualified > 0
        inspector = sa.inspect(engine)
        # duckdb-engine names schemas <catalog>.<schema>, as Superset's schema list shows them.
        assert {"cadence.main", "cadence.marts"} <= set(inspector.get_schema_names())
        marts = set(inspector.get_table_names(schema="marts"))
        assert "mart_customer_rfm" in marts
        assert set(inspector.get_view_names(schema="main")) == marts
        columns = inspector.get_columns("mart_customer_rfm", schema="marts")
        assert {"customer_key", "rfm_segment"} <= {c["name"] for c in columns}
        assert all(c["comment"] for c in columns)
        assert inspector.get_table_comment("mart_customer_rfm", schema="marts")["text"]
    finally:
        engine.dispose()


def test_pooled_readers_keep_their_snapshot_until_disposed(tmp_path):
    """README: a pooled engine reads the version its connections opened until it is disposed;
    one connection per query (NullPool, as Superset does) sees a new publish at once."""
    published = tmp_path / "published"
    warehouse = tmp_path / "warehouse.duckdb"
    for version, rows in (("v1", 1), ("v2", 2)):
        building = start_version(published, version)
        built = DuckDBMarts(warehouse_with_rows(warehouse, rows))
        build_version(
            building, built, [Mart("mart_x", {})], {**PUBLICATION, "version": version}, {}
        )
        finish_version(building)
        if version == "v1":
            switch_to(published, version)
            pooled = readme_engine(published / "cadence.duckdb")
            count = "SELECT count(*) FROM mart_x"
            with pooled.connect() as con:
                assert con.execute(sa.text(count)).scalar() == 1
    switch_to(published, "v2")
    per_query = sa.create_engine(
        f"duckdb:///{published / 'cadence.duckdb'}",
        connect_args={"read_only": True},
        poolclass=sa.pool.NullPool,
    )
    try:
        with pooled.connect() as con:
            assert con.execute(sa.text(count)).scalar() == 1
        pooled.dispose()
        with pooled.connect() as con:
            assert con.execute(sa.text(count)).scalar() == 2
        with per_query.connect() as con:
            assert con.execute(sa.text(count)).scalar() == 2
    finally:
        pooled.dispose()
