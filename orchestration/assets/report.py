"""The visual report, after publish: $CADENCE_HOME/published/report.html."""

import os

import dagster as dg

from orchestration.cli.check_report import check_lines
from orchestration.publishing.gate import run_check_evaluations
from orchestration.publishing.versions import current_version, versions_dir, write_atomically
from orchestration.reporting.report import render_report
from orchestration.resources import PublishedMarts, QualityGates


@dg.asset(
    key=["published", "report"],
    group_name="published",
    deps=[dg.AssetKey(["published", "marts"])],
    kinds={"html"},
    description="One self-contained HTML report of the published marts (opens offline): RFM "
    "segments, cadence by tier, weekday x hour heatmaps, channel rates, monthly trend, P(alive) "
    "by RFM segment, the BG/NBD holdout calibration, the top of the follow-up queue and this "
    "run's data-quality status.",
)
def published_report(
    context: dg.AssetExecutionContext, published: PublishedMarts, quality: QualityGates
):
    checks = check_lines(run_check_evaluations(context.instance, context.run.run_id))
    path = published.path / "report.html"
    links = {
        "Data Docs (great-expectations)": os.path.relpath(
            quality.docs_dir / "index.html", path.parent
        ),
        "dbt docs": os.path.relpath(
            published.path.parent / "reports" / "dbt_docs" / "static_index.html", path.parent
        ),
    }
    # The current version's own file, not published/cadence.duckdb: DuckDB caches open databases
    # by path, and a reader in this process may still hold the previous version under that name.
    version_file = versions_dir(published.path) / current_version(published.path) / "cadence.duckdb"
    write_atomically(path, render_report(version_file, checks, links))
    return dg.MaterializeResult(
        metadata={"report": dg.MetadataValue.path(str(path)), "bytes": path.stat().st_size}
    )
