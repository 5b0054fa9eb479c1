"""One run at a time on a $CADENCE_HOME.

Every run (`make run`, `make backfill`, `make rollback`, and the runs the sensor and the schedule
launch) holds an exclusive `fcntl.flock` on `$CADENCE_HOME/run.lock` from before it reads or
writes anything until it has finished. A run that finds the lock held waits for it, saying which
run it waits for (pid, start time, command), for up to $CADENCE_RUN_WAIT seconds
(orchestration/settings.py; 0: do not wait); then it gives up before doing anything, so it never
fails halfway because of the other. The kernel releases the lock when its process ends, however it
ends: a killed run leaves no stale lock behind.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_FILE = "run.lock"
POLL_SECONDS = 0.5

# Homes this process holds, with how many holders: a CLI run holds its home for the whole
# command, and the warehouse resource of the run it executes in-process takes it again.
_held: dict[Path, int] = {}


class RunInProgressError(RuntimeError):
    pass


def describe_holder(lock: Path) -> str:
    """Who holds the lock, from what its holder wrote into it."""
    try:
        holder = json.loads(lock.read_text())
        return f"pid {holder['pid']}, started {holder['started']} ({holder['command']})"
    except (OSError, ValueError, KeyError):
        return "a run that has not said who it is yet"


def _try_lock(handle) -> bool:
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextmanager
def run_lock(
    home: Path,
    command: str,
    wait: float,
    say: Callable[[str], None] = print,
) -> Iterator[None]:
    """Hold `home`'s run lock for the duration; wait up to `wait` seconds for another run
    ($CADENCE_RUN_WAIT), then raise RunInProgressError naming it."""
    home = home.resolve()
    if home in _held:
        _held[home] += 1
        try:
            yield
        finally:
            _held[home] -= 1
        return
    home.mkdir(parents=True, exist_ok=True)
    lock = home / LOCK_FILE
    with open(lock, "a+") as handle:
        if not _try_lock(handle):
            holder = describe_holder(lock)
            if wait <= 0:
                raise RunInProgressError(f"another run is in progress on {home}: {holder}")
            say(
                f"waiting for the run in progress on {home} to finish: {holder} "
                f"(up to {wait:,.0f} s, CADENCE_RUN_WAIT)"
            )
            deadline = time.monotonic() + wait
            while not _try_lock(handle):
                if time.monotonic() >= deadline:
                    raise RunInProgressError(
                        f"another run is still in progress on {home} after {wait:,.0f} s: "
                        f"{describe_holder(lock)}"
                    )
                time.sleep(POLL_SECONDS)
        started = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": os.getpid(), "started": started, "command": command}))
        handle.flush()
        _held[home] = 1
        try:
            yield
        finally:
            del _held[home]
