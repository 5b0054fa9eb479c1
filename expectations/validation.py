"""Run the suites with great-expectations' pandas engine and turn the results into check outcomes.

GX's SQL engine cannot validate DuckDB (it reads results after closing the connection), so the
frames are pandas, built by expectations.frames. An expectation that raised is an error of the
validation itself, never a failed expectation: it raises ExpectationRaisedError.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pandas as pd

from expectations.config import QualityConfig
from expectations.frames import (
    broken_row_samples,
    partition_frame,
    prepare_row_frames,
    row_counts_frame,
)
from expectations.outcomes import CheckOutcome, RuleOutcome
from expectations.preload import import_great_expectations
from expectations.rejects import judge_rejects
from expectations.suites import Rule, partition_rules, row_rules
from sources.contract import Entity
from sources.landing import entity_dir

SAMPLES = 10


class ExpectationRaisedError(RuntimeError):
    """An expectation could not be evaluated; its result says nothing about the data."""


class GxSession:
    """One ephemeral GX context for a run: suites, validations and the Data Docs site."""

    def __init__(self, docs_dir: Path | None):
        gx = import_great_expectations()  # ~6 s: only when validating
        self._gx = gx
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = {"globally": False}
        self.docs_dir = docs_dir
        if docs_dir is not None:
            self.context.add_data_docs_site(
                "cadence",
                {
                    "class_name": "SiteBuilder",
                    "store_backend": {
                        "class_name": "TupleFilesystemStoreBackend",
                        "base_directory": str(docs_dir),
                    },
                    "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                },
            )
        self.source = self.context.data_sources.add_pandas("landed")
        self._definitions = {}

    def _definition(self, suite_name: str, rules: list[Rule]):
        if suite_name not in self._definitions:
            gx = self._gx
            suite = self.context.suites.add(gx.ExpectationSuite(name=suite_name))
            for rule in rules:
                suite.add_expectation(rule.build())
            batch = self.source.add_dataframe_asset(
                suite_name
            ).add_batch_definition_whole_dataframe("frame")
            self._definitions[suite_name] = self.context.validation_definitions.add(
                gx.ValidationDefinition(name=suite_name, data=batch, suite=suite)
            )
        return self._definitions[suite_name]

    def validate(self, suite_name: str, rules: list[Rule], frame: pd.DataFrame):
        """(rule, GX result) for every rule, listing every unexpected row of the (small) frame;
        raises when an expectation raised."""
        result_format = {"result_format": "COMPLETE"}
        validation = self._definition(suite_name, rules).run(
            batch_parameters={"dataframe": frame}, result_format=result_format
        )
        by_name = {rule.name: rule for rule in rules}
        outcomes = []
        for result in validation.results:
            rule = by_name[result.expectation_config.meta["rule"]]
            message = raised_exception(result.exception_info)
            if message is not None:
                raise ExpectationRaisedError(
                    f"suite {suite_name}: expectation {rule.name} ({rule.expectation_type} on "
                    f"{rule.column}) raised: {message}"
                )
            outcomes.append((rule, result.result))
        return outcomes

    def build_docs(self) -> Path | None:
        if self.docs_dir is None:
            return None
        shutil.rmtree(self.docs_dir, ignore_errors=True)
        self.context.build_data_docs()
        return self.docs_dir / "index.html"


def raised_exception(info) -> str | None:
    """GX reports an exception either as one dict or as a dict per metric that raised."""
    if not info:
        return None
    if "raised_exception" in info:
        return (
            info.get("exception_message") or "unknown error" if info["raised_exception"] else None
        )
    for per_metric in info.values():
        if isinstance(per_metric, dict) and per_metric.get("raised_exception"):
            return per_metric.get("exception_message") or "unknown error"
    return None


def validate_entity(
    session: GxSession,
    con: duckdb.DuckDBPyConnection,
    entity: Entity,
    config: QualityConfig,
    days: list[dt.date],
    landing: Path,
) -> list[CheckOutcome]:
    """Every check of `entity` over `days`; `landing` is where its source was declared to land."""
    rules = config.entities[entity.qualified_name]
    outcomes: dict[str, RuleOutcome] = {}

    row_suite = row_rules(entity, rules)
    for rule in row_suite:
        outcomes[rule.name] = RuleOutcome(entity.qualified_name, rule)
    prepare_row_frames(con, entity, rules, days)
    frame = row_counts_frame(con, entity, rules)
    if len(frame):
        rows = int(frame["rows"].sum())
        suite = f"{entity.table_name}.rows"
        for rule, result in session.validate(suite, row_suite, frame):
            outcome = outcomes[rule.name] = RuleOutcome(entity.qualified_name, rule, rows)
            # GX finds the days that broke the rule; the rule's count is their rows.
            outcome.unexpected = int(frame.loc[result["unexpected_index_list"], rule.column].sum())
            if outcome.unexpected:
                outcome.samples = broken_row_samples(con, rule.column, SAMPLES)

    for outcome in judge_rejects(con, entity, rules):
        outcomes[outcome.rule.name] = outcome

    partition_suite = partition_rules(entity, config.volume)
    for rule in partition_suite:
        outcomes[rule.name] = RuleOutcome(entity.qualified_name, rule)
    frame = partition_frame(con, entity, config.volume, days)
    never_landed = {}
    if not len(frame):  # the frame starts on the first day the entity landed
        folder = entity_dir(landing, entity)
        message = (
            f"{entity.qualified_name}: source {entity.source} is declared (CADENCE_SOURCES) but "
            f"nothing has ever landed in {folder}"
        )
        never_landed[message] = 1
    else:
        suite = f"{entity.table_name}.partitions"
        for rule, result in session.validate(suite, partition_suite, frame):
            outcome = outcomes[rule.name] = RuleOutcome(entity.qualified_name, rule, len(frame))
            outcome.unexpected = result.get("unexpected_count") or 0
            outcome.dates = {
                pd.Timestamp(frame.loc[i, "_dt"]).date() for i in result["unexpected_index_list"]
            }
            outcome.samples = [_day_sample(frame, i, rule) for i in result["unexpected_index_list"]]
    _acknowledge(outcomes.values(), config)

    by_check: dict[str, list[RuleOutcome]] = {}
    for outcome in outcomes.values():
        by_check.setdefault(outcome.rule.check, []).append(outcome)
    checks = {c: CheckOutcome(entity.qualified_name, c, r) for c, r in by_check.items()}
    # Every entity has a gap check: whatever its cadence, a declared source must have landed.
    checks.setdefault("gaps", CheckOutcome(entity.qualified_name, "gaps", [])).counts.update(
        never_landed
    )
    return list(checks.values())


def _day_sample(frame: pd.DataFrame, index, rule: Rule) -> str:
    row = frame.loc[index]
    day = pd.Timestamp(row["_dt"]).date().isoformat()
    if rule.check == "files":
        return f"{day}: {row['refusals']}"
    if not row["landed"]:
        return f"{day}: no partition"
    return f"{day}: {row['data_rows']:.0f} rows vs median {row['trailing_median']:.0f}"


def _acknowledge(outcomes, config: QualityConfig) -> None:
    for outcome in outcomes:
        if not outcome.failed:
            continue
        key = (outcome.entity, outcome.rule.check, outcome.rule.name)
        if outcome.dates:
            outcome.acknowledged = outcome.dates <= config.acknowledged_dates(*key)
        else:
            outcome.acknowledged = outcome.unexpected <= config.acknowledged_rows(*key)
