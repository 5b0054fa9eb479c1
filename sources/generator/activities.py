"""crm/activities rows: the reps' logged touches plus customer-initiated calls and WeChats."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sources.contract import entities

from . import names
from .behaviour import CALL, CHANNELS, EMAIL, MEETING, VISIT, Contacts
from .customers import Records
from .formats import STRING, ids, strings, timestamps_mixed
from .messiness import (
    MALFORMED_SHARE,
    WHOLE_LINE,
    corrupt_fields,
    count_kinds,
    csv_with_wrong_field_counts,
    deliverable,
    make_late,
    pick,
    select,
)
from .people import People
from .state import Delivery, Run, counted
from .window import DAY, Window

# The landing contract's columns, in its order: the sample is written to the contract.
COLUMNS = tuple(entities()["crm/activities"].column_names)
ACTIVITY_TYPES = CHANNELS[:EMAIL]  # emails are the email platform's business
LATE_SHARE = 0.01
SECOND_RECORD_SHARE = 0.35  # of a duplicated person's activities logged on the newer record
OTHER_REP_SHARE = 0.1  # a colleague covers the owner
SUBJECT_SHARE = 0.85
TIMESTAMP_STYLES = ("sql", "slash")
SLASH_SHARE = 0.03
MALFORMED = {
    "bad_timestamp": [("occurred_at", "not-a-date")],
    "wrong_field_count": WHOLE_LINE,
    "invalid_value": [("activity_type", "fax")],
    "missing_key": [("activity_id", ""), ("customer_id", "")],
}

_OUTCOME_TEXT = [o for outcomes in names.OUTCOMES for o in outcomes] + list(names.INBOUND_OUTCOMES)
_OUTCOME_COUNT = np.array([len(o) for o in names.OUTCOMES] + [len(names.INBOUND_OUTCOMES)])
_OUTCOME_OFFSET = np.concatenate([[0], np.cumsum(_OUTCOME_COUNT)[:-1]])
INBOUND_GROUP = len(names.OUTCOMES)


def _durations(rng: np.random.Generator, kind: np.ndarray, inbound: np.ndarray) -> np.ndarray:
    """Seconds spent; -1 (blank) for written messages and notes."""
    n = len(kind)
    call = np.clip(rng.lognormal(np.log(np.where(inbound, 120, 180)), 0.9, n), 5, 7200)
    by_kind = np.select(
        [kind == CALL, kind == VISIT, kind == MEETING],
        [call, rng.integers(1800, 7200, n), rng.integers(1800, 10_800, n)],
        -1,
    )
    return by_kind.astype(np.int64)


def rows(
    rng: np.random.Generator,
    contacts: Contacts,
    people: People,
    records: Records,
    first_number: int,
) -> dict[str, np.ndarray]:
    logged = contacts.channel != EMAIL
    order = np.flatnonzero(logged)[np.argsort(contacts.seconds[logged], kind="stable")]
    person, kind = contacts.person[order], contacts.channel[order]
    seconds, inbound = contacts.seconds[order], contacts.inbound[order]
    n = len(order)

    second = records.duplicate[person]
    on_second = (
        (second >= 0) & (seconds >= records.created[second]) & (rng.random(n) < SECOND_RECORD_SHARE)
    )
    record = np.where(on_second, second, records.primary[person])
    rep = np.where(
        rng.random(n) < OTHER_REP_SHARE,
        rng.integers(0, people.n_reps, n),
        records.rep_at(record, seconds),
    )
    group = np.where(inbound, INBOUND_GROUP, kind)
    pick = (rng.random(n) * _OUTCOME_COUNT[group]).astype(np.int64)
    outcome = np.where(_OUTCOME_COUNT[group] > 0, _OUTCOME_OFFSET[group] + pick, -1)
    subject = np.where(rng.random(n) < SUBJECT_SHARE, rng.integers(0, len(names.SUBJECTS), n), -1)
    return {
        "number": first_number + np.arange(n),
        "person": person,
        "record": record,
        "rep": rep,
        "kind": kind,
        "inbound": inbound,
        "seconds": seconds,
        "duration": _durations(rng, kind, inbound),
        "outcome": outcome,
        "subject": subject,
        "style": (rng.random(n) < SLASH_SHARE).astype(np.int8),
        "dt": seconds // DAY,
        "key": seconds,
    }


def _lookup(texts, index: np.ndarray) -> pa.Array:
    return strings(texts).take(pa.array(np.where(index >= 0, index, 0), mask=index < 0))


def render(window: Window, records: Records, rows: dict[str, np.ndarray]) -> dict[str, pa.Array]:
    duration = rows["duration"]
    return {
        "activity_id": ids("A", rows["number"], 10),
        "customer_id": records.customer_ids(rows["record"]),
        "rep_id": ids("R", rows["rep"] + 1, 4),
        "activity_type": strings(ACTIVITY_TYPES).take(rows["kind"]),
        "direction": pc.if_else(pa.array(rows["inbound"]), "inbound", "outbound"),
        "occurred_at": timestamps_mixed(window, rows["seconds"], rows["style"], TIMESTAMP_STYLES),
        "duration_seconds": pa.array(duration, mask=duration < 0).cast(STRING),
        "outcome": _lookup(_OUTCOME_TEXT, rows["outcome"]),
        "subject": _lookup(names.SUBJECTS, rows["subject"]),
    }


def deliver(run: Run, rng: np.random.Generator, rows: dict, first: bool) -> Delivery:
    """One chunk as delivered: late rows, malformed rows, rendered CSV lines."""
    rows = make_late(rng, rows, LATE_SHARE)
    rows = select(rows, deliverable(rows, run.window, None))
    kinds = list(MALFORMED)
    # The re-sent file must repeat clean rows only, so rejects are not double counted.
    eligible = ~rows["late"] & (rows["dt"] != run.resend_day)
    kind = pick(rng, eligible, kinds, MALFORMED_SHARE, first)
    columns = render(run.window, run.records, rows)
    columns = corrupt_fields(rng, columns, kind, MALFORMED)
    wrong = kind == kinds.index("wrong_field_count")
    lines = csv_with_wrong_field_counts([columns[c] for c in COLUMNS], wrong)
    return Delivery(
        pa.table({"dt": rows["dt"], "key": rows["key"], "seq": rows["number"], "line": lines}),
        {
            "messiness": counted(late=rows["late"].sum(), **count_kinds(kind, kinds)),
            "content": counted(inbound_rows=rows["inbound"].sum()),
        },
    )
