"""The run summary reads the layers where the engine built them: on Spark, the raw tables from
the DuckDB file and the models from Spark's Parquet tables."""

from __future__ import annotations

import duckdb

from orchestration.cli.summary import render, render_both


def test_on_spark_the_models_are_counted_from_its_parquet_and_raw_once(tmp_path):
    warehouse, spark = tmp_path / "warehouse.duckdb", tmp_path / "spark-warehouse"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("CREATE SCHEMA raw")
        con.execute("CREATE TABLE raw.crm__customers AS SELECT range AS id FROM range(5)")
        # a view is not counted: counting it would compute it
        con.execute("CREATE VIEW raw.crm__customers_again AS SELECT * FROM raw.crm__customers")
        for layer, table, rows in [
            ("staging", "stg_crm__customers", 4),
            ("marts", "fct_orders", 3),
            ("marts", "fct_interactions", 2),
        ]:
            folder = spark / f"{layer}.db" / table
            folder.mkdir(parents=True)
            con.execute(
                f"COPY (SELECT range AS id, DATE '2026-06-01' + range::INT AS day "
                f"FROM range({rows})) TO '{folder}' (FORMAT parquet, PARTITION_BY (day))"
                if table == "fct_interactions"
                else f"COPY (SELECT range AS id FROM range({rows})) "
                f"TO '{folder}/part-00000.snappy.parquet'"
            )
            (folder / "_SUCCESS").touch()

    _, on_spark = render_both(warehouse, spark_warehouse=spark)
    _, on_duckdb = render_both(warehouse)

    assert "raw                      5 rows in   1 tables" in on_spark
    assert "staging                  4 rows in   1 tables" in on_spark
    assert "marts                    5 rows in   2 tables" in on_spark
    assert "marts" not in on_duckdb  # the file holds no model when Spark built them
    assert "raw                      5 rows in   1 tables" in on_duckdb
    rows = dict(line.split() for line in render(warehouse, spark_warehouse=spark).splitlines()[1:])
    assert rows == {
        "raw.crm__customers": "5",
        "staging.stg_crm__customers": "4",
        "marts.fct_interactions": "2",
        "marts.fct_orders": "3",
    }
