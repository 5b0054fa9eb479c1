"""The report's funnel and attribution charts, from the published (masked) marts."""

from __future__ import annotations

import duckdb
import plotly.graph_objects as go

from orchestration.cli.journey_queries import ATTRIBUTION_MODELS, channel_credit, funnel_stages
from orchestration.reporting.figures import LAYOUT


def funnel(con: duckdb.DuckDBPyConnection) -> go.Figure:
    closed, rows = funnel_stages(con)
    figure = go.Figure()
    for channel in sorted({r[0] for r in rows}):
        stages = [r for r in rows if r[0] == channel]
        figure.add_funnel(
            name=channel,
            y=[r[1].replace("_", " ") for r in stages],
            x=[r[2] for r in stages],
            textinfo="value+percent previous",
        )
    cohorts = "cohorts whose window has closed" if closed else "every cohort, all still open"
    return figure.update_layout(
        title=f"Funnel by first-touch channel ({cohorts}; % of the previous stage)", **LAYOUT
    )


def channel_credit_by_model(con: duckdb.DuckDBPyConnection) -> go.Figure:
    rows = channel_credit(con)
    channels = sorted({r[1] for r in rows})
    figure = go.Figure()
    for model in ATTRIBUTION_MODELS:
        shares = {r[1]: r[3] for r in rows if r[0] == model}
        figure.add_bar(x=channels, y=[shares.get(c, 0) for c in channels], name=model)
    return figure.update_layout(
        title="Channel credit under each attribution model (share of paid revenue)",
        yaxis_tickformat=".0%",
        barmode="group",
        **LAYOUT,
    )
