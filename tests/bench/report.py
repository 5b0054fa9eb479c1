"""The benchmark's results as text: a table per scale, the scale curve, and the targets."""

from __future__ import annotations


def _row(stage: str, seconds: float | None, rss: float | None = None, rows: int | None = None):
    wall = f"{seconds:>9,.1f}" if seconds is not None else " " * 9
    memory = f"{rss:>8.2f}" if rss is not None else " " * 8
    count = f"{rows:>14,}" if rows is not None else ""
    return f"  {stage:<34}{wall}{memory}{count}"


def _peak_makeup(measured: dict) -> list[str]:
    """Which processes held the peak, and when: `dbt build 4.1 + orchestration.cli run 2.2`."""
    by_process = measured.get("peak_rss_gib_by_process")
    if not by_process:
        return []
    parts = " + ".join(f"{name.split(' ', 1)[1]} {gib:.1f}" for name, gib in by_process.items())
    return [f"      peak at {measured['peak_at_seconds']:,.0f} s: {parts} GiB"]


def scale_table(scale: str, result: dict) -> list[str]:
    pipeline, reference = result["pipeline"], result["reference"]
    pandas, incremental = result["pandas"], result["incremental"]
    rows = pipeline["rows"]
    lines = [
        f"Scale {scale}: {result['interaction_rows']:,} interaction rows landed over "
        f"{result['days']} days (as of {result['as_of']} for the full build)",
        f"  {'stage':<34}{'wall s':>9}{'RSS GiB':>8}{'rows':>14}",
        "  pipeline, full build (all days but the newest)",
    ]
    steps = pipeline["steps"]
    lines += [
        _row("  extract + GX gates", steps.get("extract_landing"), rows=rows["raw"]),
        _row(
            "  dbt build (models + tests)", steps.get("dbt_models"), rows=rows["fct_interactions"]
        ),
        _row("  publish", steps.get("published__marts")),
        _row("  report", steps.get("published__report")),
        _row("  total (process)", pipeline["seconds"], pipeline["peak_rss_gib"]),
        *_peak_makeup(pipeline),
        _row(
            "pipeline, incremental newest day", incremental["seconds"], incremental["peak_rss_gib"]
        ),
        *_peak_makeup(incremental),
        *incremental_breakdown(incremental),
        "  reference DuckDB script (same days)",
    ]
    landed = sum(v for k, v in reference["rows"].items() if k.startswith("landed_"))
    for stage, seconds in reference["stages"].items():
        count = {"load": landed, "facts": reference["rows"]["fct_interactions"]}.get(stage)
        lines.append(_row(f"  {stage}", seconds, rows=count))
    lines.append(_row("  total (process)", reference["seconds"], reference["peak_rss_gib"]))
    lines.append("  pandas notebook: RFM + cadence (same days)")
    if "failed" in pandas:
        lines.append(f"    failed: {' '.join(pandas['failed'])}")
    else:
        for stage, seconds in pandas["stages"].items():
            lines.append(_row(f"  {stage}", seconds))
        lines.append(_row("  total (process)", pandas["seconds"], pandas["peak_rss_gib"]))
    if "orchestration" in result:
        lines += orchestration_table(result["orchestration"])
    ratios = result["ratios"]
    lines.append(
        f"  full_vs_reference {ratios['full_vs_reference']}x   "
        f"pandas_vs_pipeline {ratios['pandas_vs_pipeline']}x   "
        f"marts equal: {'yes' if result['marts_equal'] else 'NO'}"
    )
    return lines


def orchestration_table(storages: dict) -> list[str]:
    """The full build per Dagster storage: wall time, time outside the steps, and the event-log
    writes (how many, how many actually written as batches, and their seconds)."""
    lines = [
        f"  full build per Dagster storage{'wall s':>13}{'outside':>9}{'events':>8}"
        f"{'batched':>9}{'writing s':>10}"
    ]
    for name, run in storages.items():
        events = run.get("events_written_singly", 0) + run.get("events_in_batches", 0)
        batched = run.get("events_in_batches", 0) - run.get("events_batches_wrote_singly", 0)
        lines.append(
            f"    {name:<30}{run['seconds']:>11,.1f}{run['outside the steps']:>9,.1f}"
            f"{events:>8,}{batched:>9,}{run['event_write_seconds']:>10,.1f}"
        )
    return lines


