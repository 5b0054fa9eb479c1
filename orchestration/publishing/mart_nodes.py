"""What is published, as dbt's manifest describes it: the models of the marts folder."""

from __future__ import annotations

import json
from pathlib import Path


def mart_nodes(manifest_path: Path) -> list[dict]:
    """The manifest's nodes of the models under models/marts."""
    manifest = json.loads(manifest_path.read_text())
    return [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1] == "marts"
    ]
