"""How far a run's long steps are, for whoever watches the run in this process: the terminal of
`make run` (orchestration/cli/terminal.py). A run launched by the daemon has no watcher."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

Watcher = Callable[[str, int, int], None]  # (what is counted, how many done, of how many)

_watchers: list[Watcher] = []


def report(counted: str, done: int, total: int) -> None:
    for watcher in _watchers:
        watcher(counted, done, total)


@contextmanager
def watched_by(watcher: Watcher) -> Iterator[None]:
    _watchers.append(watcher)
    try:
        yield
    finally:
        _watchers.remove(watcher)
