"""The HTML report, rendered in a real browser (headless Chromium, installed by .ci/run)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHARTS = 7
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium not installed (.ci/run installs Debian's chromium)"
)


def chromium(page: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
            # Let the embedded scripts run to completion before dumping or capturing.
            "--virtual-time-budget=20000",
            *args,
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )


def console_errors(stderr: str) -> list[str]:
    return [
        line
        for line in stderr.splitlines()
        if ":CONSOLE" in line and re.search(r"Uncaught|Error", line)
    ]


@needs_chromium
def test_console_errors_are_detected(tmp_path):
    broken = tmp_path / "broken.html"
    broken.write_text("<html><body><script>notDefined()</script></body></html>")
    assert console_errors(chromium(broken, "--dump-dom").stderr)


def test_report_is_self_contained(pipeline):
    report = (pipeline.home / "published" / "report.html").read_text()
    assert not re.search(r"<script[^>]+src=", report)  # Plotly is embedded, not fetched
    assert "Top of the follow-up queue" in report
    assert "Data quality of this run" in report
    assert "raw/email__events" in report  # the acknowledged gap is listed as a warning


@needs_chromium
def test_report_renders_every_chart_without_console_errors(pipeline, tmp_path):
    report = pipeline.home / "published" / "report.html"
    rendered = chromium(report, "--dump-dom")
    assert console_errors(rendered.stderr) == []
    charts = re.findall(r'<div class="chart">', rendered.stdout)
    drawn = re.findall(r'<svg class="main-svg"', rendered.stdout)
    assert len(charts) == CHARTS
    assert len(drawn) >= CHARTS  # Plotly draws at least one SVG per chart
    screenshot = tmp_path / "report.png"
    chromium(report, "--window-size=1280,3000", f"--screenshot={screenshot}")
    assert screenshot.read_bytes().startswith(b"\x89PNG")
    assert screenshot.stat().st_size > 100_000  # charts, not a blank page
