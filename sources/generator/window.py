"""The generated time window: day indexing, the business calendar and processing chunks.

Times are carried as int64 seconds since the window's first local (Asia/Shanghai) midnight;
day indices count from 0 at the window's first day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property

import numpy as np

DAY = 86_400
UTC_OFFSET = 8 * 3600  # Asia/Shanghai has no DST

# (first day, length) of mainland public holidays: B2B sales go quiet, giving quiet days.
HOLIDAYS = (
    ("2024-02-10", 8),
    ("2024-05-01", 5),
    ("2024-10-01", 7),
    ("2025-01-28", 8),
    ("2025-05-01", 5),
    ("2025-10-01", 8),
    ("2026-02-15", 9),
    ("2026-05-01", 5),
    ("2026-10-01", 7),
    ("2027-02-06", 8),
)

# Relative activity on weekends and holidays; reps rarely work then, shoppers still buy.
CONTACT_WEEKEND, CONTACT_HOLIDAY = 0.12, 0.03
ORDER_WEEKEND, ORDER_HOLIDAY = 0.8, 0.3


@dataclass(frozen=True)
class Window:
    end: dt.date
    days: int

    @property
    def start(self) -> dt.date:
        return self.end - dt.timedelta(days=self.days - 1)

    @property
    def epoch_day(self) -> int:
        """Days from 1970-01-01 to the window start (for rendering dates)."""
        return (self.start - dt.date(1970, 1, 1)).days

    def date(self, day: int) -> dt.date:
        return self.start + dt.timedelta(days=int(day))

    @cached_property
    def _weekend_holiday(self) -> tuple[np.ndarray, np.ndarray]:
        dates = np.datetime64(self.start) + np.arange(self.days)
        weekend = np.isin((dates.astype(np.int64) + 3) % 7, (5, 6))  # 1970-01-01 was a Thursday
        holiday = np.zeros(self.days, bool)
        for first, length in HOLIDAYS:
            offset = (dt.date.fromisoformat(first) - self.start).days
            holiday[max(offset, 0) : max(offset + length, 0)] = True
        return weekend, holiday

    def _factor(self, weekend_factor: float, holiday_factor: float) -> np.ndarray:
        weekend, holiday = self._weekend_holiday
        factor = np.where(weekend, weekend_factor, 1.0)
        return np.where(holiday, holiday_factor, factor)

    @cached_property
    def contact_factor(self) -> np.ndarray:
        """Per-day multiplier (<= 1) on rep contact; rates are divided by its mean."""
        return self._factor(CONTACT_WEEKEND, CONTACT_HOLIDAY)

    @cached_property
    def order_factor(self) -> np.ndarray:
        return self._factor(ORDER_WEEKEND, ORDER_HOLIDAY)

    def chunks(self, size: int) -> list[tuple[int, int]]:
        return [(d0, min(d0 + size, self.days)) for d0 in range(0, self.days, size)]
