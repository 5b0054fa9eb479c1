"""What a run left in the warehouse, printed for people: rows per layer, rejects, file problems,
identity and the marts in full (`render`, what `python -m orchestration.cli summary` prints), and
after a run both the full text it keeps and the few lines it prints (`render_both`, which
queries each section once).
When Spark built the models, the layers after raw are read from its Parquet tables."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from pathlib import Path

import duckdb

from orchestration.cli.journey_summary import journey_lines
from orchestration.cli.mart_queries import (
    clv_fits,
    email_totals,
    followup_top,
    rfm_segment_sizes,
    value_at_risk_top,
)
from orchestration.cli.tag_summary import tag_lines
from orchestration.project import dbt_project
from orchestration.publishing.built_marts import parquet_scan
from orchestration.publishing.currency import reporting_currency
from sources.generator.identity_quality import match_rates
from sources.sql import quote_identifier, quote_literal

LAYERS = ("raw", "staging", "intermediate", "marts")


def table_counts(
    con: duckdb.DuckDBPyConnection, views_are_tables: bool = False
) -> list[tuple[str, str, int]]:
    """(layer, table, rows) of every table of the layers. Views are left out, as Spark's
    warehouse has none: counting one computes it (the identity graph's edges,
    int_record_links_screened, took 0.49 s of 0.56 s for all at 10M). Unless
    `views_are_tables`: Spark's tables are read through views (`_connect`)."""
    counted = "true" if views_are_tables else "table_type = 'BASE TABLE'"
    tables = con.execute(
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_schema IN ('raw', 'staging', 'intermediate', 'marts') "
        f"AND {counted} AND table_catalog = current_database() "
        "ORDER BY table_schema, table_name"
    ).fetchall()
    counts = [
        (schema, name, con.execute(f'SELECT count(*) FROM "{schema}"."{name}"').fetchone()[0])
        for schema, name in tables
    ]
    return sorted(counts, key=lambda row: (LAYERS.index(row[0]), row[1]))


def layer_totals(counts: list[tuple[str, str, int]]) -> list[tuple[str, int, int]]:
    """(layer, tables, rows) per layer, in pipeline order."""
    return [
        (layer, len(rows), sum(rows))
        for layer in LAYERS
        if (rows := [n for schema, _, n in counts if schema == layer])
    ]


