"""orders/orders rows: paid orders, re-sent later when refunded or cancelled."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sources.contract import entities

from . import names
from .behaviour import Purchases
from .formats import PHONE_FORMATS, amounts, ids, strings, timestamps
from .identity import CLEAN, DISPLAY_NAME, NO_EMAIL, NO_PHONE, AddressBook, Junk, phone_text
from .messiness import (
    MALFORMED_SHARE,
    WHOLE_LINE,
    corrupt_fields,
    count_kinds,
    csv_with_wrong_field_counts,
    deliverable,
    pick,
    select,
)
from .people import People
from .state import Delivery, Run, counted
from .window import DAY, Window

# The landing contract's columns, in its order: the sample is written to the contract.
COLUMNS = tuple(entities()["orders/orders"].column_names)
STATUSES = ("paid", "refunded", "cancelled")
PAID, REFUNDED, CANCELLED = range(len(STATUSES))
REFUND_SHARE, CANCEL_SHARE = 0.05, 0.03
REFUND_DELAY, CANCEL_DELAY = (1, 14), (1, 3)  # days until the order is re-sent
CURRENCIES = ("CNY", "USD", "EUR", "HKD")
CURRENCY_P = (0.955, 0.025, 0.005, 0.015)
CNY_PER_UNIT = np.array([1.0, 7.2, 7.8, 0.92])
# Which buyer identifiers checkout captured: both, email only, phone only, neither (guest).
IDENTIFIERS_P = (0.60, 0.18, 0.20, 0.02)
EMAIL_STYLE_P = (0.88, 0.03, 0.03, 0.02, 0.04)  # over identity.EMAIL_STYLES
PHONE_TEMPLATE_P = (0.70, 0.05, 0.02, 0.05, 0.05, 0.12, 0.01)  # over formats.PHONE_FORMATS
JUNK_EMAIL_SHARE = 0.5  # of a junk-box holder's orders placed with that box
SALES_CHANNEL = names.ORDER_CHANNELS.index("sales_rep")
PARQUET_EVERY = 7  # every 7th day's export is Parquet
MALFORMED = {
    "bad_timestamp": [("ordered_at", "not-a-date")],
    "wrong_field_count": WHOLE_LINE,
    "invalid_value": [("currency", "XYZ"), ("status", "unknown")],
    "missing_key": [("order_id", "")],
    "bad_amount": [("amount", "12,3x"), ("amount", "1.2.3"), ("amount", "N/A")],
}


def is_parquet_day(day: np.ndarray | int) -> np.ndarray | bool:
    return day % PARQUET_EVERY == PARQUET_EVERY - 1


def _choice(rng: np.random.Generator, p, size: int) -> np.ndarray:
    return rng.choice(len(p), size=size, p=p).astype(np.int8)


def rows(
    rng: np.random.Generator,
    purchases: Purchases,
    people: People,
    junk: Junk,
    book: AddressBook,
    first_number: int,
) -> dict[str, np.ndarray]:
    order = np.argsort(purchases.seconds, kind="stable")
    person, seconds = purchases.person[order], purchases.seconds[order]
    n = len(order)
    currency = _choice(rng, CURRENCY_P, n)
    cents = np.maximum(np.round(purchases.cents[order] / CNY_PER_UNIT[currency]), 1).astype(
        np.int64
    )
    identifiers = _choice(rng, IDENTIFIERS_P, n)
    junk_box = junk.email_of[person]
    use_junk = (junk_box >= 0) & (rng.random(n) < JUNK_EMAIL_SHARE)
    code = np.where(use_junk, book.junk_code(junk_box), person)
    channel = rng.integers(0, SALES_CHANNEL, n)
    channel = np.where(purchases.via_sales[order] & (rng.random(n) < 0.6), SALES_CHANNEL, channel)
    placed = {
        "number": first_number + np.arange(n),
        "person": person,
        "seconds": seconds,
        "cents": cents,
        "currency": currency,
        "channel": channel,
        "code": np.where(np.isin(identifiers, (0, 1)), code, NO_EMAIL),
        "email_style": _choice(rng, EMAIL_STYLE_P, n),
        "template": np.where(
            np.isin(identifiers, (0, 2)), _choice(rng, PHONE_TEMPLATE_P, n), NO_PHONE
        ),
        "status": np.full(n, PAID, np.int8),
        "dt": seconds // DAY,
        "key": seconds,
    }
    # A refund or cancellation re-sends the same order, unchanged but for its status, later on.
    fate = rng.random(n)
    resent = np.flatnonzero(fate < REFUND_SHARE + CANCEL_SHARE)
    refunded = fate[resent] < REFUND_SHARE
    delay = np.where(
        refunded,
        rng.integers(REFUND_DELAY[0], REFUND_DELAY[1] + 1, len(resent)),
        rng.integers(CANCEL_DELAY[0], CANCEL_DELAY[1] + 1, len(resent)),
    )
    again = {name: values[resent] for name, values in placed.items()}
    again["status"] = np.where(refunded, REFUNDED, CANCELLED).astype(np.int8)
    again["dt"] = again["dt"] + delay
    again["key"] = again["dt"] * DAY + rng.integers(0, DAY, len(resent))
    return {name: np.concatenate([placed[name], again[name]]) for name in placed}


def render(
    window: Window, people: People, junk: Junk, book: AddressBook, rows: dict[str, np.ndarray]
) -> dict[str, pa.Array]:
    person = rows["person"]
    no_junk = np.full(len(person), -1)
    return {
        "order_id": ids("SO", rows["number"], 10),
        "buyer_email": book.rendered(rows["code"], rows["email_style"], person),
        "buyer_phone": phone_text(people.phone[person], rows["template"], no_junk, junk),
        "ordered_at": timestamps(window, rows["seconds"], "sql"),
        "amount": amounts(rows["cents"]),
        "currency": strings(CURRENCIES).take(rows["currency"]),
        "status": strings(STATUSES).take(rows["status"]),
        "channel": strings(names.ORDER_CHANNELS).take(rows["channel"]),
    }


def parquet_table(window: Window, table: pa.Table) -> pa.Table:
    """A typed export (timestamp, decimal), as the order system writes its Parquet days."""
    typed = {name: table.column(name) for name in COLUMNS}
    local = table.column("seconds").to_numpy() + window.epoch_day * DAY
    typed["ordered_at"] = pa.array(local, pa.timestamp("s"))
    typed["amount"] = pc.cast(table.column("amount"), pa.decimal128(12, 2))
    return pa.table(typed)


def deliver(run: Run, rng: np.random.Generator, rows: dict, first: bool) -> Delivery:
    """One chunk as delivered: malformed rows on CSV days, rendered lines and typed columns."""
    rows = select(rows, deliverable(rows, run.window, None))
    has_email = rows["code"] != NO_EMAIL
    kinds = list(MALFORMED)
    # Parquet days are typed exports, which cannot hold a malformed value.
    eligible = (rows["status"] == PAID) & ~is_parquet_day(rows["dt"])
    kind = pick(rng, eligible, kinds, MALFORMED_SHARE, first)
    keyed = kind != kinds.index("missing_key")
    columns = render(run.window, run.people, run.junk, run.book, rows)
    columns = corrupt_fields(rng, columns, kind, MALFORMED)
    wrong = kind == kinds.index("wrong_field_count")
    lines = csv_with_wrong_field_counts([columns[c] for c in COLUMNS], wrong)
    has_phone = rows["template"] != NO_PHONE
    style = np.where(has_email, rows["email_style"], -1)
    identity = counted(
        guest_checkout_rows=(~has_email & ~has_phone).sum(),
        display_name_email_rows=(style == DISPLAY_NAME).sum(),
        email_case_or_whitespace_rows=(
            (style != CLEAN) & (style != DISPLAY_NAME) & has_email
        ).sum(),
        junk_email_rows=(rows["code"] >= run.book.n_people).sum(),
        **{f"phone_{f}_rows": (rows["template"] == i).sum() for i, f in enumerate(PHONE_FORMATS)},
    )
    table = pa.table(
        {
            "dt": rows["dt"],
            "key": rows["key"],
            "seq": rows["number"],
            "line": lines,
            "seconds": rows["seconds"],
            **columns,
        }
    )
    return Delivery(
        table,
        {
            "messiness": count_kinds(kind, kinds),
            "identity": identity,
            "content": count_kinds(rows["status"], STATUSES),
        },
        email_codes=rows["code"][has_email],
        order_ids=rows["number"][keyed],
        order_people=rows["person"][keyed],
    )
