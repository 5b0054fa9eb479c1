"""The quality configuration (expectations/quality.yml) and the acknowledged known problems."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import yaml

from sources.contract import entities
from sources.validate import rejection_rules

QUALITY_FILE = Path(__file__).with_name("quality.yml")
# Rules no acknowledgement turns into a warning, and why: staging keeps one copy of a key, and
# nothing tells it which of a delivery's conflicting copies is true.
UNACKNOWLEDGEABLE = {
    "key:no_conflicting_copies": "which of the conflicting copies is true cannot be decided",
}


class QualityConfigError(ValueError):
    """quality.yml or an acknowledgements file is inconsistent; the message names the file."""


@dataclass(frozen=True)
class RejectThreshold:
    """A delivery day's rejected rows block publishing when they exceed both `max_share` of the
    day's rows and `max_rows`; below either, they warn."""

    max_share: float
    max_rows: int

    def exceeded_by(self, rejected: int, day_rows: int) -> bool:
        return rejected > self.max_share * day_rows and rejected > self.max_rows

    def describe(self) -> str:
        return f"more than {self.max_share:.2%} of the day's rows and more than {self.max_rows}"


@dataclass(frozen=True)
class EntityRules:
    event_time: str
    lateness_days: int | None
    # column -> "<entity>.<column>" it should refer to (warned about, not blocking)
    references: dict[str, str]
    # at least one of these should be present for a row to reach a person (warned about)
    contact_columns: tuple[str, ...]
    # the threshold of the day's rejected rows, and the rules judged on their own rows
    rejects: RejectThreshold
    rule_rejects: dict[str, RejectThreshold]


@dataclass(frozen=True)
class VolumeRules:
    trailing_weeks: int
    min_history_days: int
    min_median_rows: int
    min_ratio: float
    max_ratio: float


@dataclass(frozen=True)
class Acknowledgement:
    check: str
    entity: str
    note: str
    source_file: str
    expectation: str | None = None
    dates: frozenset[dt.date] = frozenset()
    rows: int | None = None

    def covers(self, entity: str, check: str, expectation: str) -> bool:
        return (
            self.entity == entity
            and self.check == check
            and self.expectation in (None, expectation)
            and expectation not in UNACKNOWLEDGEABLE
        )


@dataclass(frozen=True)
class QualityConfig:
    entities: dict[str, EntityRules]
    volume: VolumeRules
    acknowledgements: tuple[Acknowledgement, ...]

    def acknowledged_dates(self, entity: str, check: str, expectation: str) -> set[dt.date]:
        return {
            day
            for ack in self.acknowledgements
            if ack.covers(entity, check, expectation)
            for day in ack.dates
        }

    def acknowledged_rows(self, entity: str, check: str, expectation: str) -> int:
        return sum(
            ack.rows or 0 for ack in self.acknowledgements if ack.covers(entity, check, expectation)
        )


def _acknowledgements(doc: dict, path: Path) -> list[Acknowledgement]:
    found = []
    for i, item in enumerate(doc.get("acknowledgements") or [], start=1):
        where = f"{path}: acknowledgement {i}"
        missing = {"check", "entity", "note"} - set(item)
        if missing:
            raise QualityConfigError(f"{where} lacks {', '.join(sorted(missing))}")
        if item["entity"] not in entities():
            raise QualityConfigError(f"{where}: unknown entity {item['entity']!r}")
        if item.get("expectation") in UNACKNOWLEDGEABLE:
            reason = UNACKNOWLEDGEABLE[item["expectation"]]
            raise QualityConfigError(
                f"{where}: {item['expectation']} cannot be acknowledged: {reason}"
            )
        if not item.get("dates") and item.get("rows") is None:
            raise QualityConfigError(f"{where}: give the acknowledged `dates` or `rows`")
        try:
            dates = frozenset(
                d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d))
                for d in item.get("dates") or []
            )
        except ValueError as error:
            raise QualityConfigError(f"{where}: {error}") from error
        found.append(
            Acknowledgement(
                check=item["check"],
                entity=item["entity"],
                note=str(item["note"]),
                source_file=str(path),
                expectation=item.get("expectation"),
                dates=dates,
                rows=item.get("rows"),
            )
        )
    return found


