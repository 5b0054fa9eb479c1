"""Dagster's storage and the full build: the same full build run on a fresh home with Dagster on
SQLite (the default), on PostgreSQL, and on PostgreSQL with event batching
(DAGSTER_EVENT_BATCH_SIZE, which SQLite's storage lacks), one after the other. Each records wall
time, the steps' seconds, and the events written to Dagster's event log with the seconds spent
writing them (tests/bench/instrumented_run.py): the part of the run that is orchestration
bookkeeping rather than work. PostgreSQL is a throwaway cluster on this machine
(tests/postgres_cluster.py), reached over a Unix socket.

`make bench ORCHESTRATION=1` adds it to every scale; on its own, on any landing tree:
`python -m tests.bench.orchestration --landing DIR --acknowledgements FILE --work DIR`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from contextlib import nullcontext
from pathlib import Path

from orchestration.cli.terminal import STEP_DONE_LINE
from orchestration.settings import POSTGRES_URL
from tests.bench.measure import measure
from tests.postgres_cluster import throwaway_cluster

# Large enough for a run's planned events to go as one batch.
EVENT_BATCH_SIZE = "1000"
STORAGES = {
    "sqlite": {"postgres": False, "env": {}},
    "postgres": {"postgres": True, "env": {}},
    "postgres, batched events": {
        "postgres": True,
        "env": {"DAGSTER_EVENT_BATCH_SIZE": EVENT_BATCH_SIZE},
    },
}


def full_build(env: dict[str, str], home: Path, log: Path) -> dict:
    shutil.rmtree(home, ignore_errors=True)
    command = [sys.executable, "-m", "tests.bench.instrumented_run", "run"]
    run = measure(command, {**env, "CADENCE_HOME": str(home)}, log)
    if run.returncode != 0:
        tail = "\n".join(run.stderr.splitlines()[-15:])
        raise SystemExit(f"the full build failed (exit {run.returncode}); see {log}\n{tail}")
    steps = {n: float(s.replace(",", "")) for n, s in STEP_DONE_LINE.findall(run.stdout)}
    events = json.loads(run.stdout.splitlines()[-1])
    return {
        "seconds": round(run.seconds, 1),
        "steps": steps,
        "outside the steps": round(run.seconds - sum(steps.values()), 1),
        **events,
    }


def storage_overhead(env: dict[str, str], work: Path) -> dict:
    """The full build over `env`'s landing under each storage of STORAGES, in order."""
    base = {k: v for k, v in env.items() if k not in (POSTGRES_URL, "DAGSTER_EVENT_BATCH_SIZE")}
    results = {}
    for name, storage in STORAGES.items():
        print(f"  full build with Dagster on {name}", flush=True)
        server = throwaway_cluster() if storage["postgres"] else nullcontext(None)
        with server as url:
            run_env = {**base, **storage["env"], **({POSTGRES_URL: url} if url else {})}
            slug = name.replace(", ", "_").replace(" ", "_")
            results[name] = full_build(run_env, work / f"home_{slug}", work / f"{slug}.log")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.orchestration", description=__doc__
    )
    parser.add_argument("--landing", required=True, type=Path)
    parser.add_argument("--acknowledgements", type=Path)
    parser.add_argument("--work", required=True, type=Path, help="homes and logs go here")
    args = parser.parse_args()
    env = {**os.environ, "CADENCE_LANDING_DIR": str(args.landing.resolve())}
    if args.acknowledgements:
        env["CADENCE_ACKNOWLEDGEMENTS"] = str(args.acknowledgements.resolve())
    print(json.dumps(storage_overhead(env, args.work.resolve()), indent=2))


if __name__ == "__main__":
    main()
