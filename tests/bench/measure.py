"""Wall time and peak memory of a command and all its children (dbt runs as a subprocess)."""

from __future__ import annotations

import contextlib
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

SAMPLE_SECONDS = 0.2


@dataclass
class Measured:
    seconds: float
    peak_rss_bytes: int
    returncode: int
    stdout: str
    stderr: str
    peak_at_seconds: float = 0.0
    peak_by_process: dict[str, int] = field(default_factory=dict)  # bytes per process at the peak

    @property
    def peak_rss_gib(self) -> float:
        return self.peak_rss_bytes / 2**30


def _name(process: psutil.Process) -> str:
    """`dbt build`, `orchestration.cli run`: what a process of the tree is, for the report."""
    words = [w for w in process.cmdline()[1:] if not w.startswith("-")]
    script = Path(words[0]).name if words else process.name()
    return " ".join([script, *words[1:2]])[:60]


def _tree_rss(process: psutil.Process) -> dict[str, int]:
    by_process: dict[str, int] = {}
    for member in [process, *process.children(recursive=True)]:
        try:
            name = f"{member.pid} {_name(member)}"
            by_process[name] = member.memory_info().rss
        except psutil.Error:  # exited between listing and sampling
            continue
    return by_process


def measure(command: list[str], env: dict[str, str], log: Path) -> Measured:
    """Run `command`, sampling the summed RSS of its process tree; its output goes to `log`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    with open(log, "w") as out, open(log.with_suffix(".err"), "w") as err:
        child = subprocess.Popen(command, env=env, stdout=out, stderr=err)
        process = psutil.Process(child.pid)
        peak, peak_at, peak_by_process = 0, 0.0, {}
        while child.poll() is None:
            with contextlib.suppress(psutil.Error):  # the process may just have exited
                by_process = _tree_rss(process)
                total = sum(by_process.values())
                if total > peak:
                    peak, peak_by_process = total, by_process
                    peak_at = time.perf_counter() - began
            time.sleep(SAMPLE_SECONDS)
    seconds = time.perf_counter() - began
    return Measured(
        seconds,
        peak,
        child.returncode,
        log.read_text(),
        log.with_suffix(".err").read_text(),
        peak_at,
        peak_by_process,
    )
