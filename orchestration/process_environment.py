"""Environment variables set for a while in this process, then restored."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager


@contextmanager
def process_environment(variables: Mapping[str, str]) -> Iterator[None]:
    """`variables` in this process's environment while entered, and each as it was afterwards
    (unset again if it was unset). dagster-dbt gives the dbt it starts a copy of this process's
    environment and has no other way to pass one; a later dbt or tool started from this process
    (the next run, a test) must not inherit what one run handed over."""
    before = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
