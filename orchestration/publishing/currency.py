"""The currency the marts report money in: dbt var `reporting_currency`, as the marts' money
columns declare it in their `currency` meta (dbt renders the var into the manifest)."""

from __future__ import annotations

from pathlib import Path

from orchestration.publishing.mart_nodes import mart_nodes


def reporting_currency(manifest_path: Path) -> str:
    currencies = {
        (column.get("meta") or {}).get("currency")
        for node in mart_nodes(manifest_path)
        for column in node["columns"].values()
    } - {None}
    if len(currencies) != 1:
        raise ValueError(
            f"{manifest_path}: the marts' money columns declare the currencies "
            f"{sorted(currencies)} in their meta; expected one, var reporting_currency"
        )
    return currencies.pop()
