"""A dbt step that stops before dbt ends stops dbt too: dagster-dbt's reader of dbt's output
swallows its generator's close, and dbt went on writing to the warehouse after the run failed.
A node Dagster's manifest does not have is named in one line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

import dagster as dg
import pytest
from dagster._utils.error import serializable_error_info_from_exc_info

from orchestration.assets.dbt import StaleManifestError, events_until_dbt_ends
from orchestration.cli.commands import raised_by_step
from orchestration.dbt_cli import DBT_COMMAND
from orchestration.project import dbt_project
from orchestration.settings import REPO_ROOT

# A stand-in for dbt's process (orchestration/dbt_command.py): it handles an interrupt even when
# started with SIGINT ignored, as by a run in the background; it runs until stopped, and says
# when it is interrupted.
WORKER = """
import signal, sys, time
signal.signal(signal.SIGINT, signal.default_int_handler)
{ignore}
try:
    print("started", flush=True)
    time.sleep(120)
except KeyboardInterrupt:
    print("interrupted", flush=True)
    sys.exit(130)
"""


@dataclass
class FakeInvocation:
    process: subprocess.Popen
    termination_timeout_seconds: float = 5.0
    manifest: dict = field(default_factory=lambda: {"nodes": {"model.cadence.known": {}}})

    def stream(self):
        yield "first event"
        # as a node missing from Dagster's manifest (a stale `make manifest`) raised it
        raise KeyError("test.cadence.a_test_dagster_never_saw")


def _worker(ignore_interrupts: bool = False) -> subprocess.Popen:
    ignore = "signal.signal(signal.SIGINT, signal.SIG_IGN)" if ignore_interrupts else ""
    process = subprocess.Popen(
        [sys.executable, "-c", WORKER.format(ignore=ignore)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout.readline().strip() == "started"
    return process


def test_dbt_is_interrupted_when_the_step_fails_on_an_event():
    invocation = FakeInvocation(_worker())
    events = events_until_dbt_ends(invocation)

    assert next(events) == "first event"
    with pytest.raises(StaleManifestError, match="run `make manifest`") as raised:
        next(events)
    assert str(raised.value).startswith("dbt ran test.cadence.a_test_dagster_never_saw, which")

    assert invocation.process.poll() == 130
    assert invocation.process.stdout.read().strip() == "interrupted"


def test_dbt_is_interrupted_when_the_step_is_closed_early():
    invocation = FakeInvocation(_worker())
    events = events_until_dbt_ends(invocation)

    next(events)
    events.close()

    assert invocation.process.poll() == 130


def test_dbt_that_ignores_the_interrupt_is_killed_after_the_timeout():
    invocation = FakeInvocation(_worker(ignore_interrupts=True), termination_timeout_seconds=0.5)
    began = time.monotonic()

    with pytest.raises(StaleManifestError):
        list(events_until_dbt_ends(invocation))

    assert invocation.process.poll() == -9
    assert time.monotonic() - began < 30


@pytest.mark.parametrize("key", ["model", "model.cadence.known"])
def test_another_key_error_passes_as_it_is(key):
    class Failing(FakeInvocation):
        def stream(self):
            raise KeyError(key)
            yield

    invocation = Failing(_worker())

    with pytest.raises(KeyError) as raised:
        list(events_until_dbt_ends(invocation))

    assert type(raised.value) is KeyError
    assert invocation.process.poll() == 130


def test_the_terminal_names_the_error_the_step_raised():
    try:
        try:
            raise StaleManifestError("run `make manifest`")
        except StaleManifestError as error:
            raise dg.DagsterExecutionStepExecutionError(
                'Error occurred while executing op "dbt_models":',
                user_exception=error,
                original_exc_info=sys.exc_info(),
                step_key="dbt_models",
                op_name="dbt_models",
                op_def_name="dbt_models",
            ) from error
    except dg.DagsterExecutionStepExecutionError:
        reported = serializable_error_info_from_exc_info(sys.exc_info())

    assert raised_by_step(reported).message.startswith(
        "orchestration.assets.dbt.StaleManifestError: run `make manifest`"
    )


def test_cadences_dbt_command_ends_on_an_interrupt_even_when_started_ignoring_it(tmp_path):
    project = str(dbt_project.project_dir)
    dbt_command = subprocess.Popen(
        [
            *DBT_COMMAND,
            *("show", "--inline"),
            "select sum(hash(range)) from range(100000000000)",  # minutes of work
            *("--project-dir", project, "--profiles-dir", project),
            *("--target-path", str(tmp_path / "target")),
        ],
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT), "CADENCE_HOME": str(tmp_path)},
        # as a run in the background starts it
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    time.sleep(5)  # dbt's imports, parse and the query under way
    dbt_command.send_signal(signal.SIGINT)

    try:
        output, _ = dbt_command.communicate(timeout=30)
    finally:
        dbt_command.kill()
    assert dbt_command.returncode == 2  # dbt's exit on an exception it did not handle
    assert output.rstrip().endswith("KeyboardInterrupt")
