"""Where every second of the incremental day goes, fixed costs included.

The day runs as one `orchestration.cli backfill` process: the interpreter starts, imports Dagster,
dagster-dbt and the project (which loads dbt's manifest), runs the steps (extraction imports
great-expectations; dbt is a subprocess that starts, parses and then builds), and prints the
summary. Fixed costs are measured apart, each as its own cold command; what a warm process (a
long-lived worker holding the imports and a parsed dbt project) would save is their sum.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from orchestration.assets.dbt import dbt_target_dir
from orchestration.dbt_cli import DBT_COMMAND
from orchestration.project import DBT_PROJECT_DIR
from orchestration.resources import resources_for
from orchestration.settings import Settings


def _seconds(command: list[str], env: dict[str, str], cwd: Path | None = None) -> float:
    began = time.perf_counter()
    subprocess.run(command, env=env, cwd=cwd, capture_output=True, check=True)
    return time.perf_counter() - began


def fixed_costs(env: dict[str, str], home: Path, target: Path) -> dict[str, float]:
    """Seconds of each start-up cost the incremental day pays, measured cold, one by one."""
    python = sys.executable
    interpreter = _seconds([python, "-c", "pass"], env)
    project = _seconds([python, "-c", "import orchestration.definitions"], env)
    great_expectations = _seconds([python, "-c", "import great_expectations"], env)
    # dbt as a run starts it, in the profile environment it gives dbt
    # (orchestration.resources.Warehouse.dbt_variables)
    run_env = {**env, **resources_for(Settings.from_env(env))["duckdb"].dbt_variables}
    dbt_start = _seconds([*DBT_COMMAND, "--version"], run_env, cwd=DBT_PROJECT_DIR)
    # A parse as the next run's: from the parse state the run left.
    target.mkdir(parents=True, exist_ok=True)
    state = dbt_target_dir(home) / "partial_parse.msgpack"
    if state.is_file():
        (target / state.name).write_bytes(state.read_bytes())
    dbt_parse = _seconds(
        [*DBT_COMMAND, "parse", "--profiles-dir", ".", "--target-path", str(target), "--quiet"],
        run_env,
        cwd=DBT_PROJECT_DIR,
    )
    return {
        "interpreter": round(interpreter, 2),
        "imports (dagster, dagster-dbt, the project)": round(project - interpreter, 2),
        "import great_expectations": round(great_expectations - interpreter, 2),
        "dbt start": round(dbt_start, 2),
        "dbt parse (partial)": round(dbt_parse - dbt_start, 2),
    }


def newest_run_results(home: Path, since: float) -> dict | None:
    """The run_results.json of the dbt invocation of the run on `home`, if it started after
    `since`."""
    results = dbt_target_dir(home) / "run_results.json"
    if not results.is_file() or results.stat().st_mtime < since:
        return None
    return json.loads(results.read_text())


def dbt_split(run_results: dict | None) -> dict[str, float]:
    """dbt's execution phase, and the seconds its models and its tests took within it."""
    if not run_results:
        return {}
    nodes = run_results["results"]

    def total(kind: str) -> float:
        return round(sum(n["execution_time"] for n in nodes if n["unique_id"].startswith(kind)), 2)

    return {
        "execution": round(run_results["elapsed_time"], 2),
        "models": total("model."),
        "tests": total("test.") + total("unit_test."),
        "seeds": total("seed."),
    }


def breakdown(total: float, steps: dict[str, float], dbt: dict, fixed: dict) -> dict:
    """The day's seconds: the steps, dbt's part of its step, and what lies outside the steps."""
    outside_steps = total - sum(steps.values())
    dbt_step = steps.get("dbt_models", 0.0)
    dbt_overhead = dbt_step - dbt.get("execution", 0.0)
    dbt_cold = fixed["dbt start"] + fixed["dbt parse (partial)"]
    warm_saves = (
        fixed["imports (dagster, dagster-dbt, the project)"]
        + fixed["interpreter"]
        + fixed["import great_expectations"]
        + dbt_cold
    )
    return {
        "total": round(total, 1),
        "steps": steps,
        "outside the steps (interpreter, imports, run setup, summary)": round(outside_steps, 1),
        "dbt": dbt,
        "dbt step beyond execution (start, parse, Dagster events)": round(dbt_overhead, 1),
        "of which Dagster events (estimated)": round(max(dbt_overhead - dbt_cold, 0.0), 1),
        "fixed costs": fixed,
        "a warm process would save": round(warm_saves, 1),
    }
