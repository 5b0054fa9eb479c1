"""The expectation suites, as code: built from the landing contract and quality.yml.

Each expectation carries, in its meta, the Dagster check it belongs to and a stable rule name
(`time:not_after_delivery`) that acknowledgements refer to. Checks named in BLOCKING stop
publishing; the others warn. The rules by which extraction quarantines rows (`required:<column>`,
...) are judged over raw.rejects by expectations.rejects, not by GX: every such row is already in
that table with the rules it broke.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from expectations.config import EntityRules, VolumeRules
from expectations.frames import unknown_reference_column
from expectations.preload import import_great_expectations
from sources.contract import Entity
from sources.validate import rejection_rules

BLOCKING = {
    "contract": "no key with conflicting copies in a delivery, no time after its delivery day",
    "gaps": "a declared source has landed, and delivered every expected day (a header-only file "
    "counts as a quiet day)",
    "quarantine": "rows kept out of the raw tables by the contract (a missing required value, a "
    "value outside its allowed set or range, an unparseable value or line), by rule: a warning, "
    "blocking when a delivery day's rejected rows exceed both thresholds of quality.yml",
    "files": "every landed file could be read: none empty, undecodable, of another format, "
    "with a header lacking a required column, refused by the parser, or outside the landing tree",
}
WARNING = {
    "duplicates": "exact copies within a delivery and re-deliveries of rows loaded before "
    "(deduplicated in staging)",
    "lateness": "rows delivered later than the configured lateness after they happened",
    "referential": "rows pointing at unknown CRM customers, orders with neither email nor phone",
    "volume": "a day's row count within a band around the median of the same weekday",
}
CHECKS = {**BLOCKING, **WARNING}


@dataclass(frozen=True)
class Rule:
    check: str
    name: str
    description: str
    # the GX class name, e.g. ExpectColumnValuesToBeInSet; None for the quarantine's rules
    expectation_type: str | None
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def column(self) -> str | None:
        return self.kwargs.get("column")

    def build(self):
        gxe = import_great_expectations().expectations  # ~6 s: only when validating
        return getattr(gxe, self.expectation_type)(
            **self.kwargs, meta={"check": self.check, "rule": self.name}
        )


def row_rules(entity: Entity, rules: EntityRules) -> list[Rule]:
    """Rules over the loaded rows, each validated on its per-day count of rows breaking it
    (expectations.frames.row_counts_frame): none on every day."""
    found = [
        Rule(
            "contract",
            "key:no_conflicting_copies",
            f"no {entity.key} arrives twice in one delivery with different content",
            "ExpectColumnValuesToBeInSet",
            {"column": "conflicting_copies", "value_set": [0]},
        ),
        Rule(
            "contract",
            "time:not_after_delivery",
            f"{rules.event_time} is not after the delivery day (in {entity.timezone})",
            "ExpectColumnValuesToBeInSet",
            {"column": "after_delivery", "value_set": [0]},
        ),
        Rule(
            "duplicates",
            "key:no_exact_copies",
            "no exact copy of a row within a delivery (count: surplus copies)",
            "ExpectColumnValuesToBeInSet",
            {"column": "surplus_copies", "value_set": [0]},
        ),
        Rule(
            "duplicates",
            "key:not_delivered_before",
            "no row already delivered, unchanged, on an earlier day",
            "ExpectColumnValuesToBeInSet",
            {"column": "delivered_earlier", "value_set": [0]},
        ),
    ]
    if rules.lateness_days is not None:
        found.append(
            Rule(
                "lateness",
                "time:within_lateness",
                f"{rules.event_time} at most {rules.lateness_days} days before the delivery day",
                "ExpectColumnValuesToBeInSet",
                {"column": "beyond_lateness", "value_set": [0]},
            )
        )
    for column, target in rules.references.items():
        found.append(
            Rule(
                "referential",
                f"reference:{column}",
                f"{column} exists in {target}",
                "ExpectColumnValuesToBeInSet",
                {"column": unknown_reference_column(column), "value_set": [0]},
            )
        )
    if rules.contact_columns:
        found.append(
            Rule(
                "referential",
                "contact:any",
                f"at least one of {', '.join(rules.contact_columns)} is present",
                "ExpectColumnValuesToBeInSet",
                {"column": "no_contact", "value_set": [0]},
            )
        )
    return found


def reject_rules(entity: Entity) -> list[Rule]:
    """The quarantine's rules: each way extraction rejects a row of `entity`."""
    return [
        Rule("quarantine", rule.name, f"{rule.column or 'the line'}: {rule.reason}", None)
        for rule in rejection_rules(entity)
    ]


def partition_rules(entity: Entity, volume: VolumeRules) -> list[Rule]:
    """Rules over the entity's days."""
    found = []
    if entity.expected_cadence != "none":
        found.append(
            Rule(
                "gaps",
                "gaps:every_day_landed",
                f"a partition landed for every expected day ({entity.expected_cadence})",
                "ExpectColumnValuesToBeInSet",
                {"column": "landed_when_expected", "value_set": [True]},
            )
        )
    found.append(
        Rule(
            "files",
            "files:all_read",
            "no landed file was refused (raw.load_log says which and why)",
            "ExpectColumnValuesToBeInSet",
            {"column": "refused_files", "value_set": [0]},
        )
    )
    found.append(
        Rule(
            "volume",
            "volume:within_band",
            f"rows within {volume.min_ratio}x-{volume.max_ratio}x the median of the same "
            f"weekday over the previous {volume.trailing_weeks} weeks",
            "ExpectColumnValuesToBeBetween",
            {
                "column": "volume_ratio",
                "min_value": volume.min_ratio,
                "max_value": volume.max_ratio,
            },
        )
    )
    return found