def rejects_by_reason(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(
        """SELECT entity, coalesce(column_name, '(row)') AS column_name,
            regexp_replace(reason, '\\[.*\\]', '[...]') AS reason, count(*) AS rows
        FROM raw.rejects GROUP BY ALL ORDER BY rows DESC, entity, column_name, reason"""
    ).fetchall()


def file_problems(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(
        "SELECT entity, _dt, status, message FROM raw.load_log "
        "WHERE status NOT IN ('loaded', 'no_rows') ORDER BY _dt, entity, source_file, status"
    ).fetchall()


def identity_lines(con: duckdb.DuckDBPyConnection, truth_dir: Path | None) -> list[str]:
    people, crm, email, orders, duplicated = con.execute(
        """SELECT count(*) FILTER (NOT is_unresolved_bucket),
            count(*) FILTER (is_in_crm), count(*) FILTER (is_in_email),
            count(*) FILTER (is_in_orders AND NOT is_unresolved_bucket),
            count(*) FILTER (crm_record_count > 1)
        FROM marts.dim_customer"""
    ).fetchone()
    unresolved = con.execute(
        """SELECT (SELECT count(*) FROM intermediate.int_orders_resolved WHERE is_unresolved),
            (SELECT count(*) FROM intermediate.int_activities_resolved WHERE is_unresolved),
            (SELECT count(*) FROM intermediate.int_email_events_resolved WHERE is_unresolved),
            (SELECT count(*) FROM marts.mart_junk_identifiers)"""
    ).fetchone()
    lines = [
        f"Unified customers: {people:,} ({crm:,} in CRM, {email:,} in email, {orders:,} with "
        f"orders; {duplicated:,} had duplicate CRM records)",
        f"  unresolved bucket: {unresolved[0]:,} orders, {unresolved[1]:,} activities, "
        f"{unresolved[2]:,} email events; {unresolved[3]:,} junk identifiers not used to link "
        "(marts.mart_junk_identifiers)",
    ]
    if truth_dir:
        rates = match_rates(con, truth_dir)
        lines.append(
            f"  match rates against the sample's truth: precision {rates.precision:.4f} "
            f"({rates.true_pairs_predicted:,}/{rates.predicted_pairs:,} pairs), recall "
            f"{rates.recall:.4f} ({rates.linkable_pairs_found:,}/{rates.linkable_pairs:,} "
            f"linkable pairs; {rates.recall_of_all_pairs:.4f} of all "
            f"{rates.same_person_pairs:,} same-person pairs)"
        )
    return lines


def marts_lines(con: duckdb.DuckDBPyConnection, queue_rows: int = 8) -> list[str]:
    as_of = con.execute("SELECT max(as_of_date) FROM marts.mart_customer_cadence").fetchone()[0]
    currency = reporting_currency(dbt_project.manifest_path)
    lines = [f"RFM segments as of {as_of} (marts.mart_customer_rfm):"]
    lines += [
        f"  {segment:<20} {customers:>8,} customers  {revenue:>16,.2f} {currency} in the window"
        for segment, customers, revenue in rfm_segment_sizes(con)
    ]
    lines.append("Cadence status per tier (marts.mart_customer_cadence):")
    lines += [
        f"  tier {tier}: {neglected:>7,} neglected {due:>7,} due soon {on_track:>7,} on track "
        f"{over:>7,} over-contacted; {declining:,} declining, {bursts:,} recent bursts"
        for tier, neglected, due, on_track, over, declining, bursts in con.execute(
            """SELECT tier,
                count(*) FILTER (cadence_status = 'neglected'),
                count(*) FILTER (cadence_status = 'due_soon'),
                count(*) FILTER (cadence_status = 'on_track'),
                count(*) FILTER (cadence_status = 'over_contacted'),
                count(*) FILTER (is_declining), count(*) FILTER (has_recent_burst)
            FROM marts.mart_customer_cadence GROUP BY tier ORDER BY tier"""
        ).fetchall()
    ]
    lines.append("Top of the follow-up queue (marts.mart_followup_queue, by priority):")
    lines += [
        f"  {rep} #{rank:<3} {name or '(no name)':<12} tier {tier} {status:<9} "
        f"{overdue:>6.1f} days overdue, last touch {channel or '-'}"
        for rep, rank, name, tier, _, status, overdue, channel in followup_top(con, queue_rows)
    ]
    return lines + lifetime_value_lines(con, queue_rows)


def lifetime_value_lines(con: duckdb.DuckDBPyConnection, queue_rows: int) -> list[str]:
    """The fitted buy-till-you-die models and the top of the queue by value at risk."""
    currency = reporting_currency(dbt_project.manifest_path)
    lines = ["Lifetime value models fitted (marts.mart_clv_model_fit, days):"]
    lines += [
        f"  {model:<12} not fitted: {not_fitted}"
        if not_fitted
        else f"  {model:<12} "
        + ", ".join(f"{name} = {value:.4g}" for name, value in params.items())
        + f"; log-likelihood {log_likelihood:,.1f} over {customers:,} customers"
        for model, not_fitted, params, log_likelihood, customers in clv_fits(con)
    ]
    lines.append("Top of the follow-up queue by value at risk (clv_12m x (1 - p_alive)):")
    lines += [
        f"  {rep} #{rank:<3} {name or '(no name)':<12} {segment:<20} P(alive) "
        f"{'-' if alive is None else f'{alive:.2f}'}, CLV 12m {clv or 0:>10,.0f} {currency}, "
        f"at risk {at_risk:>10,.0f} {currency}"
        for rep, rank, name, segment, alive, clv, at_risk in value_at_risk_top(con, queue_rows)
    ]
    return lines


def email_campaign_lines(con: duckdb.DuckDBPyConnection) -> list[str]:
    """One line: the campaigns' rates, opens by people apart from privacy proxies' opens."""
    totals = email_totals(con)
    campaigns, days, sent, delivered, opened, opened_any, machine, _, to_open = totals[:9]
    if not campaigns:
        return ["Email campaigns (marts.mart_email_campaigns): none"]
    return [
        f"Email campaigns (marts.mart_email_campaigns): {campaigns:,} campaigns over {days:,} "
        f"send days, {sent:,} sent, {delivered:,} delivered; people opened {opened:.1%} of "
        f"delivered ({opened_any:.1%} with privacy-proxy opens, {machine:.1%} of opens), "
        f"click-to-open {to_open or 0:.1%}"
    ]


def has_table(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    return (
        con.execute(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema = ? AND table_name = ? AND table_catalog = current_database()",
            [schema, name],
        ).fetchone()[0]
        > 0
    )


def _connect(warehouse: Path, spark_warehouse: Path | None) -> duckdb.DuckDBPyConnection:
    """The warehouse file read-only; when Spark built the models (`spark_warehouse`, its
    spark.sql.warehouse.dir), a database in memory with views of the file's raw tables and of
    Spark's tables of the other layers (`<layer>.db/<table>/`), under the same names."""
    if spark_warehouse is None:
        return duckdb.connect(str(warehouse), read_only=True)
    con = duckdb.connect()
    con.execute(f"ATTACH {quote_literal(str(warehouse))} AS duckdb_file (READ_ONLY)")
    con.execute("CREATE SCHEMA raw")
    raw_tables = con.execute(
        "SELECT table_name FROM duckdb_tables() "
        "WHERE database_name = 'duckdb_file' AND schema_name = 'raw'"
    ).fetchall()
    for (table,) in raw_tables:
        name = quote_identifier(table)
        con.execute(f"CREATE VIEW raw.{name} AS SELECT * FROM duckdb_file.raw.{name}")
    for layer in LAYERS[1:]:
        con.execute(f"CREATE SCHEMA {layer}")
        folder = spark_warehouse / f"{layer}.db"
        for table in sorted(p for p in folder.glob("*") if p.is_dir()):
            view = f"{layer}.{quote_identifier(table.name)}"
            con.execute(f"CREATE VIEW {view} AS SELECT * FROM {parquet_scan(table)}")
    return con


def _read(
    warehouse: Path,
    truth_dir: Path | None,
    spark_warehouse: Path | None,
    *texts: Callable[[_Sections], str],
) -> list[str]:
    """Each of `texts` from the sections of one connection to the warehouse, or for each why it
    cannot be read."""
    if not warehouse.exists():
        return [f"no warehouse at {warehouse}"] * len(texts)
    try:
        con = _connect(warehouse, spark_warehouse)
    except duckdb.IOException as error:
        return [f"summary skipped: cannot read {warehouse} ({error})"] * len(texts)
    try:
        sections = _Sections(con, truth_dir, on_spark=spark_warehouse is not None)
        return [text(sections) for text in texts]
    finally:
        con.close()


def _problem_lines(con: duckdb.DuckDBPyConnection, shown: int | None) -> list[str]:
    """Rejected rows by reason and file problems, the first `shown` of each (None: all)."""
    if not has_table(con, "raw", "rejects"):
        return []
    rejected = con.execute("SELECT count(*) FROM raw.rejects").fetchone()[0]
    rejects = rejects_by_reason(con)
    problems = file_problems(con)
    lines = [f"Rejected rows: {rejected:,} (kept in raw.rejects with file, line, column, reason)"]
    lines += [f"  {e:<15} {c:<18} {n:>8,}  {r}" for e, c, r, n in rejects[:shown]]
    if shown is not None and len(rejects) > shown:
        lines.append(f"  ... {len(rejects) - shown} more reasons in raw.rejects")
    lines.append(f"File problems: {len(problems):,} (raw.load_log)")
    lines += [f"  {d} {e:<15} {s:<18} {m}" for e, d, s, m in problems[:shown]]
    if shown is not None and len(problems) > shown:
        lines.append(f"  ... {len(problems) - shown} more in raw.load_log")
    return lines


class _Sections:
    """The summary's sections over one connection, each queried once however many texts show
    it: at 10M rows, counting every table took 0.85 s."""

    def __init__(self, con: duckdb.DuckDBPyConnection, truth_dir: Path | None, on_spark: bool):
        self.con, self.truth_dir, self.on_spark = con, truth_dir, on_spark

    def _if_built(
        self, mart: str, lines: Callable[[duckdb.DuckDBPyConnection], list[str]]
    ) -> list[str]:
        """The section's lines, or none while the warehouse holds no `mart`."""
        return lines(self.con) if has_table(self.con, "marts", mart) else []

    @cached_property
    def counts(self) -> list[tuple[str, str, int]]:
        return table_counts(self.con, views_are_tables=self.on_spark)

    @cached_property
    def tags(self) -> list[str]:
        return self._if_built("mart_tag_transitions", tag_lines)

    @cached_property
    def campaigns(self) -> list[str]:
        return self._if_built("mart_email_campaigns", email_campaign_lines)

    @cached_property
    def journeys(self) -> list[str]:
        return self._if_built("mart_channel_attribution", journey_lines)

    def full(self) -> str:
        """Everything: the rows of each table, every problem, identity and the marts."""
        out = ["Rows per layer:"]
        out += [f"  {s + '.' + n:<40} {rows:>12,}" for s, n, rows in self.counts]
        out += _problem_lines(self.con, shown=None)
        out += self._if_built("dim_customer", lambda con: identity_lines(con, self.truth_dir))
        out += self._if_built("mart_followup_queue", marts_lines)
        return "\n".join([*out, *self.tags, *self.campaigns, *self.journeys])

    def short(self, shown: int) -> str:
        """Rows per layer and the problems, `shown` lines of each kind at most; a line per tag,
        email campaign, funnel and attribution mart; the lifetime-value fits and the top of the
        value-at-risk queue."""
        totals = layer_totals(self.counts)
        rows = [f"  {layer:<13} {n:>12,} rows in {t:>3} tables" for layer, t, n in totals]
        out = ["Rows per layer:", *rows, *self.campaigns, *self.journeys]
        out += [*_problem_lines(self.con, shown), *self.tags]
        out += self._if_built(
            "mart_clv_model_fit", lambda con: lifetime_value_lines(con, queue_rows=5)
        )
        return "\n".join(out)


def render(
    warehouse: Path, truth_dir: Path | None = None, spark_warehouse: Path | None = None
) -> str:
    """Everything (`_Sections.full`), the layers after raw built by Spark in `spark_warehouse`
    when given."""
    (full,) = _read(warehouse, truth_dir, spark_warehouse, _Sections.full)
    return full


def render_both(
    warehouse: Path,
    truth_dir: Path | None = None,
    spark_warehouse: Path | None = None,
    shown: int = 10,
) -> tuple[str, str]:
    """What a run keeps and what it prints: everything (`_Sections.full`) and a few lines
    (`_Sections.short`, `shown` of each list), over one connection."""

    full, short = _read(
        warehouse, truth_dir, spark_warehouse, _Sections.full, lambda s: s.short(shown)
    )
    return full, short
