"""The currency the marts report money in: dbt var `reporting_currency`, as the marts' money
columns declare it in their `currency` meta (dbt renders the var into the manifest)."""

from __future__ import annotations

import json
from pathlib import Path


def reporting_currency(manifest_path: Path) -> str:
    manifest = json.loads(manifest_path.read_text())
    currencies = {
        (column.get("meta") or {}).get("currency")
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1] == "marts"
        for column in node["columns"].values()
    } - {None}
    if len(currencies) != 1:
        raise ValueError(
            f"{manifest_path}: the marts' money columns declare the currencies "
            f"{sorted(currencies)} in their meta; expected one, var reporting_currency"
        )
    return currencies.pop()
