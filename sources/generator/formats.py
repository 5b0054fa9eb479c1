"""Vectorised text rendering: ids, timestamps, phones, amounts, CSV and JSON lines.

Everything builds Arrow string arrays so that 50M rows never become Python objects.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .window import DAY, UTC_OFFSET, Window

STRING = pa.string()


def fixed_width(matrix: np.ndarray) -> pa.Array:
    """Rows of an (n, width) uint8 matrix of UTF-8 bytes as strings."""
    n, width = matrix.shape
    raw = pa.py_buffer(np.ascontiguousarray(matrix, dtype=np.uint8))
    return pa.FixedSizeBinaryArray.from_buffers(pa.binary(width), n, [None, raw]).cast(STRING)


def digit_matrix(values: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded ASCII digits of non-negative integers, most significant first."""
    out = np.empty((len(values), width), np.uint8)
    rest = np.asarray(values, np.int64).copy()
    for col in range(width - 1, -1, -1):
        out[:, col] = 48 + rest % 10
        rest //= 10
    return out


def ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    head = np.frombuffer(prefix.encode(), np.uint8)
    matrix = np.hstack(
        [np.broadcast_to(head, (len(numbers), len(head))), digit_matrix(numbers, width)]
    )
    return fixed_width(matrix)


def strings(values: Sequence[str]) -> pa.Array:
    return pa.array(values, STRING)


def piecewise(
    variant: np.ndarray, builders: Sequence[Callable[[np.ndarray], pa.Array]]
) -> pa.Array:
    """Render each row with builders[variant[row]](rows of that variant), keeping row order."""
    order = np.argsort(variant, kind="stable")
    bounds = np.searchsorted(variant[order], np.arange(len(builders) + 1))
    parts = [
        builders[v](order[bounds[v] : bounds[v + 1]]).cast(STRING)
        for v in range(len(builders))
        if bounds[v + 1] > bounds[v]
    ]
    if not parts:
        return pa.array([], STRING)
    inverse = np.empty_like(order)
    inverse[order] = np.arange(len(order))
    return pa.concat_arrays(parts).take(pa.array(inverse))


