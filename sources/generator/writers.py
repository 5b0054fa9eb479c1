"""Daily partition files: `landing/<source>/<entity>/dt=YYYY-MM-DD/<stem>.<ext>`.

Rows arrive per chunk of days with their delivery day (dt), a sort key and a rendered line;
rows for later days wait in `pending` until their chunk is flushed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from .window import Window

UTF8_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Target:
    entity: str  # "<source>/<entity>"
    stem: str
    header: str | None  # CSV header line; None for JSON lines
    missing_day: int | None = None  # no folder at all that day
    gbk_day: int | None = None
    bom_day: int | None = None
    resend_day: int | None = None  # a second, identical file is delivered that day
    parquet: Callable[[int], bool] | None = None  # days exported as Parquet instead
    to_parquet: Callable[[pa.Table], pa.Table] | None = None


class PartitionWriter:
    def __init__(self, out: Path, target: Target, window: Window):
        self.out, self.target, self.window = out, target, window
        self.pending: pa.Table | None = None
        self.rows = 0
        self.files = 0
        self.paths: dict[str, str] = {}
        self.resent_rows = 0

    def add(self, table: pa.Table) -> None:
        """Queue rows (columns dt, key, seq, line and any the Parquet export needs)."""
        self.pending = table if self.pending is None else pa.concat_tables([self.pending, table])

    def flush(self, from_day: int, until_day: int) -> None:
        """Write the partitions of days [from_day, until_day); later rows keep waiting."""
        table = self.pending
        order = np.lexsort([table.column(c).to_numpy() for c in ("seq", "key", "dt")])
        table = table.take(pa.array(order))
        bounds = np.searchsorted(table.column("dt").to_numpy(), np.arange(from_day, until_day + 1))
        if bounds[0] != 0:
            raise AssertionError(f"{self.target.entity}: rows for an already written day")
        for i, day in enumerate(range(from_day, until_day)):
            self._write_day(day, table.slice(bounds[i], bounds[i + 1] - bounds[i]))
        self.pending = table.slice(bounds[-1])

    def _relative(self, path: Path) -> str:
        return path.relative_to(self.out).as_posix()

    def _write_day(self, day: int, part: pa.Table) -> None:
        target = self.target
        if day == target.missing_day:
            if part.num_rows:
                raise AssertionError(f"{target.entity}: rows routed to the missing day")
            return
        source, entity = target.entity.split("/")
        folder = self.out / "landing" / source / entity / f"dt={self.window.date(day).isoformat()}"
        folder.mkdir(parents=True, exist_ok=True)
        self.rows += part.num_rows
        self.files += 1
        if target.parquet is not None and target.parquet(day):
            pq.write_table(target.to_parquet(part), folder / f"{target.stem}.parquet")
            return
        extension = "jsonl" if target.header is None else "csv"
        path = folder / f"{target.stem}.{extension}"
        content = _text(part.column("line"), target.header)
        if day == target.gbk_day:
            content = content.decode("utf-8").encode("gbk")
            self.paths["gbk"] = self._relative(path)
        if day == target.bom_day:
            content = UTF8_BOM + content
            self.paths["utf8_bom"] = self._relative(path)
        path.write_bytes(content)
        if day == target.resend_day:
            copy = folder / f"{target.stem}_resent.{extension}"
            copy.write_bytes(content)
            self.rows += part.num_rows
            self.files += 1
            self.paths["resent_original"] = self._relative(path)
            self.paths["resent_copy"] = self._relative(copy)
            self.resent_rows = part.num_rows


def _text(lines: pa.ChunkedArray, header: str | None) -> bytes:
    """The file's bytes: the header, then the lines' UTF-8 data copied straight from Arrow."""
    head = b"" if header is None else (header + "\n").encode()
    lines = lines.combine_chunks() if lines.num_chunks else pa.array([], pa.string())
    if len(lines) == 0:
        return head
    offsets = np.frombuffer(lines.buffers()[1], np.int32)[
        lines.offset : lines.offset + len(lines) + 1
    ]
    data = lines.buffers()[2]
    return head + data.slice(offsets[0], offsets[-1] - offsets[0]).to_pybytes()
