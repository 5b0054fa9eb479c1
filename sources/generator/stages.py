"""Finishing one chunk of an entity: delivery messiness, rendering, tallies, writer table.

Each function runs in a worker thread with its own random stream.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from . import activities, email_events, orders
from .formats import PHONE_FORMATS
from .funnel import EVENT_TYPES
from .identity import CLEAN, DISPLAY_NAME, NO_EMAIL, NO_PHONE
from .messiness import (
    MALFORMED_SHARE,
    corrupt_fields,
    count_kinds,
    csv_with_wrong_field_counts,
    deliverable,
    make_late,
    pick,
    redeliver,
    select,
    truncated,
)

if TYPE_CHECKING:
    from .generate import Run


def activities_table(run: Run, rng: np.random.Generator, rows: dict, first: bool) -> pa.Table:
    rows = make_late(rng, rows, activities.LATE_SHARE)
    rows = select(rows, deliverable(rows, run.window, None))
    kinds = list(activities.MALFORMED)
    # The re-sent file must repeat clean rows only, so rejects are not double counted.
    eligible = ~rows["late"] & (rows["dt"] != run.resend_day)
    kind = pick(rng, eligible, kinds, MALFORMED_SHARE, first)
    columns = activities.render(run.window, run.records, rows)
    columns = corrupt_fields(rng, columns, kind, activities.MALFORMED)
    wrong = kind == kinds.index("wrong_field_count")
    lines = csv_with_wrong_field_counts([columns[c] for c in activities.COLUMNS], wrong)
    run.tally("messiness", "crm/activities", late=rows["late"].sum(), **count_kinds(kind, kinds))
    run.tally("content", "crm/activities", inbound_rows=rows["inbound"].sum())
    return pa.table({"dt": rows["dt"], "key": rows["key"], "seq": rows["number"], "line": lines})


def email_table(run: Run, rng: np.random.Generator, rows: dict, first: bool) -> pa.Table:
    rows = make_late(rng, rows, email_events.LATE_SHARE)
    keep = deliverable(rows, run.window, run.missing_day)
    lost = (rows["dt"] == run.missing_day).sum()
    rows = select(rows, keep)
    run.email_seen[rows["code"]] = True
    kinds = list(email_events.MALFORMED)
    kind = pick(rng, ~rows["late"], kinds, MALFORMED_SHARE, first)
    columns = email_events.render(run.window, run.book, rows)
    columns = corrupt_fields(rng, columns, kind, email_events.MALFORMED)
    lines = truncated(email_events.lines(columns), kind == kinds.index("malformed_json"))
    table = pa.table({"dt": rows["dt"], "key": rows["key"], "seq": rows["number"], "line": lines})
    table, same, following = redeliver(
        rng, table, ~rows["late"] & (kind < 0), run.window, run.missing_day, first
    )
    run.tally(
        "messiness",
        "email/events",
        late=rows["late"].sum(),
        duplicate_redelivered=same + following,
        **count_kinds(kind, kinds),
    )
    run.tally(
        "delivery",
        "email/events",
        duplicate_same_partition=same,
        duplicate_next_partition=following,
        rows_lost_to_missing_day=lost,
    )
    run.tally("content", "email/events", **count_kinds(rows["kind"], EVENT_TYPES))
    return table


def orders_table(run: Run, rng: np.random.Generator, rows: dict, first: bool) -> pa.Table:
    rows = select(rows, deliverable(rows, run.window, None))
    has_email = rows["code"] != NO_EMAIL
    run.email_seen[rows["code"][has_email]] = True
    kinds = list(orders.MALFORMED)
    # Parquet days are typed exports, which cannot hold a malformed value.
    eligible = (rows["status"] == orders.PAID) & ~orders.is_parquet_day(rows["dt"])
    kind = pick(rng, eligible, kinds, MALFORMED_SHARE, first)
    keyed = kind != kinds.index("missing_key")
    run.order_ids.append(rows["number"][keyed])
    run.order_people.append(rows["person"][keyed])
    columns = orders.render(run.window, run.people, run.junk, run.book, rows)
    columns = corrupt_fields(rng, columns, kind, orders.MALFORMED)
    wrong = kind == kinds.index("wrong_field_count")
    lines = csv_with_wrong_field_counts([columns[c] for c in orders.COLUMNS], wrong)
    run.tally("messiness", "orders/orders", **count_kinds(kind, kinds))
    has_phone = rows["template"] != NO_PHONE
    style = np.where(has_email, rows["email_style"], -1)
    run.tally(
        "identity",
        "orders/orders",
        guest_checkout_rows=(~has_email & ~has_phone).sum(),
        display_name_email_rows=(style == DISPLAY_NAME).sum(),
        email_case_or_whitespace_rows=(
            (style != CLEAN) & (style != DISPLAY_NAME) & has_email
        ).sum(),
        junk_email_rows=(rows["code"] >= run.book.n_people).sum(),
        **{f"phone_{f}_rows": (rows["template"] == i).sum() for i, f in enumerate(PHONE_FORMATS)},
    )
    run.tally("content", "orders/orders", **count_kinds(rows["status"], orders.STATUSES))
    return pa.table(
        {
            "dt": rows["dt"],
            "key": rows["key"],
            "seq": rows["number"],
            "line": lines,
            "seconds": rows["seconds"],
            **columns,
        }
    )