THRESHOLD_KEYS = {"max_share", "max_rows"}


def _threshold(
    spec, inherited: RejectThreshold | None, where: str, other_keys: frozenset = frozenset()
) -> RejectThreshold:
    """A threshold from `spec`, each value missing from it inherited."""
    spec = spec or {}
    if not isinstance(spec, dict) or set(spec) - THRESHOLD_KEYS - other_keys:
        expected = " and/or ".join(sorted(THRESHOLD_KEYS | other_keys))
        raise QualityConfigError(f"{where}: expected a mapping of {expected}")
    values = {k: spec.get(k, getattr(inherited, k, None)) for k in THRESHOLD_KEYS}
    if values["max_share"] is None or values["max_rows"] is None:
        raise QualityConfigError(f"{where}: needs max_share and max_rows")
    share, rows = values["max_share"], values["max_rows"]
    if not isinstance(share, int | float) or not 0 <= share <= 1:
        raise QualityConfigError(f"{where}.max_share: a share between 0 and 1, not {share!r}")
    if not isinstance(rows, int) or rows < 0:
        raise QualityConfigError(f"{where}.max_rows: a number of rows >= 0, not {rows!r}")
    return RejectThreshold(float(share), rows)


def _reject_thresholds(
    name: str, spec: dict, default: RejectThreshold, path: Path
) -> tuple[RejectThreshold, dict[str, RejectThreshold]]:
    """The entity's threshold and its rules' own, each inheriting what it does not set."""
    where = f"{path}: entities.{name}.rejects"
    entity_threshold = _threshold(spec, default, where, frozenset({"rules"}))
    known = {r.name for r in rejection_rules(entities()[name])}
    rules = {}
    for rule, rule_spec in ((spec or {}).get("rules") or {}).items():
        if rule not in known:
            raise QualityConfigError(
                f"{where}.rules: {name} has no rule {rule!r} "
                f"(its rules: {', '.join(sorted(known))})"
            )
        rules[rule] = _threshold(rule_spec, entity_threshold, f"{where}.rules.{rule}")
    return entity_threshold, rules


def _read(path: Path) -> dict:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise QualityConfigError(f"{path}: {error}") from error


def load_quality_config(
    path: Path = QUALITY_FILE, extra_acknowledgements: Path | None = None
) -> QualityConfig:
    doc = _read(path)
    default_threshold = _threshold(doc.get("rejects"), None, f"{path}: rejects")
    rules = {}
    for name in entities():
        spec = (doc.get("entities") or {}).get(name)
        if spec is None or "event_time" not in spec:
            raise QualityConfigError(f"{path}: entities.{name}.event_time is missing")
        if spec["event_time"] not in entities()[name].column_names:
            raise QualityConfigError(
                f"{path}: entities.{name}.event_time {spec['event_time']!r} is not a column"
            )
        rules[name] = EntityRules(
            spec["event_time"],
            spec.get("lateness_days"),
            dict(spec.get("references") or {}),
            tuple(spec.get("contact_columns") or ()),
            *_reject_thresholds(name, spec.get("rejects"), default_threshold, path),
        )
    acknowledgements = _acknowledgements(doc, path)
    if extra_acknowledgements is not None:
        if not extra_acknowledgements.is_file():
            raise QualityConfigError(
                f"{extra_acknowledgements}: no such acknowledgements file "
                "(set by CADENCE_ACKNOWLEDGEMENTS)"
            )
        acknowledgements += _acknowledgements(_read(extra_acknowledgements), extra_acknowledgements)
    return QualityConfig(rules, VolumeRules(**doc["volume"]), tuple(acknowledgements))
