"""What a validation found, per rule and per Dagster check, and whether it blocks publishing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from expectations.suites import BLOCKING, Rule


@dataclass
class RuleOutcome:
    entity: str
    rule: Rule
    evaluated: int = 0
    unexpected: int = 0
    samples: list[str] = field(default_factory=list)
    dates: set[dt.date] = field(default_factory=set)
    acknowledged: bool = False
    # For the quarantine's rules, judged by rate: the delivery days whose rejected rows exceeded
    # both thresholds. A failure with none is tolerated (it warns).
    above_threshold: list[str] | None = None

    @property
    def failed(self) -> bool:
        return self.unexpected > 0

    @property
    def within_thresholds(self) -> bool:
        return self.above_threshold is not None and not self.above_threshold

    @property
    def blocks(self) -> bool:
        """A failure of a blocking check that neither the rate policy nor an acknowledgement
        tolerates."""
        return (
            self.failed
            and self.rule.check in BLOCKING
            and not self.acknowledged
            and not self.within_thresholds
        )


@dataclass
class CheckOutcome:
    entity: str
    check: str
    rules: list[RuleOutcome]
    # Findings that are not rows of a rule (a declared source that never landed), by message.
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def failures(self) -> list[RuleOutcome]:
        return [r for r in self.rules if r.failed]

    @property
    def passed(self) -> bool:
        return not self.failures and not any(self.counts.values())

    @property
    def blocks(self) -> bool:
        return any(r.blocks for r in self.rules) or (
            self.check in BLOCKING and any(self.counts.values())
        )

    @property
    def unexpected(self) -> int:
        return sum(r.unexpected for r in self.rules) + sum(self.counts.values())
