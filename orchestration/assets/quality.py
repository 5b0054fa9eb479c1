"""Great-expectations suites over the landed data, as blocking and warning asset checks.

One multi-asset check validates every raw entity over the run's days (expectations/). Checks in
expectations.suites.BLOCKING stop everything downstream, publishing included, unless every
failure was acknowledged in configuration; the others warn.
"""

import datetime as dt

import dagster as dg
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    PARTITION_NAME_TAG,
)

from expectations.suites import BLOCKING, CHECKS, partition_rules, row_rules
from expectations.validation import CheckOutcome, GxSession, validate_entity
from orchestration.assets.extract import ENTITY_BY_KEY, raw_asset_key
from orchestration.partitions import landing_days
from orchestration.resources import QualityGates, Warehouse
from sources.contract import Entity, entities


def checks_of(entity: Entity) -> list[str]:
    """The checks that have rules for this entity, in CHECKS order."""
    from expectations.config import load_quality_config

    config = load_quality_config()
    rules = row_rules(entity, config.entities[entity.qualified_name])
    rules += partition_rules(entity, config.volume)
    present = {rule.check for rule in rules} | {"quarantine"}
    return [check for check in CHECKS if check in present]


CHECK_SPECS = [
    dg.AssetCheckSpec(
        name=check,
        asset=raw_asset_key(entity),
        description=CHECKS[check],
        blocking=check in BLOCKING,
    )
    for entity in entities().values()
    for check in checks_of(entity)
]


def run_days(context: dg.AssetCheckExecutionContext) -> list[dt.date]:
    """The days the run loaded: its partition, its partition range, or every registered day."""
    tags = context.run.tags
    keys = context.instance.get_dynamic_partitions(landing_days.name)
    if PARTITION_NAME_TAG in tags:
        keys = [tags[PARTITION_NAME_TAG]]
    elif ASSET_PARTITION_RANGE_START_TAG in tags:
        first = keys.index(tags[ASSET_PARTITION_RANGE_START_TAG])
        last = keys.index(tags[ASSET_PARTITION_RANGE_END_TAG])
        keys = keys[first : last + 1]
    return [dt.date.fromisoformat(key) for key in keys]


def _check_result(outcome: CheckOutcome, entity: Entity) -> dg.AssetCheckResult:
    lines = ["| rule | unexpected | evaluated | acknowledged | where |", "|---|---|---|---|---|"]
    for rule in outcome.rules:
        where = "<br>".join(rule.samples[:5])
        lines.append(
            f"| {rule.rule.name}: {rule.rule.description} | {rule.unexpected} | "
            f"{rule.evaluated} | {'yes' if rule.acknowledged else ''} | {where} |"
        )
    for reason, count in outcome.counts.items():
        lines.append(f"| {reason} | {count} | | | see raw.rejects |")
    failed = [r.rule.name for r in outcome.failures] + [r for r, n in outcome.counts.items() if n]
    return dg.AssetCheckResult(
        asset_key=raw_asset_key(entity),
        check_name=outcome.check,
        passed=outcome.passed,
        severity=dg.AssetCheckSeverity.ERROR if outcome.blocks else dg.AssetCheckSeverity.WARN,
        metadata={
            "unexpected_count": outcome.unexpected,
            "failed_rules": ", ".join(failed) or "none",
            "acknowledged": any(r.acknowledged for r in outcome.failures),
            "results": dg.MetadataValue.md("\n".join(lines)),
        },
    )


@dg.multi_asset_check(
    specs=CHECK_SPECS,
    name="landed_data_quality",
    description="Great-expectations suites over each raw entity's landed days (expectations/).",
)
def landed_data_quality(
    context: dg.AssetCheckExecutionContext, duckdb: Warehouse, quality: QualityGates
):
    days = run_days(context)
    config = quality.config()
    session = GxSession(quality.docs_dir)
    checked = {key.asset_key for key in context.selected_asset_check_keys}
    with duckdb.get_connection() as con:
        for key in sorted(checked, key=lambda k: k.to_user_string()):
            entity = ENTITY_BY_KEY[key]
            context.log.info(f"validating {entity.qualified_name} over {len(days)} day(s)")
            for outcome in validate_entity(session, con, entity, config, days):
                yield _check_result(outcome, entity)
    docs = session.build_docs()
    context.log.info(f"Data Docs: {docs}")
