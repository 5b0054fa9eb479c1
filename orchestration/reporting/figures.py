"""The report's charts, from the published (masked) marts: what readers see, drawn."""

from __future__ import annotations

import calendar
import datetime as dt

import duckdb
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from orchestration.cli.mart_queries import (
    RISK_MOVES_WEEKS,
    rfm_segment_sizes,
    risk_moves_by_week,
)

WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
# Plotly's first two colours, fixed so that a series and its partial month share one.
TOUCHES_COLOR, ORDERS_COLOR = "#1f77b4", "#ff7f0e"
LAYOUT = {"margin": {"l": 60, "r": 20, "t": 50, "b": 50}, "height": 380, "template": "plotly_white"}


def rfm_segments(con: duckdb.DuckDBPyConnection, currency: str) -> go.Figure:
    rows = rfm_segment_sizes(con)
    segments = [r[0] for r in rows]
    figure = make_subplots(
        rows=1, cols=2, subplot_titles=("Customers", f"Revenue, {currency} (RFM window)")
    )
    figure.add_bar(x=segments, y=[r[1] for r in rows], name="customers", row=1, col=1)
    figure.add_bar(x=segments, y=[r[2] for r in rows], name="revenue", row=1, col=2)
    return figure.update_layout(title="RFM segments", showlegend=False, **LAYOUT)


def cadence_by_tier(con: duckdb.DuckDBPyConnection) -> go.Figure:
    rows = con.execute(
        """SELECT tier, cadence_status, count(*) FROM marts.mart_customer_cadence
        GROUP BY ALL ORDER BY tier, cadence_status"""
    ).fetchall()
    tiers = sorted({r[0] for r in rows})
    figure = go.Figure()
    for status in ("over_contacted", "on_track", "due_soon", "neglected"):
        counts = {r[0]: r[2] for r in rows if r[1] == status}
        figure.add_bar(x=tiers, y=[counts.get(t, 0) for t in tiers], name=status)
    return figure.update_layout(
        title="Cadence status by tier", barmode="stack", xaxis_title="tier", **LAYOUT
    )


def weekday_hour_heatmaps(con: duckdb.DuckDBPyConnection, timezone: str) -> go.Figure:
    # Counted per quarter hour (UTC) before the local time is looked up: converting every
    # interaction took 2.6 s of the 10M day's report, the same counts per quarter hour 0.4 s.
    # Exact wherever the zone's offset is a whole number of quarter hours and its clock changes
    # fall on a quarter hour (every zone of today's tz database; a few changed at 00:01 until
    # 2011), so all of a quarter hour's interactions share its local weekday and hour.
    rows = con.execute(
        """SELECT isodow(local_time) AS weekday, hour(local_time) AS hour,
            sum(touches)::BIGINT AS touches, sum(responses)::BIGINT AS responses
        FROM (
            SELECT timezone(?, timezone('UTC', quarter_hour)) AS local_time, touches, responses
            FROM (
                SELECT time_bucket(INTERVAL 15 MINUTE, occurred_at) AS quarter_hour,
                    count(*) FILTER (is_touch) AS touches,
                    count(*) FILTER (is_response) AS responses
                FROM marts.fct_interactions GROUP BY ALL
            )
        ) GROUP BY ALL""",
        [timezone],
    ).fetchall()
    grids = {name: [[0] * 24 for _ in WEEKDAYS] for name in ("touches", "responses")}
    for weekday, hour, touches, responses in rows:
        grids["touches"][weekday - 1][hour] = touches
        grids["responses"][weekday - 1][hour] = responses
    figure = make_subplots(rows=1, cols=2, subplot_titles=("Touches (ours)", "Responses (theirs)"))
    for col, name in enumerate(("touches", "responses"), start=1):
        figure.add_heatmap(
            z=grids[name],
            x=list(range(24)),
            y=WEEKDAYS,
            coloraxis="coloraxis" if col == 1 else "coloraxis2",
            row=1,
            col=col,
        )
    return figure.update_layout(
        title=f"When we touch and when they respond (weekday x hour, {timezone})",
        coloraxis={"colorscale": "Blues", "showscale": False},
        coloraxis2={"colorscale": "Oranges", "showscale": False},
        **LAYOUT,
    )


