"""`python -m orchestration.cli`: one run at a time per home, and what the terminal shows."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from orchestration.cli.check_report import md_table
from orchestration.run_lock import LOCK_FILE
from tests.conftest import materialize
from tests.test_quality_gates import write_clean_landing

REPO = Path(__file__).resolve().parents[1]


def cli(home: Path, landing: Path, *args: str, wait: int, **popen) -> subprocess.Popen:
    env = {
        **os.environ,
        "CADENCE_HOME": str(home),
        "CADENCE_LANDING_DIR": str(landing),
        "CADENCE_RUN_WAIT": str(wait),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def holder_of(home: Path, timeout: float = 120) -> dict:
    """What the run holding `home`'s lock says about itself, once it holds it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return json.loads((home / LOCK_FILE).read_text())
        except (OSError, ValueError):
            time.sleep(0.2)
    raise AssertionError(f"nothing took the run lock of {home} within {timeout} s")


@pytest.fixture
def fake_run(tmp_path):
    """A process holding the home's run lock as a run does, until its stdin is closed: a long
    step that costs nothing."""
    home = tmp_path / "home"
    processes = []

    def start() -> tuple[subprocess.Popen, dict]:
        code = (
            "import sys; from pathlib import Path; from orchestration.run_lock import run_lock\n"
            "with run_lock(Path(sys.argv[1]), 'fake long step', wait=0):\n"
            "    sys.stdin.read()"
        )
        process = subprocess.Popen(
            [sys.executable, "-c", code, str(home)], cwd=REPO, stdin=subprocess.PIPE
        )
        processes.append(process)
        return process, holder_of(home)

    yield home, start
    for process in processes:
        process.kill()
        process.wait()


def test_a_second_run_exits_at_once_naming_the_run_in_progress(tmp_path):
    """Two real `run`s 3 s apart on one home, the second told not to wait: it exits before
    touching anything, naming the first; the first publishes as if alone."""
    home, landing = tmp_path / "home", tmp_path / "landing"
    write_clean_landing(landing)
    first = cli(home, landing, "run", wait=0)
    holder = holder_of(home)
    assert holder["pid"] == first.pid
    time.sleep(3)
    began = time.monotonic()
    second = cli(home, landing, "run", wait=0)
    out, err = second.communicate(timeout=120)
    assert second.returncode == 1, err
    assert f"another run is in progress on {home}: pid {first.pid}" in err
    assert f"started {holder['started']}" in err
    assert "nothing was done" in err
    assert time.monotonic() - began < 60  # did not wait for the first run to end
    out, err = first.communicate(timeout=900)
    assert first.returncode == 0, out + err
    assert_readable_run_output(home, out)


def assert_readable_run_output(home: Path, out: str) -> None:
    """Each step started and ended; no dbt node line and no passed check on the terminal, but
    both in the files under reports/; then the short summary and the paths."""
    for step in ("extract_landing", "dbt_models", "published__marts", "published__report"):
        assert re.search(rf"\] {step}\s+started: ", out), out
        assert re.search(rf"\] {step}\s+done in [\d.,]+ s", out), out
    assert not re.search(r"\d+ of \d+ (START|OK|PASS)", out)
    reports = home / "reports"
    dbt_log = (reports / "dbt.log").read_text()
    assert re.search(r"\d+ of \d+ OK created sql table model", dbt_log)
    assert re.search(r"\d+ of \d+ PASS", dbt_log)
    run_log = (reports / "run.log").read_text()
    assert re.search(r"extract_landing\s+crm/activities: \d+ file\(s\)", run_log)
    assert re.search(r"published__marts\s+published version", run_log)
    counts = re.search(r"Checks: (\d+) \((\d+) passed, (\d+) warnings, (\d+) errors\)", out)
    total, passed = int(counts[1]), int(counts[2])
    assert total > 50 and passed > 0
    assert not re.search(r"^\s+passed ", out, re.MULTILINE)
    summary = (reports / "run_summary.md").read_text()
    assert summary.count("\n| passed |") == passed
    assert re.search(r"^\s+raw\s+[\d,]+ rows in\s+\d+ tables$", out, re.MULTILINE)
    assert re.search(r"^\s+marts\s+[\d,]+ rows in\s+\d+ tables$", out, re.MULTILINE)
    assert "Rejected rows: 0" in out and "File problems: 0" in out
    assert f"Run summary: {reports / 'run_summary.md'}" in out
    assert "Run succeeded." in out
    assert len(out.splitlines()) < 60, out


def test_a_run_waits_for_the_run_in_progress_then_goes_ahead(tmp_path, fake_run):
    home, start = fake_run
    holding, holder = start()
    # An empty landing: once the lock is its own, the run finds nothing to load (exit 2).
    waiting = cli(home, tmp_path / "empty", "run", wait=600)
    said = ""
    while "waiting for" not in said and waiting.poll() is None:
        said = waiting.stderr.readline()  # past any warning printed on import
    assert f"waiting for the run in progress on {home} to finish: pid {holding.pid}" in said
    assert f"started {holder['started']} (fake long step)" in said
    time.sleep(2)
    assert waiting.poll() is None  # still waiting
    holding.stdin.close()
    holding.wait(timeout=60)
    _, err = waiting.communicate(timeout=300)
    assert waiting.returncode == 2, err
    assert "no partitions under" in err


def test_a_run_that_waited_too_long_gives_up_before_doing_anything(tmp_path, fake_run):
    home, start = fake_run
    holding, _ = start()
    waiting = cli(home, tmp_path / "empty", "rollback", wait=2)
    _, err = waiting.communicate(timeout=300)
    assert waiting.returncode == 1
    assert f"still in progress on {home} after 2 s: pid {holding.pid}" in err
    assert not (home / "published").exists()


def test_a_dagster_launched_run_refuses_before_its_first_step(tmp_path, fake_run, monkeypatch):
    """Runs the sensor or the schedule launch take the lock in the warehouse resource."""
    home, start = fake_run
    holding, _ = start()
    landing = tmp_path / "landing"
    write_clean_landing(landing)
    monkeypatch.setenv("CADENCE_RUN_WAIT", "0")
    result = materialize(dg.DagsterInstance.ephemeral(), home, landing)
    assert not result.success
    assert not [e for e in result.all_events if e.is_step_start]
    errors = "\n".join(
        e.event_specific_data.error.to_string()
        for e in result.all_events
        if getattr(e.event_specific_data, "error", None)
    )
    assert f"another run is in progress on {home}: pid {holding.pid}" in errors
    assert not (home / "warehouse.duckdb").exists()


def test_md_table_escapes_what_would_break_a_row():
    assert md_table(["a", "b"], [[1, "x|y"], [None, "two\nlines"]]).splitlines() == [
        "| a | b |",
        "| --- | --- |",
        "| 1 | x\\|y |",
        "|  | two<br>lines |",
    ]
