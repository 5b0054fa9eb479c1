"""email/events rows: the ESP's webhook log for every message sent to a CRM person or prospect."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import names
from .behaviour import EMAIL, Contacts
from .customers import Records
from .formats import (
    STRING,
    dates,
    epoch_seconds,
    ids,
    json_lines,
    json_string,
    piecewise,
    strings,
    timestamps,
)
from .funnel import CLICK, EVENT_TYPES, OPEN, PROXY_SHARE, funnel
from .identity import AddressBook
from .messiness import (
    MALFORMED_SHARE,
    WHOLE_LINE,
    corrupt_fields,
    count_kinds,
    deliverable,
    make_late,
    pick,
    redeliver,
    select,
    truncated,
)
from .people import CRM, People
from .state import Delivery, Run, counted
from .window import DAY, Window

LATE_SHARE = 0.02
TRANSACTIONAL_SHARE = 0.1  # one-to-one mails outside any campaign
# Fibonacci hashing of an address code: whether its mail client goes through a privacy proxy is
# a property of the mailbox, fixed across chunks without drawing from a random stream.
GOLDEN_RATIO_32 = 0x9E3779B1
# The ESP's timestamps as they arrive: offset, UTC "Z", naive local, or epoch seconds (a number).
OCCURRED_STYLES = ("iso_offset", "iso_z", "iso_naive", "epoch")
OCCURRED_STYLE_P = (0.5, 0.25, 0.15, 0.1)
LANDING_URL = "https://shop.cadence-demo.cn/c/"
MALFORMED = {
    "bad_timestamp": [("occurred_at", '"not-a-date"')],
    "invalid_value": [("event_type", '"bounced_hard"')],
    "missing_key": [("event_id", '""')],
    "malformed_json": WHOLE_LINE,
}


@dataclass(frozen=True)
class Clicks:
    person: np.ndarray
    seconds: np.ndarray


def rows(
    rng: np.random.Generator,
    contacts: Contacts,
    people: People,
    records: Records,
    window: Window,
    first_message: int,
    first_event: int,
) -> tuple[dict[str, np.ndarray], Clicks, int]:
    """Event rows, the clicks (which may lead to orders) and the number of messages sent."""
    mailed = np.flatnonzero(contacts.channel == EMAIL)
    mailed = mailed[np.argsort(contacts.seconds[mailed], kind="stable")]
    person, sent = contacts.person[mailed], contacts.seconds[mailed]
    in_crm = people.segment[person] == CRM
    # CRM persons are mailed at whatever their record says (possibly a shared info@ box).
    code = np.where(in_crm, records.email_code[records.primary[person]], person)
    day = sent // DAY
    monday = day - (window.epoch_day + day + 3) % 7  # 1970-01-01 was a Thursday
    campaign = np.where(
        rng.random(len(day)) < TRANSACTIONAL_SHARE, -1, monday * 2 + rng.integers(0, 2, len(day))
    )

    events = funnel(rng, sent, behind_proxy(code))
    order = np.argsort(events.seconds, kind="stable")
    message, kind, seconds = events.message[order], events.kind[order], events.seconds[order]
    n = len(order)
    octets = np.column_stack([rng.choice(names.IP_FIRST_OCTETS, n), rng.integers(1, 255, (n, 3))])
    clicked = kind == CLICK
    return (
        {
            "number": first_event + np.arange(n),
            "message": first_message + message,
            "person": person[message],
            "code": code[message],
            "campaign": campaign[message],
            "kind": kind,
            "seconds": seconds,
            "style": rng.choice(len(OCCURRED_STYLES), n, p=OCCURRED_STYLE_P).astype(np.int8),
            "ip": np.where(np.isin(kind, (OPEN, CLICK))[:, None], octets, -1),
            "is_machine": events.is_machine[order],
            "dt": seconds // DAY,
            "key": seconds,
        },
        Clicks(person[message[clicked]], seconds[clicked]),
        len(mailed),
    )


def behind_proxy(code: np.ndarray) -> np.ndarray:
    """Mailboxes whose client fetches every delivered message through a privacy proxy."""
    hashed = (code.astype(np.uint64) * GOLDEN_RATIO_32) % (1 << 32)
    return hashed < PROXY_SHARE * (1 << 32)


def _campaign_ids(window: Window, campaign: np.ndarray) -> pa.Array:
    transactional = campaign < 0
    safe = np.where(transactional, 0, campaign)
    text = pc.binary_join_element_wise(
        "CMP-", dates(window, safe // 2, ""), "-", strings(["A", "B"]).take(safe % 2), ""
    )
    return pc.if_else(pa.array(transactional), pa.scalar(None, STRING), text)


def _ips(octets: np.ndarray) -> pa.Array:
    parts = [pa.array(octets[:, i]).cast(STRING) for i in range(4)]
    text = pc.binary_join_element_wise(*parts, ".")
    return pc.if_else(pa.array(octets[:, 0] < 0), pa.scalar(None, STRING), text)


def render(window: Window, book: AddressBook, rows: dict[str, np.ndarray]) -> dict[str, pa.Array]:
    """JSON literals per field; a null literal leaves the key out of that line."""
    seconds = rows["seconds"]
    campaign = _campaign_ids(window, rows["campaign"])
    message_id = ids("msg_", rows["message"], 10)
    builders = [
        lambda r, s=s: json_string(timestamps(window, seconds[r], s)) for s in OCCURRED_STYLES[:-1]
    ]
    builders.append(lambda r: epoch_seconds(window, seconds[r]))
    url = pc.binary_join_element_wise(
        LANDING_URL, pc.fill_null(campaign, "account"), "?mid=", message_id, ""
    )
    clicked = pa.array(rows["kind"] == CLICK)
    return {
        "event_id": json_string(ids("ev_", rows["number"], 12)),
        "event_type": json_string(strings(EVENT_TYPES).take(rows["kind"])),
        "email": json_string(book.normalised(rows["code"])),
        "campaign_id": pc.fill_null(json_string(campaign), "null"),
        "message_id": json_string(message_id),
        "occurred_at": piecewise(rows["style"], builders),
        "url": pc.if_else(clicked, json_string(url), pa.scalar(None, STRING)),
        "ip": json_string(_ips(rows["ip"])),
    }


def lines(columns: dict[str, pa.Array]) -> pa.Array:
    return json_lines(list(columns.items()))


def deliver(run: Run, rng: np.random.Generator, rows: dict, first: bool) -> Delivery:
    """One chunk as delivered: late rows, the missing day, malformed and re-delivered lines."""
    rows = make_late(rng, rows, LATE_SHARE)
    keep = deliverable(rows, run.window, run.missing_day)
    lost = (rows["dt"] == run.missing_day).sum()
    rows = select(rows, keep)
    kinds = list(MALFORMED)
    kind = pick(rng, ~rows["late"], kinds, MALFORMED_SHARE, first)
    columns = render(run.window, run.book, rows)
    columns = corrupt_fields(rng, columns, kind, MALFORMED)
    text = truncated(lines(columns), kind == kinds.index("malformed_json"))
    table = pa.table({"dt": rows["dt"], "key": rows["key"], "seq": rows["number"], "line": text})
    table, same, following = redeliver(
        rng, table, ~rows["late"] & (kind < 0), run.window, run.missing_day, first
    )
    counts = {
        "messiness": counted(
            late=rows["late"].sum(),
            duplicate_redelivered=same + following,
            **count_kinds(kind, kinds),
        ),
        "delivery": counted(
            duplicate_same_partition=same,
            duplicate_next_partition=following,
            rows_lost_to_missing_day=lost,
        ),
        "content": count_kinds(rows["kind"], EVENT_TYPES),
    }
    counts["content"]["machine_open"] = int(rows["is_machine"].sum())
    machine_opens = rows["number"][rows["is_machine"]]
    return Delivery(table, counts, email_codes=rows["code"], machine_open_events=machine_opens)