@cache
def _clock_table(with_seconds: bool) -> pa.Array:
    sod = np.arange(DAY)
    parts = [digit_matrix(sod // 3600, 2), np.full((DAY, 1), ord(":"), np.uint8)]
    parts.append(digit_matrix(sod // 60 % 60, 2))
    if with_seconds:
        parts += [np.full((DAY, 1), ord(":"), np.uint8), digit_matrix(sod % 60, 2)]
    return fixed_width(np.hstack(parts))


def _date_table(first_epoch_day: int, count: int, separator: str) -> pa.Array:
    dates = np.datetime_as_string(
        np.arange(first_epoch_day, first_epoch_day + count).astype("M8[D]")
    )
    return pa.array(np.char.replace(dates, "-", separator), STRING)


# Timestamp styles: (date separator, between date and time, seconds?, suffix, shift to UTC?)
TIMESTAMP_STYLES = {
    "sql": ("-", " ", True, "", False),  # 2026-05-01 10:00:00, naive local
    "slash": ("/", " ", False, "", False),  # 2026/05/01 10:00, naive local
    "iso_offset": ("-", "T", True, "+08:00", False),
    "iso_z": ("-", "T", True, "Z", True),
    "iso_naive": ("-", "T", True, "", False),
}


def timestamps(window: Window, seconds: np.ndarray, style: str) -> pa.Array:
    """Render window-relative local seconds in one of TIMESTAMP_STYLES."""
    date_sep, between, with_seconds, suffix, to_utc = TIMESTAMP_STYLES[style]
    seconds = seconds - UTC_OFFSET if to_utc else seconds
    day = np.floor_divide(seconds, DAY)
    if len(day) == 0:
        return pa.array([], STRING)
    low = int(day.min())
    dates = _date_table(window.epoch_day + low, int(day.max()) - low + 1, date_sep)
    clock = _clock_table(with_seconds).take(pa.array(seconds - day * DAY))
    return pc.binary_join_element_wise(dates.take(pa.array(day - low)), between, clock, suffix, "")


def epoch_seconds(window: Window, seconds: np.ndarray) -> pa.Array:
    return pa.array(seconds - UTC_OFFSET + window.epoch_day * DAY).cast(STRING)


def amounts(cents: np.ndarray) -> pa.Array:
    whole = pa.array(cents // 100).cast(STRING)
    return pc.binary_join_element_wise(whole, fixed_width(digit_matrix(cents % 100, 2)), ".")


# Renderings of one 11-digit mobile by format name; "d" marks a digit.
PHONE_FORMATS = {
    "plain": "ddddddddddd",
    "plus86_spaced": "+86 ddd dddd dddd",
    "0086_dashed": "0086-ddd-dddd-dddd",
    "dashed": "ddd-dddd-dddd",
    "spaced": "ddd dddd dddd",
    "e164": "+86ddddddddddd",
    "fullwidth": "fullwidth",
}
PHONE_TEMPLATES = tuple(PHONE_FORMATS.values())
FULLWIDTH_ZERO = "\uff10".encode()  # U+FF10: three UTF-8 bytes, the last one counts up per digit


def phones(numbers: np.ndarray, template: str) -> pa.Array:
    digits = digit_matrix(numbers, 11)
    if template == "fullwidth":
        wide = np.broadcast_to(
            np.frombuffer(FULLWIDTH_ZERO, np.uint8), (len(numbers), 11, 3)
        ).copy()
        wide[:, :, 2] += digits - 48
        return fixed_width(wide.reshape(len(numbers), 33))
    shape = np.frombuffer(template.encode(), np.uint8)
    matrix = np.broadcast_to(shape, (len(numbers), len(shape))).copy()
    matrix[:, shape == ord("d")] = digits
    return fixed_width(matrix)


# Bytes that may force CSV quoting; columns without any of them skip the per-row scan.
_CSV_SPECIAL = b',"\r\n \t\f\v'


def _has_any_byte(values: pa.Array, special: bytes) -> bool:
    data = values.buffers()[2]
    raw = b"" if data is None else data.to_pybytes()
    return any(raw.find(byte) >= 0 for byte in special)


def csv_field(values: pa.Array) -> pa.Array:
    """Standard CSV quoting; also quotes edge whitespace so readers keep it verbatim."""
    values = pc.fill_null(values.cast(STRING), "")
    if not _has_any_byte(values, _CSV_SPECIAL):
        return values
    needs = pc.match_substring_regex(values, r'[,"\r\n]|^\s|\s$')
    if not pc.any(needs).as_py():
        return values
    quoted = pc.replace_substring(values.filter(needs), '"', '""')
    return pc.replace_with_mask(values, needs, pc.binary_join_element_wise('"', quoted, '"', ""))


def csv_lines(columns: Sequence[pa.Array]) -> pa.Array:
    """CSV rows, each with its trailing newline."""
    body = pc.binary_join_element_wise(*[csv_field(c) for c in columns], ",")
    return pc.binary_join_element_wise(body, "\n", "")


_JSON_SPECIAL = b'"\\'


def json_string(values: pa.Array) -> pa.Array:
    """JSON string literals (nulls stay null: fill with "null" or let json_lines omit the key)."""
    values = values.cast(STRING)
    if _has_any_byte(values, _JSON_SPECIAL):
        values = pc.replace_substring(pc.replace_substring(values, "\\", "\\\\"), '"', '\\"')
    return pc.binary_join_element_wise('"', values, '"', "")


def json_lines(fields: Sequence[tuple[str, pa.Array]]) -> pa.Array:
    """One JSON object per row from JSON literals; a null literal omits that key.

    The first field must never be null. Fields without nulls go straight into one join.
    """
    pieces: list[pa.Array | str] = ["{"]
    for position, (key, literal) in enumerate(fields):
        prefix = f'"{key}": ' if position == 0 else f', "{key}": '
        if literal.null_count:
            pieces.append(pc.fill_null(pc.binary_join_element_wise(prefix, literal, ""), ""))
        else:
            pieces += [prefix, literal]
    return pc.binary_join_element_wise(*pieces, "}\n", "")


def timestamps_mixed(
    window: Window, seconds: np.ndarray, style: np.ndarray, styles: Sequence[str]
) -> pa.Array:
    return piecewise(style, [lambda r, s=s: timestamps(window, seconds[r], s) for s in styles])


def dates(window: Window, day: np.ndarray, separator: str = "-") -> pa.Array:
    """Window day indices as dates (separator "" gives YYYYMMDD)."""
    if len(day) == 0:
        return pa.array([], STRING)
    low = int(day.min())
    table = _date_table(window.epoch_day + low, int(day.max()) - low + 1, separator)
    return table.take(pa.array(day - low))
