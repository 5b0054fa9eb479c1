"""Delivery messiness: late arrivals, re-delivered duplicates and malformed rows.

Every injection is counted exactly: a row is late, duplicated or malformed under one kind only,
so the manifest's counts are what an extractor should reject or dedupe.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .formats import STRING, csv_lines
from .window import DAY, Window

MALFORMED_SHARE = 0.0002  # per kind; entities have 4-5 kinds, so ~0.1% of rows in all
DUPLICATE_SHARE = 0.01
# A malformed kind either rewrites fields (column, bad value alternatives) or the whole line.
WHOLE_LINE = "whole_line"
Corruption = Sequence[tuple[str, str]] | str


def make_late(
    rng: np.random.Generator, rows: dict[str, np.ndarray], share: float
) -> dict[str, np.ndarray]:
    """Move a share of rows to a partition 1-3 days after they happened."""
    late = rng.random(len(rows["dt"])) < share
    dt = np.where(late, rows["dt"] + rng.integers(1, 4, len(late)), rows["dt"])
    key = np.where(late, dt * DAY + rng.integers(0, DAY, len(late)), rows["key"])
    return {**rows, "dt": dt, "key": key, "late": late}


def deliverable(rows: dict[str, np.ndarray], window: Window, missing_day: int | None) -> np.ndarray:
    """Rows landing after the window are not delivered yet; the missing day's rows are lost."""
    keep = rows["dt"] < window.days
    return keep if missing_day is None else keep & (rows["dt"] != missing_day)


def select(rows: Mapping[str, np.ndarray], keep: np.ndarray) -> dict[str, np.ndarray]:
    return {name: values[keep] for name, values in rows.items()}


def pick(
    rng: np.random.Generator,
    eligible: np.ndarray,
    kinds: Sequence[str],
    share: float,
    at_least_one: bool,
) -> np.ndarray:
    """Index into `kinds` per row (-1: untouched), drawn among eligible rows without overlap."""
    candidates = np.flatnonzero(eligible)
    counts = rng.binomial(len(candidates), share, len(kinds))
    if at_least_one:
        counts = np.maximum(counts, 1)
    chosen = rng.permutation(candidates)[: counts.sum()]
    kind = np.full(len(eligible), -1, np.int8)
    kind[chosen] = np.repeat(np.arange(len(kinds), dtype=np.int8), counts)[: len(chosen)]
    return kind


def count_kinds(kind: np.ndarray, kinds: Sequence[str]) -> dict[str, int]:
    return {name: int((kind == i).sum()) for i, name in enumerate(kinds)}


def corrupt_fields(
    rng: np.random.Generator,
    columns: dict[str, pa.Array],
    kind: np.ndarray,
    corruptions: Mapping[str, Corruption],
) -> dict[str, pa.Array]:
    columns = dict(columns)
    for index, corruption in enumerate(corruptions.values()):
        if corruption == WHOLE_LINE:
            continue
        rows = np.flatnonzero(kind == index)
        alternative = rng.integers(0, len(corruption), len(rows))
        for a, (column, bad_value) in enumerate(corruption):
            mask = np.zeros(len(kind), bool)
            mask[rows[alternative == a]] = True
            columns[column] = pc.if_else(pa.array(mask), bad_value, columns[column])
    return columns


def redeliver(
    rng: np.random.Generator,
    table: pa.Table,
    eligible: np.ndarray,
    window: Window,
    missing_day: int | None,
    at_least_one: bool,
) -> tuple[pa.Table, int, int]:
    """Append exact copies of ~1% of rows, in the same partition or the next day's.

    Returns the table and the numbers of copies in the same and in the next partition.
    """
    candidates = np.flatnonzero(eligible)
    count = rng.binomial(len(candidates), DUPLICATE_SHARE)
    count = min(len(candidates), max(count, int(at_least_one)))
    original = np.sort(rng.choice(candidates, count, replace=False))
    dt = table.column("dt").to_numpy()[original]
    key = table.column("key").to_numpy()[original]
    next_day = dt + 1
    to_next = (rng.random(count) < 0.5) & (next_day < window.days) & (next_day != missing_day)
    copies = table.take(pa.array(original))
    copies = copies.set_column(
        copies.schema.get_field_index("dt"), "dt", pa.array(np.where(to_next, next_day, dt))
    )
    copies = copies.set_column(
        copies.schema.get_field_index("key"),
        "key",
        pa.array(
            np.where(
                to_next,
                next_day * DAY + rng.integers(0, 6 * 3600, count),
                key + rng.integers(60, 7200, count),
            )
        ),
    )
    return pa.concat_tables([table, copies]), int((~to_next).sum()), int(to_next.sum())


def csv_with_wrong_field_counts(columns: Sequence[pa.Array], flagged: np.ndarray) -> pa.Array:
    """CSV lines; flagged rows get one field too many or (dropping the third) too few."""
    text = csv_lines(columns)
    rows = np.flatnonzero(flagged)
    if len(rows) == 0:
        return text
    fields = [c.take(pa.array(rows)) for c in columns]
    wrong = pc.if_else(
        pa.array(rows % 2 == 0),
        csv_lines([*fields, pa.array(["extra"] * len(rows), STRING)]),
        csv_lines(fields[:2] + fields[3:]),
    )
    return pc.replace_with_mask(text, pa.array(flagged), wrong)


def truncated(lines: pa.Array, flagged: np.ndarray) -> pa.Array:
    """JSON lines cut off mid-object, as when a writer dies mid-record."""
    rows = np.flatnonzero(flagged)
    if len(rows) == 0:
        return lines
    cut = pc.binary_join_element_wise(
        pc.utf8_slice_codeunits(lines.take(pa.array(rows)), 0, 40), "\n", ""
    )
    return pc.replace_with_mask(lines, pa.array(flagged), cut)
