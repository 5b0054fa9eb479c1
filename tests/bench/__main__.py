"""`make bench`: the pipeline against the hand-written DuckDB reference and a pandas notebook.

For each scale (generated once and cached under $CADENCE_HOME/bench/data) it measures, one after
the other on the same files: the full pipeline over every day but the newest, the reference
script and the pandas notebook over the same days, then the newest day as an incremental run
through publish, as the daily schedule runs it, with a breakdown of its seconds (breakdown.py).
Each runs as its own process; wall time and the peak RSS of its process tree are recorded. The
reference's marts must equal the pipeline's, after the full build and again after the
incremental day (against the reference over every day). With --orchestration, the full build
again with Dagster on SQLite and on PostgreSQL (orchestration.py). Results:
$CADENCE_HOME/bench/results.json, and a table on stdout. Not part of `make test`: the 50M scale
takes about an hour on two cores.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import psutil

from orchestration.cli.terminal import STEP_DONE_LINE
from tests.bench.breakdown import breakdown, dbt_split, fixed_costs, newest_run_results
from tests.bench.measure import Measured, measure
from tests.bench.orchestration import storage_overhead
from tests.bench.reference import compare, differences
from tests.bench.report import render

# Generator arguments per scale: interaction rows (activities, email events, orders) grow with
# the persons; the large profile lands about 53M of them over two years.
SCALES = {
    "1M": ["--customers", "18700", "--days", "730"],
    "10M": ["--customers", "187000", "--days", "730"],
    "50M": ["--profile", "large"],
}
SEED = "42"
TARGETS = {
    # Issue 14: the full build against the reference, per scale (fixed costs weigh most at 1M).
    "full_vs_reference": {"1M": 3.0, "10M": 1.5, "50M": 1.5},
    "peak_rss_gib": 6.0,  # the full build
    # The incremental day, end to end through publish (issue 13).
    "incremental_seconds": {"1M": 20.0, "10M": 30.0, "50M": 60.0},
    "incremental_dbt_seconds": {"50M": 20.0},
    "incremental_peak_rss_gib": 4.0,
}
ROW_TABLES = {
    "raw": ["raw.crm__customers", "raw.crm__activities", "raw.email__events", "raw.orders__orders"],
    "rejected": ["raw.rejects"],
    "staging": [
        "staging.stg_crm__customers",
        "staging.stg_crm__activities",
        "staging.stg_email__events",
        "staging.stg_orders__orders",
    ],
    "identity records": ["intermediate.int_records_clustered"],
    "fct_interactions": ["marts.fct_interactions"],
    "customers": ["marts.dim_customer"],
}


def dataset(bench: Path, scale: str) -> Path:
    """The generated landing tree of a scale, generated on first use."""
    out = bench / "data" / scale
    if (out / "truth" / "manifest.json").is_file():
        return out
    shutil.rmtree(out, ignore_errors=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "sources.generator", *SCALES[scale], "--seed", SEED]
    print(f"[{scale}] generating: {' '.join(command[3:])}", flush=True)
    subprocess.run([*command, "--out", str(out), "--quiet"], check=True)
    return out


def partition_folders(landing: Path) -> dict[str, list[Path]]:
    by_day: dict[str, list[Path]] = {}
    for folder in sorted(landing.glob("*/*/dt=*")):
        by_day.setdefault(folder.name.removeprefix("dt="), []).append(folder)
    return by_day


def link_days(landing: Path, view: Path, days: list[str]) -> None:
    """Make the given days of `landing` appear under `view` without copying the files: each
    file is hard-linked into a real folder, since extraction refuses a symlink that leads out of
    the landing tree (`outside_landing`)."""
    by_day = partition_folders(landing)
    for day in days:
        for folder in by_day[day]:
            target = view / folder.relative_to(landing)
            target.mkdir(parents=True, exist_ok=True)
            for file in folder.iterdir():
                link = target / file.name
                if not link.exists():  # linked by the run this one resumes
                    link.hardlink_to(file)


def interaction_rows(data: Path) -> int:
    rows = json.loads((data / "truth" / "manifest.json").read_text())["rows"]
    return rows["crm/activities"] + rows["email/events"] + rows["orders/orders"]


def count_rows(warehouse: Path) -> dict[str, int]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            stage: sum(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables)
            for stage, tables in ROW_TABLES.items()
        }


def slowest_dbt_nodes(run_results: dict | None, limit: int = 8) -> list[dict]:
    """The slowest models and tests of a dbt invocation (its run_results.json)."""
    if not run_results:
        return []
    nodes = run_results["results"]
    ranked = sorted(nodes, key=lambda n: n["execution_time"], reverse=True)[:limit]
    return [
        {"node": n["unique_id"].split(".")[-1], "seconds": round(n["execution_time"], 1)}
        for n in ranked
    ]


def _summary(measured: Measured) -> dict:
    return {
        "seconds": round(measured.seconds, 1),
        "peak_rss_gib": round(measured.peak_rss_gib, 2),
        "peak_at_seconds": round(measured.peak_at_seconds, 1),
        "peak_rss_gib_by_process": {
            name: round(rss / 2**30, 2)
            for name, rss in sorted(measured.peak_by_process.items(), key=lambda p: -p[1])
            if rss >= 2**26  # the tree's helpers of a few MB say nothing
        },
    }


def _require(measured: Measured, what: str, log: Path) -> None:
    if measured.returncode != 0:
        tail = "\n".join(measured.stderr.splitlines()[-15:])
        raise SystemExit(f"{what} failed (exit {measured.returncode}); see {log}\n{tail}")


def pipeline_env(home: Path, landing: Path, data: Path) -> dict[str, str]:
    return {
        **os.environ,
        "CADENCE_HOME": str(home),
        "CADENCE_LANDING_DIR": str(landing),
        "CADENCE_ACKNOWLEDGEMENTS": str(data / "acknowledgements.yml"),
    }


def checkpointed(work: Path, stage: str, resume: bool, run) -> dict:
    """A stage's result, saved as soon as it is measured: an interrupted bench resumes from it."""
    saved = work / f"{stage}.json"
    if resume and saved.is_file():
        print(f"  reusing {saved}", flush=True)
        return json.loads(saved.read_text())
    result = run()
    saved.write_text(json.dumps(result, indent=2))
    return result


