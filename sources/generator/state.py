"""What one generation run is given (Settings), what it shares with every part (Run), and what a
worker thread hands back for one entity's chunk (Delivery)."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from .behaviour import Plan
from .customers import Records
from .identity import AddressBook, Junk
from .people import People
from .window import Window


@dataclass(frozen=True)
class Settings:
    profile: str
    seed: int
    persons: int
    days: int
    end_date: dt.date
    out: Path


@dataclass
class Delivery:
    """One entity's chunk as a worker thread built it: the rows for its writer, counts per
    manifest section, and what the truth needs to know (addresses seen, keyed orders)."""

    table: pa.Table
    counts: dict[str, dict[str, int]]
    email_codes: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    order_ids: np.ndarray | None = None
    order_people: np.ndarray | None = None
    machine_open_events: np.ndarray | None = None


def counted(**counts) -> dict[str, int]:
    return {name: int(value) for name, value in counts.items()}


@dataclass
class Run:
    """What one run needs everywhere, plus the tallies the main thread fills in."""

    settings: Settings
    window: Window
    people: People
    plan: Plan
    junk: Junk
    book: AddressBook
    records: Records
    missing_day: int
    resend_day: int
    emailable: np.ndarray  # CRM persons whose record has an address, and all prospects
    email_seen: np.ndarray
    order_ids: list[np.ndarray]
    order_people: list[np.ndarray]
    machine_open_events: list[np.ndarray] = field(default_factory=list)
    counts: defaultdict[str, dict[str, Counter]] = field(default_factory=lambda: defaultdict(dict))
    next_ids: Counter = field(
        default_factory=lambda: Counter(activity=1, message=1, event=1, order=1)
    )

    def tally(self, section: str, entity: str, **counts: int) -> None:
        self.counts[section].setdefault(entity, Counter()).update(counted(**counts))

    def absorb(self, entity: str, delivery: Delivery) -> None:
        """Take in what a worker built for `entity`, in the main thread, chunk after chunk."""
        for section, counts in delivery.counts.items():
            self.tally(section, entity, **counts)
        self.email_seen[delivery.email_codes] = True
        if delivery.order_ids is not None:
            self.order_ids.append(delivery.order_ids)
            self.order_people.append(delivery.order_people)
        if delivery.machine_open_events is not None:
            self.machine_open_events.append(delivery.machine_open_events)
