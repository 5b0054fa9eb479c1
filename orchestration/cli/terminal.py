"""What a person sees while `make run` works: each step as it starts and ends, a progress bar
where there is a count to follow (days loaded, dbt nodes done), and nothing else. dbt's output
goes to $CADENCE_HOME/reports/dbt.log and every message of the run to reports/run.log; with
--verbose, dbt's output is shown as well."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from pathlib import Path
from typing import TextIO

import dagster as dg
from dagster._core.events import DagsterEventType
from dagster._core.events.log import EventLogEntry
from tqdm import tqdm

from orchestration import progress

STEPS = {
    "extract_landing": "load the landed files and check them",
    "dbt_models": "build and test the dbt models",
    "published__marts": "publish the marts",
    "published__report": "write the HTML report",
}
DBT_STEP = "dbt_models"
# One dbt node done: a model or seed materialised, or a test evaluated as a check.
NODE_DONE = {DagsterEventType.ASSET_MATERIALIZATION, DagsterEventType.ASSET_CHECK_EVALUATION}
# A finished step as printed below (`make bench` reads the steps' durations from it).
STEP_DONE_LINE = re.compile(r"^\[[\d:]+\] (\S+)\s+done in ([\d,.]+) s$", re.MULTILINE)


def first_line(text: str, width: int = 200) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= width else line[: width - 3] + "..."


class _Tee(io.TextIOBase):
    def __init__(self, *streams: TextIO):
        self.streams = streams

    def write(self, text: str) -> int:
        for stream in self.streams:
            stream.write(text)
        return len(text)

    def flush(self) -> None:
        for stream in self.streams:
            stream.flush()


class RunWatcher:
    """Follows one run's events as Dagster stores them (in this process, as they happen)."""

    def __init__(self, out: TextIO, dbt_nodes: int):
        self.out = out
        self.dbt_nodes = dbt_nodes
        self.bar: tqdm | None = None
        self.started: dict[str, float] = {}
        self.log: TextIO | None = None

    def say(self, text: str) -> None:
        if self.bar is not None:
            self.bar.clear()
        print(text, file=self.out, flush=True)
        if self.bar is not None:
            self.bar.refresh()

    def _open_bar(self, unit: str, total: int) -> tqdm:
        # Drawn on a terminal only (disable=None): a log file gets the start and end lines.
        self.bar = tqdm(
            total=total, desc=f"  {unit}", unit="", file=self.out, disable=None, leave=False
        )
        return self.bar

    def _close_bar(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def on_progress(self, counted: str, done: int, total: int) -> None:
        bar = self.bar or self._open_bar(counted, total)
        bar.update(done - bar.n)

    def on_event(self, entry: EventLogEntry) -> None:
        if self.log is not None:
            moment = dt.datetime.fromtimestamp(entry.timestamp).strftime("%H:%M:%S")
            self.log.write(f"{moment} {entry.step_key or '-':<18} {entry.message}\n")
            event = entry.dagster_event
            if event is not None and event.is_step_failure:
                self.log.write(event.step_failure_data.error.to_string() + "\n")
        event = entry.dagster_event
        if event is None or event.step_key is None:
            return
        step = event.step_key
        clock = dt.datetime.fromtimestamp(entry.timestamp).strftime("%H:%M:%S")
        if event.event_type == DagsterEventType.STEP_START:
            self.started[step] = entry.timestamp
            self.say(f"[{clock}] {step:<18} started: {STEPS.get(step, step)}")
            if step == DBT_STEP:
                self._open_bar("dbt nodes done", self.dbt_nodes)
        elif event.event_type in NODE_DONE and step == DBT_STEP and self.bar is not None:
            self.bar.update(1)
        elif event.event_type == DagsterEventType.STEP_SUCCESS:
            self._close_bar()
            seconds = event.event_specific_data.duration_ms / 1000
            self.say(f"[{clock}] {step:<18} done in {seconds:,.1f} s")
        elif event.event_type == DagsterEventType.STEP_FAILURE:
            self._close_bar()
            message = first_line(event.step_failure_data.error.message)
            self.say(f"[{clock}] {step:<18} FAILED: {message}")
        elif event.event_type == DagsterEventType.STEP_UP_FOR_RETRY:
            self._close_bar()
            self.say(f"[{clock}] {step:<18} will be retried: {first_line(entry.message)}")

    @contextmanager
    def watching(
        self, instance: dg.DagsterInstance, run_id: str, reports: Path, verbose: bool
    ) -> Iterator[None]:
        """Watch run `run_id` while the block runs it; dbt's output (the process's stdout during
        the run) to reports/dbt.log, and to the terminal too when `verbose`."""
        reports.mkdir(parents=True, exist_ok=True)
        with (
            open(reports / "dbt.log", "w", encoding="utf-8") as dbt_log,
            open(reports / "run.log", "w", encoding="utf-8") as run_log,
        ):
            self.log = run_log
            instance.add_event_listener(run_id, self.on_event)
            dbt_out = _Tee(dbt_log, self.out) if verbose else dbt_log
            try:
                with progress.watched_by(self.on_progress), redirect_stdout(dbt_out):
                    yield
            finally:
                self._close_bar()
                self.log = None
