"""The audit before publishing: every check planned in this run ran, and none that guards
correctness failed. Dagster skips assets below a failed blocking check, but not below a failed
dbt test or a check that never ran, so publishing asks the run's own event log."""

from __future__ import annotations

import dagster as dg
from dagster import DagsterEventType


def run_check_evaluations(instance: dg.DagsterInstance, run_id: str) -> list:
    return run_events(instance, run_id, DagsterEventType.ASSET_CHECK_EVALUATION)


def run_events(instance: dg.DagsterInstance, run_id: str, event_type: DagsterEventType) -> list:
    """The event-specific data of the run's events of one type."""
    records = instance.get_records_for_run(run_id, of_type=event_type).records
    return [r.event_log_entry.dagster_event.event_specific_data for r in records]


def _name(asset_key: dg.AssetKey, check_name: str) -> str:
    return f"{asset_key.to_user_string()}:{check_name}"


def audit_problems(
    instance: dg.DagsterInstance, run_id: str, evaluations: list[dg.AssetCheckEvaluation]
) -> list[str]:
    """Why this run must not publish, given its check evaluations; empty when it may."""
    planned = run_events(instance, run_id, DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED)
    problems = [
        f"check {_name(e.asset_key, e.check_name)} failed"
        for e in evaluations
        if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR
    ]
    evaluated = {(e.asset_key, e.check_name) for e in evaluations}
    problems += [
        f"check {_name(p.asset_key, p.check_name)} did not run"
        for p in planned
        if (p.asset_key, p.check_name) not in evaluated
    ]
    return sorted(problems)
