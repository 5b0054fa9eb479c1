"""Where landed files are: `<landing>/<source>/<entity>/dt=YYYY-MM-DD/<file>.<format>`."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from sources.contract import Entity

PARTITION_FOLDER = re.compile(r"^dt=(\d{4}-\d{2}-\d{2})$")


def entity_dir(landing: Path, entity: Entity) -> Path:
    return landing / entity.source / entity.name


def partition_dir(landing: Path, entity: Entity, day: dt.date) -> Path:
    return entity_dir(landing, entity) / f"dt={day.isoformat()}"


def landed_days(landing: Path, entity: Entity) -> list[dt.date]:
    """Days that have a partition folder for this entity (malformed folder names are ignored)."""
    root = entity_dir(landing, entity)
    if not root.is_dir():
        return []
    days = []
    for child in root.iterdir():
        match = PARTITION_FOLDER.match(child.name)
        if child.is_dir() and match:
            try:
                days.append(dt.date.fromisoformat(match.group(1)))
            except ValueError:
                continue
    return sorted(days)


def partition_files(folder: Path) -> list[Path]:
    """Data files of a partition in a stable order; hidden and temporary files are skipped."""
    return sorted(
        p for p in folder.iterdir() if p.is_file() and not p.name.startswith((".", "_", "~"))
    )


def file_format(path: Path) -> str | None:
    suffix = path.suffix.lower().lstrip(".")
    return {"csv": "csv", "jsonl": "jsonl", "ndjson": "jsonl", "parquet": "parquet"}.get(suffix)
