"""The quality policy for quarantined rows: a row-level defect warns, unless a delivery day's
rejected rows exceed both thresholds of quality.yml, and then it blocks publishing.

Every row extraction rejects is in `raw.rejects` with the rules it broke. For each of the run's
days, the entity's rejected rows are counted against the day's data rows (`raw.load_log`) and
judged by the entity's threshold, leaving out rows rejected only by rules that have their own
threshold: those rules are judged on their own rows.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from expectations.config import EntityRules, RejectThreshold
from expectations.outcomes import RuleOutcome
from expectations.suites import reject_rules
from sources.contract import Entity

SAMPLES = 10
RUN_REJECTS = """raw.rejects SEMI JOIN run_days ON _dt = day WHERE entity = $entity"""


def _exceeded(day: dt.date, rejected: int, rows: int, threshold: RejectThreshold, of: str) -> str:
    return f"{day.isoformat()}: {rejected} of {rows} rows rejected{of}, {threshold.describe()}"


def judge_rejects(
    con: duckdb.DuckDBPyConnection, entity: Entity, rules: EntityRules
) -> list[RuleOutcome]:
    """One outcome per rejection rule of `entity` over the days in temp table `run_days`."""
    name = entity.qualified_name
    own = sorted(rules.rule_rejects)
    day_rows = dict(
        con.execute(
            """SELECT _dt, coalesce(sum(data_rows), 0) FROM raw.load_log
            SEMI JOIN run_days ON _dt = day WHERE entity = $entity GROUP BY _dt""",
            {"entity": name},
        ).fetchall()
    )
    # The rows of the day that count against the entity's threshold.
    judged_together = dict(
        con.execute(
            f"""SELECT _dt, count(*) FROM {RUN_REJECTS}
                AND NOT list_has_all(CAST($own AS VARCHAR[]), rules)
            GROUP BY _dt""",
            {"entity": name, "own": own},
        ).fetchall()
    )
    by_rule_day = con.execute(
        f"""SELECT rule, _dt, count(*) FROM (SELECT unnest(rules) AS rule, _dt FROM {RUN_REJECTS})
        GROUP BY ALL ORDER BY _dt""",
        {"entity": name},
    ).fetchall()
    samples = con.execute(
        f"""SELECT rule, source_file || ':' || line_number || ' ' || reason FROM (
            SELECT unnest(rules) AS rule, source_file, line_number, reason FROM {RUN_REJECTS})
        QUALIFY row_number() OVER (PARTITION BY rule ORDER BY source_file, line_number)
            <= {SAMPLES}
        ORDER BY rule, source_file, line_number""",
        {"entity": name},
    ).fetchall()

    evaluated = sum(day_rows.values())
    outcomes = {
        rule.name: RuleOutcome(name, rule, evaluated, above_threshold=[])
        for rule in reject_rules(entity)
    }
    for rule, day, rejected in by_rule_day:
        outcome = outcomes[rule]
        outcome.unexpected += rejected
        rows = day_rows.get(day, 0)
        if rule in rules.rule_rejects:
            threshold = rules.rule_rejects[rule]
            if threshold.exceeded_by(rejected, rows):
                outcome.above_threshold.append(
                    _exceeded(day, rejected, rows, threshold, f" by {rule}")
                )
        elif rules.rejects.exceeded_by(judged_together.get(day, 0), rows):
            outcome.above_threshold.append(
                _exceeded(day, judged_together[day], rows, rules.rejects, "")
            )
    for rule, sample in samples:
        outcomes[rule].samples.append(sample)
    return list(outcomes.values())
