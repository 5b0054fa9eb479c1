"""Wall time and peak memory of a command and all its children (dbt runs as a subprocess)."""

from __future__ import annotations

import contextlib
import subprocess
import time
from dataclasses import dataclass
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

    @property
    def peak_rss_gib(self) -> float:
        return self.peak_rss_bytes / 2**30


def _tree_rss(process: psutil.Process) -> int:
    total = 0
    for member in [process, *process.children(recursive=True)]:
        try:
            total += member.memory_info().rss
        except psutil.Error:  # exited between listing and sampling
            continue
    return total


def measure(command: list[str], env: dict[str, str], log: Path) -> Measured:
    """Run `command`, sampling the summed RSS of its process tree; its output goes to `log`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    with open(log, "w") as out, open(log.with_suffix(".err"), "w") as err:
        child = subprocess.Popen(command, env=env, stdout=out, stderr=err)
        process = psutil.Process(child.pid)
        peak = 0
        while child.poll() is None:
            with contextlib.suppress(psutil.Error):  # the process may just have exited
                peak = max(peak, _tree_rss(process))
            time.sleep(SAMPLE_SECONDS)
    seconds = time.perf_counter() - began
    return Measured(
        seconds, peak, child.returncode, log.read_text(), log.with_suffix(".err").read_text()
    )
