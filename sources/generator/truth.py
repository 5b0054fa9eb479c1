"""Ground truth for tests and marts: persons, which record belongs to whom, and the manifest."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

from . import names
from .behaviour import NEVER, Plan
from .formats import STRING, ids, strings
from .identity import e164
from .people import SEGMENTS, TIERS, People
from .state import Run
from .window import Window
from .writers import PartitionWriter, Target

ENTITIES = ("crm/customers", "crm/activities", "email/events", "orders/orders")
MALFORMED_KINDS = (
    "bad_timestamp",
    "wrong_field_count",
    "invalid_value",
    "missing_key",
    "bad_amount",
    "malformed_json",
)
DEFINITIONS = {
    "rows": "data rows in the entity's files (header excluded), malformed, duplicate and re-sent "
    "rows included",
    "messiness": "rows injected per kind; a row counts under one kind only. The malformed kinds "
    "are listed in malformed_kinds; late and duplicate rows are otherwise valid. Counts cover the "
    "original files; the re-sent copy (resent_file) adds resent_file.rows exact repeats",
    "late": "rows whose dt is 1-3 days after their occurred_at local date",
    "duplicate_redelivered": "extra exact copies of an event (same event_id), in the same or the "
    "next day's partition (see delivery)",
    "identity": "rows written with each kind of identifier messiness",
    "content": "row counts by type and status, for checking rates; email/events machine_open: "
    "opens fired by a privacy proxy (a subset of open, listed in machine_opens.parquet)",
}


def person_ids(index: np.ndarray, n: int) -> pa.Array:
    return ids("P", index + 1, max(7, len(str(n))))


def _dates(window: Window, day: np.ndarray) -> pa.Array:
    missing = day >= NEVER
    days = np.where(missing, 0, day + window.epoch_day).astype(np.int32)
    return pa.array(days, pa.int32(), mask=missing).cast(pa.date32())


def write_persons(out: Path, window: Window, people: People, plan: Plan) -> None:
    company = people.company
    table = pa.table(
        {
            "person_id": person_ids(np.arange(people.n), people.n),
            "name": people.name,
            "company": people.companies.name.take(company),
            "credit_code": people.companies.credit_code.take(company),
            "region": strings([r[0] for r in names.REGIONS]).take(people.companies.region[company]),
            "industry": strings([i[0] for i in names.INDUSTRIES]).take(
                people.companies.industry[company]
            ),
            "segment": strings(SEGMENTS).take(people.segment),
            "tier": strings(TIERS).take(people.tier),
            "owner_rep": ids("R", people.rep + 1, 4),
            "phone": e164(people.phone),
            "email": people.email,
            "wechat_id": people.wechat,
            "known_since": _dates(window, plan.start),
            "is_declining": plan.declining,
            "decline_start_date": _dates(window, plan.decline_start),
            "stopped_buying_date": _dates(window, plan.stop),
            "has_burst": plan.burst < NEVER,
            "burst_date": _dates(window, plan.burst),
        }
    )
    _write_parquet(table, out / "truth" / "persons.parquet")


def write_identity(out: Path, run: Run) -> None:
    """record_type, record_id, person_id (null for junk mailboxes), is_junk."""
    n = run.people.n
    records = run.records
    email_codes = np.flatnonzero(run.email_seen)
    order_ids, first = np.unique(np.concatenate(run.order_ids), return_index=True)
    order_people = np.concatenate(run.order_people)[first]
    junk = email_codes >= n
    parts = [
        ("crm_customer", records.customer_ids(np.arange(records.n)), records.person),
        ("email_address", run.book.normalised(email_codes), np.where(junk, 0, email_codes)),
        ("order", ids("SO", order_ids, 10), order_people),
    ]
    person = [person_ids(who, n) for _, _, who in parts]
    person[1] = pc.if_else(pa.array(junk), pa.scalar(None, STRING), person[1])
    table = pa.table(
        {
            "record_type": pa.concat_arrays(
                [strings([t]).take(np.zeros(len(r), int)) for t, r, _ in parts]
            ),
            "record_id": pa.concat_arrays([r for _, r, _ in parts]),
            "person_id": pa.concat_arrays(person),
            "is_junk": np.concatenate(
                [np.zeros(records.n, bool), junk, np.zeros(len(order_ids), bool)]
            ),
        }
    )
    _write_parquet(table, out / "truth" / "identity_truth.parquet")


def write_machine_opens(out: Path, run: Run) -> None:
    """event_id of every open event a privacy proxy fired, as landed (late ones included, lost
    ones not): what a machine-open rule should find."""
    numbers = np.sort(np.concatenate([np.empty(0, np.int64), *run.machine_open_events]))
    _write_parquet(
        pa.table({"event_id": ids("ev_", numbers, 12)}), out / "truth" / "machine_opens.parquet"
    )


def _write_parquet(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)


def _plain(counts: dict) -> dict:
    """Entities in a fixed order: worker threads tally them in whatever order they finish."""
    return {entity: dict(counts[entity]) for entity in ENTITIES if entity in counts}


def manifest(run: Run, writers: dict[str, PartitionWriter], targets: dict[str, Target]) -> dict:
    settings, window, people, plan = run.settings, run.window, run.people, run.plan
    activities = writers["crm/activities"]
    missing = window.date(run.missing_day).isoformat()
    return {
        "generator": "sources.generator",
        "args": {
            "profile": settings.profile,
            "seed": settings.seed,
            "customers": settings.persons,
            "days": settings.days,
            "end_date": settings.end_date.isoformat(),
        },
        "window": {
            "start": window.start.isoformat(),
            "end": window.end.isoformat(),
            "days": window.days,
            "timezone": "Asia/Shanghai",
        },
        "persons": {
            **{s: int((people.segment == i).sum()) for i, s in enumerate(SEGMENTS)},
            "total": people.n,
            "reps": people.n_reps,
            "crm_records": run.records.n,
            "declining": int(plan.declining.sum()),
            "bursting": int((plan.burst < NEVER).sum()),
        },
        "rows": {e: writers[e].rows for e in ENTITIES},
        "files": {e: writers[e].files for e in ENTITIES},
        "messiness": _plain(run.counts["messiness"]),
        "malformed_kinds": list(MALFORMED_KINDS),
        "delivery": {
            **_plain(run.counts["delivery"]),
            "crm/activities": {"resent_file_rows": activities.resent_rows},
        },
        "identity": _plain(run.counts["identity"]),
        "content": _plain(run.counts["content"]),
        "missing_day": {"source": "email", "entity": "events", "dt": missing},
        "encodings": {
            "gbk": writers["crm/customers"].paths["gbk"],
            "utf8_bom": writers["orders/orders"].paths["utf8_bom"],
        },
        "resent_file": {
            "entity": "crm/activities",
            "original": activities.paths["resent_original"],
            "copy": activities.paths["resent_copy"],
            "rows": activities.resent_rows,
        },
        "parquet_days": {
            "orders/orders": [
                window.date(d).isoformat()
                for d in range(window.days)
                if targets["orders/orders"].parquet(d)
            ]
        },
        "junk_identifiers": {
            "phones": list(run.junk.phones),
            "emails": list(run.junk.emails),
            "crm_persons_per_identifier": int((run.junk.phone_of == 0).sum()),
        },
        "definitions": DEFINITIONS,
    }


def write_manifest(out: Path, manifest: dict) -> None:
    (out / "truth").mkdir(parents=True, exist_ok=True)
    (out / "truth" / "manifest.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    )


def acknowledgements(manifest: dict) -> dict:
    """What a data engineer who reviewed this sample would acknowledge: its missing day (the
    vendor's outage). Its malformed rows, about 0.1% of a day's rows, are quarantined and warn
    under the rate policy of expectations/quality.yml. `make demo` passes this file to the
    quality gates (CADENCE_ACKNOWLEDGEMENTS)."""
    found = []
    missing = manifest.get("missing_day")
    if missing:
        found.append(
            {
                "check": "gaps",
                "entity": f"{missing['source']}/{missing['entity']}",
                "dates": [missing["dt"]],
                "note": "sample: the generator's simulated outage; this day will never arrive",
            }
        )
    return {"acknowledgements": found}


def write_acknowledgements(out: Path, manifest: dict) -> None:
    text = yaml.safe_dump(acknowledgements(manifest), sort_keys=False, allow_unicode=True)
    (out / "acknowledgements.yml").write_text(
        "# Known problems of this generated sample, acknowledged for the quality gates.\n" + text
    )
