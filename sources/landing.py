"""Where landed files are: `<landing>/<source>/<entity>/dt=YYYY-MM-DD/<file>.<format>`.

The landing tree is a boundary: a folder or file that resolves outside its root (a symlink, or a
link through `..`) is never listed or read, only reported.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path

from sources.contract import Entity

PARTITION_FOLDER = re.compile(r"^dt=(\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True)
class LandedFile:
    path: Path  # where it landed: the lineage its rows keep
    target: Path  # what it resolves to inside the landing tree: what is read


def entity_dir(landing: Path, entity: Entity) -> Path:
    return landing / entity.source / entity.name


def partition_dir(landing: Path, entity: Entity, day: dt.date) -> Path:
    return entity_dir(landing, entity) / f"dt={day.isoformat()}"


def inside(landing: Path, path: Path) -> Path | None:
    """`path` with every symlink and `..` resolved, when that stays inside the landing root;
    None when it leads out of it. (realpath, unlike Path.resolve, does not raise on a loop.)"""
    target = Path(os.path.realpath(path))
    return target if target.is_relative_to(os.path.realpath(landing)) else None


def landed_days(landing: Path, entity: Entity) -> list[dt.date]:
    """Days that have a partition folder for this entity (malformed folder names are ignored).
    An entity folder leading out of the landing tree is not listed: extraction reports it."""
    root = entity_dir(landing, entity)
    if inside(landing, root) is None or not root.is_dir():
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


def partition_entries(folder: Path) -> list[Path]:
    """The entries of a partition folder that may be data, in a stable order: files whose names
    start with `.`, `_` or `~` are skipped (temporary files of a copy in progress)."""
    return sorted(p for p in folder.iterdir() if not p.name.startswith((".", "_", "~")))


def file_format(path: Path) -> str | None:
    suffix = path.suffix.lower().lstrip(".")
    return {"csv": "csv", "jsonl": "jsonl", "ndjson": "jsonl", "parquet": "parquet"}.get(suffix)
