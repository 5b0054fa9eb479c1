"""One self-contained HTML file of the published marts: charts (Plotly, its script embedded, so
it opens without a network), the top of the follow-up queue and the run's data-quality status."""

from __future__ import annotations

import html
from pathlib import Path

import duckdb

from orchestration.cli.check_report import CheckLine, tally
from orchestration.cli.mart_queries import email_campaigns, followup_top
from orchestration.reporting import figures, journey_figures

QUEUE_ROWS = 20
EMAIL_CAMPAIGNS = 12
STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1200px; color: #222; }
h1 { margin-bottom: 0.2rem; } .meta { color: #666; margin-top: 0; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; margin-bottom: 2rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.3rem 0.5rem; text-align: left; }
.error { color: #b00020; font-weight: 600; } .warning { color: #a05a00; }
.passed { color: #2e7d32; }
.chart { margin-bottom: 1.5rem; }
"""


def _table(header: list[str], rows: list[tuple], classes: list[str] | None = None) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        cls = f' class="{classes[i]}"' if classes else ""
        cells = "".join(f"<td>{html.escape('' if v is None else str(v))}</td>" for v in row)
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def followup_table(con: duckdb.DuckDBPyConnection) -> str:
    rows = [(*row[:6], round(row[6], 1), row[7]) for row in followup_top(con, QUEUE_ROWS)]
    header = ["rep", "rank", "customer", "tier", "segment", "status", "days overdue", "last touch"]
    return _table(header, rows)


def _percent(rate: float | None) -> str:
    return "-" if rate is None else f"{rate:.1%}"


def email_campaign_table(con: duckdb.DuckDBPyConnection) -> str:
    rows = [
        (
            campaign,
            f"{first} to {last}" if first != last else str(first),
            sent,
            delivered,
            *[_percent(rate) for rate in rates],
            unsubscribes,
            _percent(bounce_rate),
        )
        for campaign, first, last, sent, delivered, *rates, unsubscribes, bounce_rate in (
            email_campaigns(con, EMAIL_CAMPAIGNS)
        )
    ]
    header = [
        "campaign",
        "sent on",
        "sent",
        "delivered",
        "opened by people",
        "opened, proxies included",
        "machine share of opens",
        "clicked",
        "click-to-open",
        "replied",
        "unsubscribes",
        "bounced",
    ]
    note = (
        "<p>The newest campaigns. Opens by people leave out opens fired by mail privacy "
        "proxies (an open within seconds of delivery: the proxy fetched the images, nobody read "
        "the message); the next column is what an email platform would report. Rates of "
        "opens, clicks and replies are of delivered messages, click-to-open of messages people "
        "opened, bounces of messages sent. The response rates of the channel chart count no "
        "machine open either.</p>"
    )
    return note + (_table(header, rows) if rows else "<p>No email campaign yet.</p>")


def quality_table(checks: list[CheckLine]) -> str:
    counts = tally(checks)
    summary = (
        f"<p>{len(checks)} checks: {counts['passed']} passed, {counts['warning']} warnings, "
        f"{counts['error']} errors.</p>"
    )
    shown = [c for c in checks if c.status != "passed"]
    rows = [(c.status, c.asset, c.check, c.count, c.detail) for c in shown]
    table = _table(["result", "asset", "check", "count", "detail"], rows, [c.status for c in shown])
    return summary + (table if shown else "<p>Every check passed.</p>")


def render_report(published_file: Path, checks: list[CheckLine], links: dict[str, str]) -> str:
    con = duckdb.connect(str(published_file), read_only=True)
    try:
        version, run_id, as_of, published_at, currency = con.execute(
            """SELECT version, run_id, as_of_date, published_at, reporting_currency
            FROM meta.publication"""
        ).fetchone()
        charts = [
            figures.rfm_segments(con, currency),
            figures.cadence_by_tier(con),
            figures.weekday_hour_heatmaps(con, "Asia/Shanghai"),
            figures.channel_rates(con),
            figures.monthly_trend(con, as_of),
            journey_figures.funnel(con),
            journey_figures.channel_credit_by_model(con),
            figures.risk_moves(con, as_of),
            figures.p_alive_by_segment(con),
            figures.holdout_calibration(con),
        ]
        queue = followup_table(con)
        campaigns = email_campaign_table(con)
    finally:
        con.close()
    chart_html = "".join(
        f'<div class="chart">{c.to_html(full_html=False, include_plotlyjs=(i == 0))}</div>'
        for i, c in enumerate(charts)
    )
    link_html = " · ".join(
        f'<a href="{html.escape(target)}">{html.escape(name)}</a>' for name, target in links.items()
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Cadence report, as of {as_of}</title>
<style>{STYLE}</style></head><body>
<h1>Cadence, as of {html.escape(str(as_of))}</h1>
<p class="meta">Published version {html.escape(version)} (run {html.escape(run_id)}, at
{published_at:%Y-%m-%d %H:%M:%S} UTC). Money in {html.escape(currency)}. Personal data masked as in
the published file. {link_html}</p>
{chart_html}
<h2>Email campaigns</h2>
{campaigns}
<h2>Top of the follow-up queue</h2>
{queue}
<h2>Data quality of this run</h2>
{quality_table(checks)}
</body></html>
"""
