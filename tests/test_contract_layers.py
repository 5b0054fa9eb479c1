"""The landing contract is the one home of each entity's key, required columns and allowed values;
the layers that restate any of it are checked against it here."""

from __future__ import annotations

import json
import re

import pytest

from orchestration.project import dbt_project
from sources.contract import ContractError, Entity, _parse_source, entities

CONTRACT = """source: shop
entities:
  orders:
    formats: [csv]
    key: order_id
    columns:
      order_id: {type: string, required: %s}
"""


def test_a_key_that_may_be_missing_is_refused(tmp_path):
    contract = tmp_path / "shop.yml"
    contract.write_text(CONTRACT % "true")
    assert _parse_source(contract)[0].key == "order_id"
    contract.write_text(CONTRACT % "false")
    with pytest.raises(ContractError, match=r"shop\.yml orders: key order_id must be required"):
        _parse_source(contract)


def dbt_manifest() -> dict:
    """dbt's parse of the project (`make manifest`, which `make pytest` runs first)."""
    return json.loads(dbt_project.manifest_path.read_text())


def staged_from(entity: Entity, model_sql: str, column: str) -> str | None:
    """The contract column a staging model's column is selected from: the same name, or the one
    contract column in the expression the model renames to it (`status as order_status`)."""
    if column in entity.column_names:
        return column
    found = re.search(rf"^\s*(.+?)\s+as\s+{column},?\s*$", model_sql, re.MULTILINE)
    named = set(re.findall(r"\w+", found.group(1))) & set(entity.column_names) if found else set()
    return named.pop() if len(named) == 1 else None


def test_dbt_declares_each_contract_entity_as_its_raw_source_with_no_tests_of_its_own():
    """The raw tables' rules (keys, required and allowed values, copies) are checked where the rows
    land, once: a dbt test of a raw source would be a second home, and a raw table missing from
    the contract would have no home at all."""
    manifest = dbt_manifest()
    declared = {
        (source["source_name"], source["name"]): (
            source["identifier"],
            source["meta"]["dagster"]["asset_key"],
        )
        for source in manifest["sources"].values()
    }
    assert declared == {
        (entity.source, entity.name): (entity.table_name, ["raw", entity.table_name])
        for entity in entities().values()
    }
    tests_of_sources = [
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test"
        and any(d.startswith("source.") for d in node["depends_on"]["nodes"])
    ]
    assert tests_of_sources == []


def test_staging_keys_and_value_tests_restate_the_contract_exactly():
    """A staging model of an entity merges on the contract's key, and where its tests restate a
    contract rule on a column selected from the contract (not null, accepted values), they say
    what the contract says: a contract change that staging did not follow fails here, not in a
    run."""
    manifest = dbt_manifest()
    restated = set()
    for entity in entities().values():
        model = manifest["nodes"][f"model.cadence.stg_{entity.table_name}"]
        assert model["config"]["unique_key"] == entity.key, entity.qualified_name
        for test in manifest["nodes"].values():
            if test["resource_type"] != "test" or test.get("attached_node") != model["unique_id"]:
                continue
            kind, kwargs = test["test_metadata"]["name"], test["test_metadata"]["kwargs"]
            if kind == "not_null_columns":
                rule, checked = "not_null", dict.fromkeys(kwargs["column_names"])
            elif kind == "accepted_column_values":
                rule, checked = "accepted_values", kwargs.get("values", {})
            else:
                continue
            for staged, accepted in checked.items():
                column = staged_from(entity, model["raw_code"], staged)
                if column is None:
                    continue
                contract = entity.column(column)
                if rule == "not_null":
                    assert contract.required, (
                        f"{test['name']}: {column} is optional in the contract"
                    )
                else:
                    assert sorted(accepted) == sorted(contract.allowed), (test["name"], column)
                restated.add((entity.qualified_name, column, rule))
    assert ("orders/orders", "status", "accepted_values") in restated  # renamed order_status
    assert ("email/events", "message_id", "not_null") in restated
