"""Great-expectations suites over the landed data, as blocking and warning asset checks of the
raw assets.

The extraction step validates what it loaded (expectations/) and reports these checks itself:
a check of a separate op would not hold back the dbt step (Dagster orders it after neither), and
dbt must not build on data that failed. Checks in expectations.suites.BLOCKING fail the
extraction step, so nothing downstream runs and nothing is published, unless every failure was
acknowledged in configuration or, for a row-level rule of the quarantine, stayed within the
rejected-row thresholds of quality.yml; the others warn.
"""

import datetime as dt
from pathlib import Path

import dagster as dg
import duckdb

from expectations.config import QualityConfig, load_quality_config
from expectations.outcomes import CheckOutcome, RuleOutcome
from expectations.suites import BLOCKING, CHECKS, partition_rules, reject_rules, row_rules
from expectations.validation import GxSession, validate_entity
from orchestration.raw_assets import raw_asset_key
from orchestration.resources import QualityGates
from sources.contract import Entity, entities


def checks_of(entity: Entity, config: QualityConfig) -> list[str]:
    """The checks of this entity, in CHECKS order: those with rules, and always gaps."""
    rules = row_rules(entity, config.entities[entity.qualified_name])
    rules += reject_rules(entity) + partition_rules(entity, config.volume)
    present = {rule.check for rule in rules} | {"gaps"}  # a declared source must have landed
    return [check for check in CHECKS if check in present]


# The rules (not the acknowledgements) decide which checks each entity has.
_RULES = load_quality_config()
CHECK_SPECS = [
    dg.AssetCheckSpec(
        name=check,
        asset=raw_asset_key(entity),
        description=CHECKS[check],
        blocking=check in BLOCKING,
    )
    for entity in entities().values()
    for check in checks_of(entity, _RULES)
]


def _failed_rule(rule: RuleOutcome) -> str:
    """The rule's name, and why a row-level rule blocks: its first day above the thresholds."""
    if rule.above_threshold:
        return f"{rule.rule.name} ({rule.above_threshold[0]})"
    return rule.rule.name


RESULTS_SCHEMA = dg.TableSchema(
    columns=[
        dg.TableColumn("rule", "string"),
        dg.TableColumn("unexpected", "int"),
        dg.TableColumn("evaluated", "int"),
        dg.TableColumn("acknowledged", "bool"),
        dg.TableColumn("above threshold", "string", description="days above both thresholds"),
        dg.TableColumn("where", "string", description="up to 5 examples"),
    ]
)


def _results_table(outcome: CheckOutcome) -> dg.TableMetadataValue:
    records = [
        dg.TableRecord(
            {
                "rule": f"{rule.rule.name}: {rule.rule.description}",
                "unexpected": rule.unexpected,
                "evaluated": rule.evaluated,
                "acknowledged": rule.acknowledged,
                "above threshold": "; ".join(rule.above_threshold or []),
                "where": "; ".join(rule.samples[:5]),
            }
        )
        for rule in outcome.rules
    ]
    records += [
        dg.TableRecord(
            {
                "rule": reason,
                "unexpected": count,
                "evaluated": None,
                "acknowledged": False,
                "above threshold": "",
                "where": "see raw.rejects",
            }
        )
        for reason, count in outcome.counts.items()
    ]
    return dg.MetadataValue.table(records, RESULTS_SCHEMA)


def _check_result(outcome: CheckOutcome, entity: Entity) -> dg.AssetCheckResult:
    failed = [_failed_rule(r) for r in outcome.failures]
    failed += [finding for finding, n in outcome.counts.items() if n]
    return dg.AssetCheckResult(
        asset_key=raw_asset_key(entity),
        check_name=outcome.check,
        passed=outcome.passed,
        severity=dg.AssetCheckSeverity.ERROR if outcome.blocks else dg.AssetCheckSeverity.WARN,
        metadata={
            "unexpected_count": outcome.unexpected,
            "failed_rules": ", ".join(failed) or "none",
            "acknowledged": any(r.acknowledged for r in outcome.failures),
            "results": _results_table(outcome),
        },
    )


def landed_check_results(
    context: dg.AssetExecutionContext,
    con: duckdb.DuckDBPyConnection,
    quality: QualityGates,
    entities_loaded: list[Entity],
    days: list[dt.date],
    landing: Path,
):
    """The checks of the loaded entities over `days`; rebuilds the Data Docs."""
    config = quality.config()
    session = GxSession(quality.docs_dir)
    for entity in entities_loaded:
        context.log.info(f"validating {entity.qualified_name} over {len(days)} day(s)")
        for outcome in validate_entity(session, con, entity, config, days, landing):
            yield _check_result(outcome, entity)
    context.log.info(f"Data Docs: {session.build_docs()}")