def bench_scale(bench: Path, scale: str, resume: bool, orchestration: bool = False) -> dict:
    data = dataset(bench, scale)
    work = bench / "runs" / scale
    if not resume:
        shutil.rmtree(work, ignore_errors=True)
    landing, home = work / "landing", work / "home"
    days = sorted(partition_folders(data / "landing"))
    link_days(data / "landing", landing, days[:-1])
    as_of = days[-2]
    env = pipeline_env(home, landing, data)
    python = sys.executable
    result: dict = {"interaction_rows": interaction_rows(data), "days": len(days), "as_of": as_of}

    def pipeline_run(arguments: list[str], name: str, what: str) -> dict:
        began = dt.datetime.now().timestamp()
        log = work / "logs" / f"{name}.log"
        run = measure([python, "-m", "orchestration.cli", *arguments], env, log)
        _require(run, what, log)
        run_results = newest_run_results(home, began)
        return {
            **_summary(run),
            "steps": {n: float(s.replace(",", "")) for n, s in STEP_DONE_LINE.findall(run.stdout)},
            "dbt": dbt_split(run_results),
            "slowest_dbt_nodes": slowest_dbt_nodes(run_results),
        }

    def full_build() -> dict:
        print(f"[{scale}] full pipeline over {len(days) - 1} days", flush=True)
        full = pipeline_run(["run"], "pipeline", "the full pipeline run")
        return {**full, "rows": count_rows(home / "warehouse.duckdb")}

    def reference_script(name: str = "reference") -> dict:
        print(f"[{scale}] reference script ({name})", flush=True)
        log = work / "logs" / f"{name}.log"
        command = [python, "-m", "tests.bench.reference", "--landing", str(landing)]
        reference = measure([*command, "--database", str(work / f"{name}.duckdb")], env, log)
        _require(reference, "the reference script", log)
        built = json.loads(reference.stdout.splitlines()[-1])
        stages = built.pop("seconds")
        return {**_summary(reference), **built, "stages": stages}

    def pandas_notebook() -> dict:
        print(f"[{scale}] pandas notebook", flush=True)
        log = work / "logs" / "notebook.log"
        command = [python, "-m", "tests.bench.notebook", "--landing", str(landing)]
        notebook = measure([*command, "--as-of", as_of, "--out", str(work / "notebook")], env, log)
        if notebook.returncode != 0:
            return {**_summary(notebook), "failed": notebook.stderr.splitlines()[-1:]}
        return {**_summary(notebook), **json.loads(notebook.stdout.splitlines()[-1])}

    def incremental_day() -> dict:
        print(f"[{scale}] incremental run of {days[-1]}", flush=True)
        link_days(data / "landing", landing, days[-1:])
        backfill = ["backfill", "--from", days[-1], "--to", days[-1]]
        day = pipeline_run(backfill, "incremental", "the incremental run")
        print(f"[{scale}] fixed costs of a run", flush=True)
        fixed = fixed_costs(env, home, work / "dbt_parse_target")
        day["breakdown"] = breakdown(day["seconds"], day["steps"], day["dbt"], fixed)
        # The marts after the day against the reference over every day, the new one included.
        everything = reference_script("reference_all_days")
        print(f"[{scale}] comparing the marts after the incremental day", flush=True)
        comparison = compare(home / "warehouse.duckdb", work / "reference_all_days.duckdb")
        return {
            **day,
            "reference_all_days_seconds": everything["seconds"],
            "comparison": comparison,
            "marts_equal": not list(differences(comparison)),
        }

    result["pipeline"] = checkpointed(work, "pipeline", resume, full_build)
    result["reference"] = checkpointed(work, "reference", resume, reference_script)
    # Not checkpointed: a resumed bench compares the warehouse the pipeline last built.
    print(f"[{scale}] comparing the marts", flush=True)
    result["comparison"] = compare(home / "warehouse.duckdb", work / "reference.duckdb")
    result["marts_equal"] = not list(differences(result["comparison"]))
    result["pandas"] = checkpointed(work, "pandas", resume, pandas_notebook)
    if orchestration:  # before the newest day lands: the full build's days
        print(f"[{scale}] full build per Dagster storage", flush=True)
        result["orchestration"] = checkpointed(
            work, "orchestration", resume, lambda: storage_overhead(env, work / "orchestration")
        )
    result["incremental"] = checkpointed(work, "incremental", resume, incremental_day)
    full_seconds = result["pipeline"]["seconds"]
    result["ratios"] = {
        "full_vs_reference": round(full_seconds / result["reference"]["seconds"], 2),
        "pandas_vs_pipeline": None
        if "failed" in result["pandas"]
        else round(result["pandas"]["seconds"] / full_seconds, 2),
    }
    return result


