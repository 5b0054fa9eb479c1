"""The HTML report, rendered in a real browser (headless Chromium, installed by .ci/run)."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest

from orchestration.reporting.figures import monthly_trend, weekday_hour_heatmaps

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHARTS = 10
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
    assert "Money in CNY" in report and "Revenue, CNY (RFM window)" in report
    assert "<h2>Email campaigns</h2>" in report and "<th>opened by people</th>" in report
    assert "<td>CMP-" in report  # the campaign table has rows


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


def monthly_figure(as_of: dt.date):
    """The monthly chart over April to July, as of `as_of`."""
    con = duckdb.connect()
    con.execute(
        """CREATE SCHEMA marts;
        CREATE TABLE marts.mart_customer_monthly AS SELECT * FROM (VALUES
            (DATE '2026-04-01', 300, 30), (DATE '2026-05-01', 310, 31),
            (DATE '2026-06-01', 170, 17), (DATE '2026-07-01', 5, 1)
        ) AS m(month_start, touches, orders)"""
    )
    return monthly_trend(con, as_of)


def test_the_as_of_month_is_drawn_partial_with_its_days_so_far():
    figure = monthly_figure(dt.date(2026, 6, 17))
    solid = [t for t in figure.data if t.line.dash is None]
    dashed = [t for t in figure.data if t.line.dash == "dash"]
    april, may, june = dt.date(2026, 4, 1), dt.date(2026, 5, 1), dt.date(2026, 6, 1)
    assert [(t.name, list(t.x)) for t in solid] == [
        ("touches", [april, may]),
        ("orders", [april, may]),
    ]
    # June continues the lines dashed, and says how many of its days it holds.
    assert [(list(t.x), list(t.y)) for t in dashed] == [
        ([may, june], [310, 170]),
        ([may, june], [31, 17]),
    ]
    assert all("Jun 2026: 17 of 30 days so far" in t.name for t in dashed)
    assert [a.text for a in figure.layout.annotations] == ["Jun 2026: 17 of 30 days so far"]


def test_a_month_the_as_of_date_ends_is_drawn_complete():
    figure = monthly_figure(dt.date(2026, 6, 30))
    assert [t.line.dash for t in figure.data] == [None, None]
    assert [list(t.x)[-1] for t in figure.data] == [dt.date(2026, 6, 1)] * 2  # July is later
    assert not figure.layout.annotations


@pytest.mark.parametrize("timezone", ["Europe/Berlin", "Asia/Kathmandu", "America/St_Johns"])
def test_the_weekday_hour_heatmaps_count_each_interaction_at_its_local_time(timezone):
    """Counted per quarter hour before the local time is looked up, yet each interaction falls
    in its own local weekday and hour: across daylight-saving changes, and where the offset is
    not whole hours (+05:45, and -02:30 in St. John's summer time)."""
    start = dt.datetime(2026, 3, 27)  # Berlin moves to summer time on the 29th at 01:00 UTC
    stamps = [start + dt.timedelta(minutes=7 * i) for i in range(2000)]  # about 10 days
    con = duckdb.connect()
    con.execute(
        "CREATE SCHEMA marts; CREATE TABLE marts.fct_interactions "
        "(occurred_at TIMESTAMP, is_touch BOOLEAN, is_response BOOLEAN)"
    )
    rows = [(stamp, i % 3 == 0, i % 5 == 0) for i, stamp in enumerate(stamps)]
    con.executemany("INSERT INTO marts.fct_interactions VALUES (?, ?, ?)", rows)

    figure = weekday_hour_heatmaps(con, timezone)

    expected = {name: [[0] * 24 for _ in range(7)] for name in ("touches", "responses")}
    zone = ZoneInfo(timezone)
    for stamp, is_touch, is_response in rows:
        local = stamp.replace(tzinfo=dt.UTC).astimezone(zone)
        expected["touches"][local.isoweekday() - 1][local.hour] += is_touch
        expected["responses"][local.isoweekday() - 1][local.hour] += is_response
    touches, responses = (trace.z for trace in figure.data)
    assert [list(row) for row in touches] == expected["touches"]
    assert [list(row) for row in responses] == expected["responses"]
