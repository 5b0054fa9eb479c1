"""The benchmark's report: its tables read the results it writes, and it judges the targets."""

from __future__ import annotations

import copy

from tests.bench.__main__ import TARGETS, link_days, partition_folders
from tests.bench.report import render

SCALE = {
    "interaction_rows": 2_000_000,
    "days": 3,
    "as_of": "2026-06-29",
    "pipeline": {
        "seconds": 300.0,
        "peak_rss_gib": 2.5,
        "steps": {"extract_landing": 100.0, "dbt_models": 150.0, "published__marts": 10.0},
        "rows": {"raw": 2_000_100, "fct_interactions": 1_990_000},
    },
    "incremental": {"seconds": 12.0, "peak_rss_gib": 1.5},
    "reference": {
        "seconds": 250.0,
        "peak_rss_gib": 1.0,
        "stages": {"load": 200.0, "facts": 50.0},
        "rows": {"landed_activities": 2_000_100, "fct_interactions": 1_990_000},
    },
    "pandas": {"seconds": 900.0, "peak_rss_gib": 4.0, "stages": {"read": 800.0, "rfm": 100.0}},
    "ratios": {"full_vs_reference": 1.2, "pandas_vs_pipeline": 3.0},
    "marts_equal": True,
}


def results(**changes) -> dict:
    scale = copy.deepcopy(SCALE)
    for path, value in changes.items():
        *parents, leaf = path.split("__")
        target = scale
        for parent in parents:
            target = target[parent]
        target[leaf] = value
    return {"targets": TARGETS, "scales": {"2M": scale}, "largest_scale": "2M"}


def test_the_report_meets_targets_and_shows_every_contender():
    text = render(results())
    assert "pipeline <= 1.5x reference" in text
    assert text.count(" met") == 3
    for line in ("extract + GX gates", "reference DuckDB script", "pandas notebook", "load"):
        assert line in text
    curve = next(line for line in text.splitlines() if line.startswith("  2M "))
    assert "100 (50.0)" in curve  # extraction: seconds, and seconds per million rows
    assert "900 (450.0)" in curve


def test_the_report_names_each_missed_target():
    text = render(
        results(
            ratios__full_vs_reference=4.0,
            incremental__seconds=90.0,
            pipeline__peak_rss_gib=7.5,
        )
    )
    assert text.count("MISSED") == 3
    assert "4.0x  MISSED" in text
    assert "90.0 s  MISSED" in text


def test_the_report_says_which_processes_held_the_peak():
    text = render(
        results(
            pipeline__peak_at_seconds=1234.0,
            pipeline__peak_rss_gib_by_process={
                "12 dbt build": 4.1,
                "11 orchestration.cli run": 2.2,
            },
        )
    )
    assert "peak at 1,234 s: dbt build 4.1 + orchestration.cli run 2.2 GiB" in text


def test_a_failed_notebook_is_reported_not_hidden():
    failed = results(pandas={"seconds": 5.0, "peak_rss_gib": 9.0, "failed": ["MemoryError"]})
    failed["scales"]["2M"]["ratios"]["pandas_vs_pipeline"] = None
    assert "failed: MemoryError" in render(failed)


def test_days_are_linked_into_a_view_without_copying(tmp_path):
    landing, view = tmp_path / "landing", tmp_path / "view"
    for day in ("2026-06-28", "2026-06-29"):
        for entity in ("crm/activities", "email/events"):
            folder = landing / entity / f"dt={day}"
            folder.mkdir(parents=True)
            (folder / "rows.csv").write_text("id\n1\n")
    link_days(landing, view, ["2026-06-28"])
    assert sorted(partition_folders(view)) == ["2026-06-28"]
    assert (view / "email/events/dt=2026-06-28").is_symlink()
    assert not (view / "crm/activities/dt=2026-06-29").exists()
