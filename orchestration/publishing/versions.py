"""Published versions: build aside, switch atomically, roll back.

    published/
      cadence.duckdb             masked marts (schema marts) for every reader
      cadence_restricted.duckdb  the marts with personal data, unmasked (mode 0600)
      parquet/                   one masked Parquet file per mart, and per day for the facts
                                 (<fact>/<day column>=<day>/); a symlink to the version's
      manifest.json              which version this is, from which run, with row counts
      versions/<version>/        every kept version, complete; the current one included

The DuckDB files in `published/` are hard links to a version's files, swapped with os.replace:
a reader holding the old file open keeps reading the old version; a new reader opens the new
one; nobody ever sees a half-written file, and no run opens a published file for writing. A
version shares the unchanged Parquet files of the one before by hard links (build.py): files are
never modified once published, so removing a version never touches another's.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

PUBLISHED_FILES = ("cadence.duckdb", "cadence_restricted.duckdb")
BUILDING_SUFFIX = ".building"


class RollbackError(RuntimeError):
    pass


def versions_dir(published: Path) -> Path:
    return published / "versions"


def kept_versions(published: Path) -> list[str]:
    """Complete versions, oldest first (names sort by time)."""
    root = versions_dir(published)
    if not root.is_dir():
        return []
    return sorted(
        p.name for p in root.iterdir() if p.is_dir() and not p.name.endswith(BUILDING_SUFFIX)
    )


def current_version(published: Path) -> str | None:
    manifest = published / "manifest.json"
    if not manifest.is_file():
        return None
    return json.loads(manifest.read_text())["version"]


def start_version(published: Path, version: str) -> Path:
    """An empty folder to build the version in, invisible to readers until finished."""
    building = versions_dir(published) / f"{version}{BUILDING_SUFFIX}"
    shutil.rmtree(building, ignore_errors=True)
    (building / "parquet").mkdir(parents=True)
    return building


def finish_version(building: Path) -> Path:
    for leftover in building.glob("*.wal"):
        raise RuntimeError(f"{leftover}: a write-ahead log was left beside a built file")
    final = building.with_name(building.name.removesuffix(BUILDING_SUFFIX))
    os.replace(building, final)
    return final


def _replace_atomically(link_target: Path, name: Path, symlink: bool) -> None:
    temporary = name.with_name(f".{name.name}.switching")
    if temporary.is_symlink() or temporary.exists():
        temporary.unlink()
    if symlink:
        temporary.symlink_to(link_target.relative_to(name.parent))
    else:
        os.link(link_target, temporary)
    os.replace(temporary, name)


def switch_to(published: Path, version: str) -> dict:
    """Make `version` the one readers see; returns its manifest."""
    folder = versions_dir(published) / version
    manifest = json.loads((folder / "manifest.json").read_text())
    for name in PUBLISHED_FILES:
        _replace_atomically(folder / name, published / name, symlink=False)
    parquet = published / "parquet"
    if parquet.is_dir() and not parquet.is_symlink():
        shutil.rmtree(parquet)
    _replace_atomically(folder / "parquet", parquet, symlink=True)
    write_atomically(published / "manifest.json", json.dumps(manifest, indent=2))
    return manifest


def write_atomically(path: Path, text: str) -> None:
    """Replace a file at once: a reader never opens half of it."""
    temporary = path.with_name(f".{path.name}.switching")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def prune(published: Path, keep: int) -> list[str]:
    """Remove the oldest versions beyond `keep`, never the current one. Open readers of a
    removed version keep their file until they close it."""
    current = current_version(published)
    removable = [v for v in kept_versions(published) if v != current]
    excess = len(removable) - max(keep - 1, 0)
    removed = removable[: max(excess, 0)]
    for version in removed:
        shutil.rmtree(versions_dir(published) / version)
    return removed


def rollback(published: Path) -> dict:
    """Switch readers back to the version published before the current one."""
    versions = kept_versions(published)
    current = current_version(published)
    if current not in versions:
        raise RollbackError(f"nothing published under {published}")
    position = versions.index(current)
    if position == 0:
        raise RollbackError(
            f"{current} is the oldest version kept under {versions_dir(published)}; "
            "there is nothing earlier to roll back to"
        )
    return switch_to(published, versions[position - 1])
