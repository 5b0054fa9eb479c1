"""The landing contract: what each source delivers, from the YAML files beside this module."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

CONTRACT_DIR = Path(__file__).parent
COLUMN_TYPES = {"string", "integer", "decimal", "timestamp"}
FILE_FORMATS = {"csv", "jsonl", "parquet"}
# Which days a source must deliver a partition for (a quiet day is a header-only file):
# every day, Monday to Friday, or no expectation (the gap check is off).
CADENCES = {"daily", "weekdays", "none"}


class ContractError(ValueError):
    """The contract files themselves are inconsistent."""


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool = False
    allowed: tuple[str, ...] = ()
    value_range: tuple[float, float] | None = None


@dataclass(frozen=True)
class Mapping:
    """A vendor export's headers (and coded values) translated to contract columns."""

    name: str
    entity: str
    headers: dict[str, str]
    values: dict[str, dict[str, str]] = field(default_factory=dict)

    def applies_to(self, header: list[str]) -> bool:
        present = {h.strip() for h in header}
        return all(vendor in present for vendor in self.headers)


@dataclass(frozen=True)
class Entity:
    source: str
    name: str
    description: str
    formats: tuple[str, ...]
    key: str
    columns: tuple[Column, ...]
    timezone: str
    fallback_encodings: tuple[str, ...]
    timestamp_formats: tuple[str, ...]
    expected_cadence: str
    latest_by: str | None = None

    @property
    def qualified_name(self) -> str:
        """`crm/activities`: the entity's folder below the landing directory."""
        return f"{self.source}/{self.name}"

    @property
    def table_name(self) -> str:
        """`crm__activities`: the raw table and the Dagster asset name."""
        return f"{self.source}__{self.name}"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _parse_column(name: str, spec: dict) -> Column:
    if spec.get("type") not in COLUMN_TYPES:
        raise ContractError(f"column {name}: type must be one of {sorted(COLUMN_TYPES)}")
    value_range = spec.get("range")
    return Column(
        name=name,
        type=spec["type"],
        required=bool(spec.get("required", False)),
        allowed=tuple(spec.get("allowed", ())),
        value_range=tuple(value_range) if value_range else None,
    )


def _parse_source(path: Path) -> list[Entity]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    entities = []
    for name, spec in doc["entities"].items():
        columns = tuple(_parse_column(c, s) for c, s in spec["columns"].items())
        formats = tuple(spec["formats"])
        if not set(formats) <= FILE_FORMATS:
            raise ContractError(f"{path.name} {name}: formats must be within {FILE_FORMATS}")
        entity = Entity(
            source=doc["source"],
            name=name,
            description=spec.get("description", ""),
            formats=formats,
            key=spec["key"],
            columns=columns,
            timezone=doc.get("timezone", "Asia/Shanghai"),
            fallback_encodings=tuple(doc.get("fallback_encodings", ())),
            timestamp_formats=tuple(doc.get("timestamp_formats", ())),
            expected_cadence=doc.get("expected_cadence", "daily"),
            latest_by=spec.get("latest_by"),
        )
        if entity.expected_cadence not in CADENCES:
            raise ContractError(f"{path.name}: expected_cadence must be one of {sorted(CADENCES)}")
        if entity.key not in entity.column_names:
            raise ContractError(f"{path.name} {name}: key {entity.key} is not a column")
        # Extraction quarantines a row without its key, so no later layer checks keys for null.
        if not entity.column(entity.key).required:
            raise ContractError(f"{path.name} {name}: key {entity.key} must be required")
        entities.append(entity)
    return entities


@cache
def entities() -> dict[str, Entity]:
    """Every entity of every source, by qualified name (`crm/activities`)."""
    found: dict[str, Entity] = {}
    for path in sorted(CONTRACT_DIR.glob("*.yml")):
        for entity in _parse_source(path):
            found[entity.qualified_name] = entity
    return found


@cache
def mappings() -> tuple[Mapping, ...]:
    """Vendor header mappings shipped in `sources/mappings/`."""
    found = []
    for path in sorted((CONTRACT_DIR / "mappings").glob("*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        entity = entities().get(doc["entity"])
        if entity is None:
            raise ContractError(f"mapping {path.name}: unknown entity {doc['entity']}")
        unknown = set(doc["headers"].values()) - set(entity.column_names)
        if unknown:
            raise ContractError(f"mapping {path.name}: maps to unknown columns {sorted(unknown)}")
        found.append(Mapping(path.stem, doc["entity"], doc["headers"], doc.get("values", {})))
    return tuple(found)


def mapping_for(entity: Entity, header: list[str]) -> Mapping | None:
    return next(
        (m for m in mappings() if m.entity == entity.qualified_name and m.applies_to(header)),
        None,
    )
