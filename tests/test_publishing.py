"""Publishing without a pipeline run: what is masked, and how versions switch and roll back."""

from __future__ import annotations

import json
import re

import duckdb
import pytest

from orchestration.project import dbt_project
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
    manifest = json.loads(dbt_project.manifest_path.read_text())
    declared = {m.name: set(m.pii) for m in marts_from_manifest(dbt_project.manifest_path)}
    undeclared = [
        f"{node['name']}.{column}"
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1] == "marts"
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