def incremental_breakdown(incremental: dict) -> list[str]:
    """Where the incremental day's seconds went, and what a warm process would save."""
    parts = incremental.get("breakdown")
    if not parts:
        return []
    steps, dbt, fixed = parts["steps"], parts["dbt"], parts["fixed costs"]
    lines = [
        _row("  extract + GX gates", steps.get("extract_landing")),
        _row("  dbt build (models + tests)", steps.get("dbt_models")),
        _row("    dbt models", dbt.get("models")),
        _row("    dbt tests", dbt.get("tests")),
        _row("    dbt seeds", dbt.get("seeds")),
        _row(
            "    dbt start, parse, events",
            parts["dbt step beyond execution (start, parse, Dagster events)"],
        ),
        _row("  publish", steps.get("published__marts")),
        _row("  report", steps.get("published__report")),
        _row(
            "  outside the steps",
            parts["outside the steps (interpreter, imports, run setup, summary)"],
        ),
        "    fixed costs, each measured cold: "
        + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in fixed.items()),
        _row("  a warm process would save", parts["a warm process would save"]),
    ]
    if "marts_equal" in incremental:
        equal = "yes" if incremental["marts_equal"] else "NO"
        lines.append(f"    marts equal to the reference over every day: {equal}")
    return lines


def scale_curve(scales: dict) -> list[str]:
    lines = [
        "Scale curve (wall seconds; per million interaction rows in brackets)",
        f"  {'scale':<6}{'rows':>13}{'extract':>16}{'dbt':>16}{'pipeline':>16}"
        f"{'reference':>16}{'pandas':>16}{'incr. day':>11}",
    ]
    for scale, result in scales.items():
        millions = result["interaction_rows"] / 1e6
        steps = result["pipeline"]["steps"]

        def cell(seconds, millions=millions):
            if seconds is None:
                return f"{'-':>16}"
            return f"{seconds:>8,.0f} ({seconds / millions:>4.1f})"

        pandas = result["pandas"].get("seconds") if "failed" not in result["pandas"] else None
        lines.append(
            f"  {scale:<6}{result['interaction_rows']:>13,}{cell(steps.get('extract_landing'))}"
            f"{cell(steps.get('dbt_models'))}{cell(result['pipeline']['seconds'])}"
            f"{cell(result['reference']['seconds'])}{cell(pandas)}"
            f"{result['incremental']['seconds']:>11,.1f}"
        )
    return lines


def _verdicts(checks: list[tuple[str, bool, str]]) -> list[str]:
    return [
        f"  {name:<40}{measured:>12}  {'met' if met else 'MISSED'}"
        for name, met, measured in checks
    ]


def targets(results: dict) -> list[str]:
    wanted = results["targets"]
    lines = []
    for name, result in results["scales"].items():
        limit = wanted["full_vs_reference"][name]
        ratio = result["ratios"]["full_vs_reference"]
        peak = result["pipeline"]["peak_rss_gib"]
        lines += [
            f"Full build at {name}",
            *_verdicts(
                [
                    (f"pipeline <= {limit}x reference", ratio <= limit, f"{ratio}x"),
                    (
                        f"peak RSS <= {wanted['peak_rss_gib']:.0f} GiB",
                        peak <= wanted["peak_rss_gib"],
                        f"{peak:.2f} GiB",
                    ),
                ]
            ),
            f"Incremental day at {name}",
            *_verdicts(incremental_checks(name, result, wanted)),
        ]
    return lines


def incremental_checks(scale: str, result: dict, wanted: dict) -> list[tuple[str, bool, str]]:
    """The incremental day's targets at one scale: wall, dbt, memory, equal marts."""
    incremental = result["incremental"]
    checks = []
    if scale in wanted["incremental_seconds"]:
        limit = wanted["incremental_seconds"][scale]
        seconds = incremental["seconds"]
        checks.append((f"wall <= {limit:.0f} s", seconds <= limit, f"{seconds:,.1f} s"))
    if scale in wanted["incremental_dbt_seconds"]:
        limit = wanted["incremental_dbt_seconds"][scale]
        seconds = incremental["steps"].get("dbt_models", float("inf"))
        checks.append((f"dbt <= {limit:.0f} s", seconds <= limit, f"{seconds:,.1f} s"))
    limit = wanted["incremental_peak_rss_gib"]
    peak = incremental["peak_rss_gib"]
    checks.append((f"peak RSS <= {limit:.0f} GiB", peak <= limit, f"{peak:.2f} GiB"))
    equal = incremental.get("marts_equal", False)
    checks.append(("marts equal the reference (all days)", equal, "yes" if equal else "no"))
    return checks


def render(results: dict) -> str:
    lines: list[str] = []
    for scale, result in results["scales"].items():
        lines += [*scale_table(scale, result), ""]
    lines += [*scale_curve(results["scales"]), "", *targets(results)]
    return "\n".join(lines)