def machine() -> dict:
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": sys.version.split()[0],
        "duckdb": duckdb.__version__,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__)
    parser.add_argument("--scales", default=",".join(SCALES), help="e.g. 1M,10M,50M")
    parser.add_argument(
        "--resume",
        action="store_true",
        help="reuse the stages an interrupted bench already measured, and keep the results of "
        "scales not run again",
    )
    parser.add_argument(
        "--orchestration",
        action="store_true",
        help="also run the full build with Dagster on SQLite, PostgreSQL and PostgreSQL with "
        "batched events (tests/bench/orchestration.py)",
    )
    args = parser.parse_args()
    scales = [s.strip() for s in args.scales.split(",") if s.strip()]
    unknown = [s for s in scales if s not in SCALES]
    if unknown:
        parser.error(f"unknown scale {', '.join(unknown)}; choose from {', '.join(SCALES)}")
    bench = Path(os.environ.get("CADENCE_HOME", ".cadence")).resolve() / "bench"
    results_path = bench / "results.json"
    previous = {}
    if args.resume and results_path.is_file():
        previous = json.loads(results_path.read_text())["scales"]
    results = {"machine": machine(), "targets": TARGETS, "scales": previous}
    for scale in scales:
        results["scales"][scale] = bench_scale(bench, scale, args.resume, args.orchestration)
        results["scales"] = dict(
            sorted(results["scales"].items(), key=lambda item: item[1]["interaction_rows"])
        )
        largest = list(results["scales"])[-1]
        results["largest_scale"] = largest
        results["full_vs_reference"] = results["scales"][largest]["ratios"]["full_vs_reference"]
        results["pandas_vs_pipeline"] = results["scales"][largest]["ratios"]["pandas_vs_pipeline"]
        results_path.write_text(json.dumps(results, indent=2))  # kept after every scale
    print(render(results))
    print(f"\nResults: {results_path}")
    if not all(s["marts_equal"] for s in results["scales"].values()):
        raise SystemExit("the pipeline's marts differ from the reference's (see comparison)")
    if not all(s["incremental"]["marts_equal"] for s in results["scales"].values()):
        raise SystemExit(
            "after the incremental day the marts differ from the reference over every day "
            "(see incremental.comparison)"
        )


if __name__ == "__main__":
    main()
