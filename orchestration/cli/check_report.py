"""Every check of a run with its result and counts, for the terminal and for
$CADENCE_HOME/reports/run_summary.md."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import dagster as dg


@dataclass(frozen=True)
class CheckLine:
    asset: str
    check: str
    status: str  # passed, warning, error
    count: int | None
    detail: str

    @property
    def name(self) -> str:
        return f"{self.asset}:{self.check}"


def _count(metadata: dict) -> int | None:
    for key in ("unexpected_count", "dagster_dbt/failed_row_count"):
        if key in metadata:
            return int(metadata[key].value)
    return None


def check_lines(evaluations: list[dg.AssetCheckEvaluation]) -> list[CheckLine]:
    lines = []
    for evaluation in evaluations:
        if evaluation.passed:
            status = "passed"
        elif evaluation.severity == dg.AssetCheckSeverity.ERROR:
            status = "error"
        else:
            status = "warning"
        failed = evaluation.metadata.get("failed_rules")
        acknowledged = evaluation.metadata.get("acknowledged")
        detail = failed.value if failed is not None and not evaluation.passed else ""
        if acknowledged is not None and acknowledged.value:
            detail += " (acknowledged)"
        lines.append(
            CheckLine(
                evaluation.asset_key.to_user_string(),
                evaluation.check_name,
                status,
                _count(evaluation.metadata),
                detail,
            )
        )
    order = {"error": 0, "warning": 1, "passed": 2}
    return sorted(lines, key=lambda c: (order[c.status], c.asset, c.check))


def tally(lines: list[CheckLine]) -> dict[str, int]:
    """How many checks passed, warned and failed with an error."""
    return {s: sum(c.status == s for c in lines) for s in ("passed", "warning", "error")}


def render_checks(lines: list[CheckLine], every: bool = False) -> str:
    """How many checks passed, warned and failed, then each check that did not pass (`every`:
    each check)."""
    counts = tally(lines)
    out = [
        f"Checks: {len(lines)} ({counts['passed']} passed, {counts['warning']} warnings, "
        f"{counts['error']} errors)"
    ]
    for line in lines if every else [c for c in lines if c.status != "passed"]:
        count = "" if line.count is None else f"{line.count:>9,}"
        detail = line.detail if every or len(line.detail) <= 100 else line.detail[:97] + "..."
        out.append(f"  {line.status:<8} {count:>9}  {line.name}  {detail}".rstrip())
    return "\n".join(out)


def md_table(header: list[str], rows: list[list[object]]) -> str:
    """A Markdown table; a `|` or a line break inside a cell is escaped, so no cell breaks a row."""

    def cell(value: object) -> str:
        text = "" if value is None else str(value)
        return text.replace("|", "\\|").replace("\n", "<br>")

    lines = [header, ["---"] * len(header), *rows]
    return "\n".join("| " + " | ".join(cell(v) for v in line) + " |" for line in lines)


def write_check_list(path: Path, lines: list[CheckLine], header: list[str]) -> None:
    """Every check of the run with its result, count and detail, as a Markdown file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [[c.status, f"`{c.asset}`", c.check, c.count, c.detail] for c in lines]
    table = md_table(["result", "asset", "check", "count", "detail"], rows)
    path.write_text("\n".join(["# Cadence run summary", "", *header, "", table, ""]))