def channel_rates(con: duckdb.DuckDBPyConnection) -> go.Figure:
    rows = con.execute(
        """SELECT channel, sum(touches) AS touches,
            sum(responses) / nullif(sum(touches), 0) AS response_rate,
            sum(touches_with_order_30d) FILTER (is_window_complete)
                / nullif(sum(touches) FILTER (is_window_complete), 0) AS conversion_rate_30d
        FROM marts.mart_channel_effectiveness GROUP BY ALL ORDER BY response_rate DESC"""
    ).fetchall()
    channels = [r[0] for r in rows]
    figure = go.Figure()
    figure.add_bar(x=channels, y=[r[2] for r in rows], name="response rate")
    figure.add_bar(x=channels, y=[r[3] for r in rows], name="paid order within 30 days")
    return figure.update_layout(
        title="Response and conversion rate by channel (email: privacy-proxy opens not counted)",
        yaxis_tickformat=".0%",
        barmode="group",
        **LAYOUT,
    )


def monthly_trend(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> go.Figure:
    """Touches and orders per month up to the as-of month. Unless the as-of date ends its month,
    that month holds only the days so far: it is drawn dashed and labelled with them, so that it
    does not read as a drop."""
    rows = con.execute(
        """SELECT month_start, sum(touches), sum(orders) FROM marts.mart_customer_monthly
        WHERE month_start <= ? GROUP BY ALL ORDER BY month_start""",
        [as_of],
    ).fetchall()
    days_in_month = calendar.monthrange(as_of.year, as_of.month)[1]
    is_partial = bool(rows) and rows[-1][0] == as_of.replace(day=1) and as_of.day < days_in_month
    complete = rows[:-1] if is_partial else rows
    partial_label = f"{as_of:%b %Y}: {as_of.day} of {days_in_month} days so far"
    figure = make_subplots(specs=[[{"secondary_y": True}]])
    for column, name, color, secondary in (
        (1, "touches", TOUCHES_COLOR, False),
        (2, "orders", ORDERS_COLOR, True),
    ):
        figure.add_scatter(
            x=[r[0] for r in complete],
            y=[r[column] for r in complete],
            name=name,
            mode="lines+markers",
            line={"color": color},
            legendgroup=name,
            secondary_y=secondary,
        )
        if is_partial:
            # From the last complete month (if any) to the partial one, dashed; an open marker.
            tail = rows[-2:]
            figure.add_scatter(
                x=[r[0] for r in tail],
                y=[r[column] for r in tail],
                name=f"{name}, {partial_label}",
                mode="lines+markers",
                line={"color": color, "dash": "dash"},
                marker={"symbol": ["circle"] * (len(tail) - 1) + ["circle-open"], "size": 9},
                legendgroup=name,
                secondary_y=secondary,
            )
    if is_partial:
        figure.add_annotation(
            x=rows[-1][0], y=1.0, yref="paper", text=partial_label, showarrow=False, yshift=10
        )
    figure.update_xaxes(dtick="M1", tickformat="%b %Y")  # one tick per month, not per fortnight
    figure.update_yaxes(title_text="touches", secondary_y=False)
    figure.update_yaxes(title_text="orders", secondary_y=True)
    return figure.update_layout(title="Monthly touches and orders", **LAYOUT)


def risk_moves(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> go.Figure:
    """Customers entering (up) and leaving (down) each risk tag per week, over the last
    RISK_MOVES_WEEKS weeks: stacked bars from mart_tag_transitions. Moves exist only between
    runs, so a warehouse with one as-of date says so instead of drawing nothing."""
    rows = risk_moves_by_week(con, as_of, RISK_MOVES_WEEKS)
    this_week = as_of - dt.timedelta(days=as_of.weekday())
    weeks = [this_week - dt.timedelta(weeks=n) for n in range(RISK_MOVES_WEEKS - 1, -1, -1)]
    figure = go.Figure()
    for direction, sign in (("into", 1), ("out of", -1)):
        for tag in sorted({r[2] for r in rows if r[1] == direction}):
            counts = {r[0]: r[3] for r in rows if r[1] == direction and r[2] == tag}
            figure.add_bar(
                x=weeks, y=[sign * counts.get(w, 0) for w in weeks], name=f"{direction} {tag}"
            )
    if not rows:
        (first,) = con.execute(
            "SELECT min(valid_from) FROM marts.mart_customer_tag_history"
        ).fetchone()
        figure.add_annotation(
            text=f"No moves into or out of risk tags in these weeks (tag history from {first})",
            x=0.5,
            y=0.5,
            xref="paper",
            yref="paper",
            showarrow=False,
        )
    return figure.update_layout(
        title=f"Moves into (up) and out of (down) risk tags, last {RISK_MOVES_WEEKS} weeks",
        barmode="relative",
        xaxis={"tickformat": "%d %b", "tickvals": weeks},
        yaxis_title="customers",
        **LAYOUT,
    )


def p_alive_by_segment(con: duckdb.DuckDBPyConnection) -> go.Figure:
    """Box plots drawn from quartiles computed in the file, not from every customer's value:
    the report stays small at a million customers."""
    rows = con.execute(
        """SELECT rfm.rfm_segment, min(clv.p_alive), quantile_cont(clv.p_alive, 0.25),
            median(clv.p_alive), quantile_cont(clv.p_alive, 0.75), max(clv.p_alive),
            avg(clv.p_alive), count(*)
        FROM marts.mart_customer_lifetime_value AS clv
        JOIN marts.mart_customer_rfm AS rfm USING (customer_key)
        GROUP BY ALL ORDER BY 4 DESC, 1"""
    ).fetchall()
    figure = go.Figure()
    if not rows:
        return figure.update_layout(
            title="P(alive) by RFM segment: BG/NBD not fitted, too few repeat buyers (the "
            "reason is in mart_clv_model_fit)",
            **LAYOUT,
        )
    figure.add_box(
        x=[f"{r[0]} ({r[7]:,})" for r in rows],
        lowerfence=[r[1] for r in rows],
        q1=[r[2] for r in rows],
        median=[r[3] for r in rows],
        q3=[r[4] for r in rows],
        upperfence=[r[5] for r in rows],
        mean=[r[6] for r in rows],
        name="P(alive)",
    )
    return figure.update_layout(
        title="P(alive) by RFM segment (BG/NBD; customers in brackets)",
        yaxis={"title": "P(alive)", "range": [0, 1.02]},
        showlegend=False,
        **LAYOUT,
    )


def holdout_calibration(con: duckdb.DuckDBPyConnection) -> go.Figure:
    rows = con.execute(
        """SELECT calibration_frequency, is_capped, customers, actual_holdout_purchases,
            predicted_holdout_purchases, calibration_end_date, holdout_days
        FROM marts.mart_clv_holdout_calibration ORDER BY calibration_frequency"""
    ).fetchall()
    figure = go.Figure()
    if not rows:
        return figure.update_layout(
            title="Predicted vs actual repeat purchases in the holdout: too few customers "
            "repeated a purchase before the holdout to fit BG/NBD (clv_min_repeat_buyers)",
            **LAYOUT,
        )
    labels = [f"{r[0]}{'+' if r[1] else ''} ({r[2]:,})" for r in rows]
    figure.add_scatter(x=labels, y=[r[3] for r in rows], name="actual", mode="lines+markers")
    figure.add_scatter(
        x=labels, y=[r[4] for r in rows], name="predicted (BG/NBD)", mode="lines+markers"
    )
    return figure.update_layout(
        title=f"Calibration: mean repeat purchases in the {rows[0][6]} days after "
        f"{rows[0][5]}, by repeat purchases up to it (customers in brackets)",
        xaxis_title="repeat purchase days in the calibration period",
        yaxis_title="mean purchase days in the holdout",
        **LAYOUT,
    )
