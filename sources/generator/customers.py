"""CRM customer records: one per CRM person, a second record for some, and later changes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sources.contract import entities

from . import names
from .behaviour import CONTACT_HOURS, NEVER, Plan, clock
from .formats import PHONE_FORMATS, STRING, csv_lines, ids, strings, timestamps_mixed
from .identity import CLEAN, NO_EMAIL, NO_PHONE, AddressBook, Junk, phone_text
from .people import CRM, People
from .window import DAY, Window

# The landing contract's columns, in its order: the sample is written to the contract.
COLUMNS = tuple(entities()["crm/customers"].column_names)
DUPLICATE_SHARE = 0.08
MISSING_PHONE, MISSING_EMAIL, DUPLICATE_MISSING_EMAIL = 0.04, 0.06, 0.4
WECHAT_SHARE = 0.6
PHONE_TEMPLATE_P = (0.55, 0.10, 0.05, 0.10, 0.10, 0.07, 0.03)  # over PHONE_FORMATS
EMAIL_STYLE_P = (0.94, 0.02, 0.02, 0.02, 0.0)  # over EMAIL_STYLES; display names only on orders
CHANGES_PER_YEAR = 0.3  # a record changes at most once: one later state tests latest-wins
REP_CHANGE_SHARE = 0.7  # the rest are phone changes (reformatted, filled in or de-junked)
TIMESTAMP_STYLES = ("sql", "slash")
SLASH_SHARE = 0.03


@dataclass(frozen=True)
class Records:
    person: np.ndarray
    number: np.ndarray  # customer_id number
    created: np.ndarray  # seconds; negative before the window
    phone_template: np.ndarray
    phone_junk: np.ndarray
    email_code: np.ndarray
    email_style: np.ndarray
    has_wechat: np.ndarray
    rep: np.ndarray
    change_seconds: np.ndarray  # NEVER * DAY when unchanged
    rep_change: np.ndarray
    new_rep: np.ndarray
    new_phone_template: np.ndarray
    primary: np.ndarray  # per person: record index, -1 outside the CRM
    duplicate: np.ndarray  # per person: second record index or -1

    @property
    def n(self) -> int:
        return len(self.person)

    @property
    def id_width(self) -> int:
        return max(7, len(str(self.n)))

    def customer_ids(self, record: np.ndarray) -> pa.Array:
        return ids("C", self.number[record], self.id_width)

    def rep_at(self, record: np.ndarray, seconds: np.ndarray) -> np.ndarray:
        changed = self.rep_change[record] & (seconds >= self.change_seconds[record])
        return np.where(changed, self.new_rep[record], self.rep[record])


def _choice(rng: np.random.Generator, p, size: int) -> np.ndarray:
    return rng.choice(len(p), size=size, p=np.asarray(p) / np.sum(p)).astype(np.int8)


def build_records(
    rng: np.random.Generator,
    people: People,
    plan: Plan,
    junk: Junk,
    book: AddressBook,
    window: Window,
) -> Records:
    crm = np.flatnonzero(people.segment == CRM)
    # A second record appears some time after the first, while the window is still open.
    can_dup = plan.start[crm] < window.days - 1
    dup = crm[can_dup & (rng.random(len(crm)) < DUPLICATE_SHARE)]
    dup_day = (
        plan.start[dup]
        + 1
        + (rng.random(len(dup)) * (window.days - 1 - plan.start[dup])).astype(int)
    )
    person = np.concatenate([crm, dup])
    n, is_dup = len(person), np.repeat([False, True], [len(crm), len(dup)])
    created = clock(rng, np.concatenate([plan.start[crm], dup_day]), CONTACT_HOURS)

    template = _choice(rng, PHONE_TEMPLATE_P, n)
    template[rng.random(n) < MISSING_PHONE] = NO_PHONE
    missing_email = rng.random(n) < np.where(is_dup, DUPLICATE_MISSING_EMAIL, MISSING_EMAIL)
    junk_email = np.where(is_dup, -1, junk.email_of[person])
    email_code = np.where(junk_email >= 0, book.junk_code(junk_email), person)
    email_code = np.where(missing_email & (junk_email < 0), NO_EMAIL, email_code)

    # A constant hazard from creation (or the window start), so changes spread evenly over days.
    first_day = np.maximum(created // DAY + 1, 0)
    change_day = first_day + rng.geometric(CHANGES_PER_YEAR / 365, n) - 1
    changes = change_day < window.days
    change_seconds = np.where(changes, clock(rng, change_day, CONTACT_HOURS), NEVER * DAY)

    primary = np.full(people.n, -1)
    primary[crm] = np.arange(len(crm))
    duplicate = np.full(people.n, -1)
    duplicate[dup] = np.arange(len(crm), n)
    return Records(
        person=person,
        number=rng.permutation(n) + 1,
        created=created,
        phone_template=template,
        phone_junk=np.where(is_dup, -1, junk.phone_of[person]),
        email_code=email_code,
        email_style=_choice(rng, EMAIL_STYLE_P, n),
        has_wechat=rng.random(n) < WECHAT_SHARE,
        rep=np.where(is_dup, rng.integers(0, people.n_reps, n), people.rep[person]),
        change_seconds=change_seconds,
        rep_change=changes & (rng.random(n) < REP_CHANGE_SHARE),
        new_rep=rng.integers(0, people.n_reps, n),
        new_phone_template=_choice(rng, PHONE_TEMPLATE_P, n),
        primary=primary,
        duplicate=duplicate,
    )


@dataclass(frozen=True)
class CustomerRows:
    table: pa.Table  # dt, key, seq, line
    email_codes: np.ndarray  # emails on valid rows, for the identity truth
    blank_key_day: int  # the partition holding the one malformed row
    malformed: dict[str, int]
    identity: dict[str, int]
    content: dict[str, int]


def customer_rows(
    rng: np.random.Generator,
    people: People,
    records: Records,
    junk: Junk,
    book: AddressBook,
    window: Window,
) -> CustomerRows:
    """The backlog on day 0, new records on their creation day, changes on their change day."""
    changed = np.flatnonzero(records.change_seconds < NEVER * DAY)
    record = np.concatenate([np.arange(records.n), changed])
    is_change = np.repeat([False, True], [records.n, len(changed)])
    created = records.created[record]
    backlog = (created < 0) & ~is_change
    # Backlog rows were last touched some time before the window opened.
    updated = np.where(
        backlog, created - (rng.random(len(record)) * created).astype(np.int64), created
    )
    updated = np.where(is_change, records.change_seconds[record], updated)
    phone_change = is_change & ~records.rep_change[record]
    rows = {
        "record": record,
        "created": created,
        "updated": updated,
        "dt": np.where(is_change, updated // DAY, np.maximum(created // DAY, 0)),
        "template": np.where(
            phone_change, records.new_phone_template[record], records.phone_template[record]
        ),
        "phone_junk": np.where(phone_change, -1, records.phone_junk[record]),
        "rep": np.where(is_change, records.rep_at(record, updated), records.rep[record]),
    }
    valid = len(record)
    # One extra copy of a later row with a blank customer_id: the only malformed customer row.
    later = np.flatnonzero(rows["dt"] > 0)
    bad = int(rng.choice(later if len(later) else np.arange(valid)))
    rows = {k: np.append(v, v[bad]) for k, v in rows.items()}

    record, person = rows["record"], records.person[rows["record"]]
    company = people.company[person]
    style = (rng.random(len(record)) < SLASH_SHARE).astype(np.int8)
    customer_id = pa.concat_arrays([records.customer_ids(record[:valid]), strings([""])])
    no_wechat = pa.scalar(None, STRING)
    columns = [
        customer_id,
        people.name.take(person),
        people.companies.name.take(company),
        people.companies.credit_code.take(company),
        phone_text(people.phone[person], rows["template"], rows["phone_junk"], junk),
        book.rendered(records.email_code[record], records.email_style[record], person),
        pc.if_else(pa.array(records.has_wechat[record]), people.wechat.take(person), no_wechat),
        ids("R", rows["rep"] + 1, 4),
        strings([r[0] for r in names.REGIONS]).take(people.companies.region[company]),
        strings([i[0] for i in names.INDUSTRIES]).take(people.companies.industry[company]),
        timestamps_mixed(window, rows["created"], style, TIMESTAMP_STYLES),
        timestamps_mixed(window, rows["updated"], style, TIMESTAMP_STYLES),
    ]
    table = pa.table(
        {
            "dt": rows["dt"],
            "key": rows["updated"],
            "seq": np.arange(len(record)),
            "line": csv_lines(columns),
        }
    )
    return CustomerRows(
        table=table,
        email_codes=records.email_code[record[:valid]],
        blank_key_day=int(rows["dt"][-1]),
        malformed={"missing_key": 1},
        identity=_identity_counts(records, book, {k: v[:valid] for k, v in rows.items()}),
        content={
            "records": records.n,
            "backlog_rows": int(backlog.sum()),
            "changed_rows": len(changed),
        },
    )


def _identity_counts(records: Records, book: AddressBook, rows: dict) -> dict[str, int]:
    codes = records.email_code[rows["record"]]
    junk_phone = rows["phone_junk"] >= 0
    blank_phone = (rows["template"] == NO_PHONE) & ~junk_phone
    mangled = (records.email_style[rows["record"]] != CLEAN) & (codes != NO_EMAIL)
    counts = {
        "duplicate_person_records": int((records.duplicate >= 0).sum()),
        "junk_phone_rows": int(junk_phone.sum()),
        "junk_email_rows": int((codes >= book.n_people).sum()),
        "missing_phone_rows": int(blank_phone.sum()),
        "missing_email_rows": int((codes == NO_EMAIL).sum()),
        "email_case_or_whitespace_rows": int(mangled.sum()),
    }
    for i, fmt in enumerate(PHONE_FORMATS):
        counts[f"phone_{fmt}_rows"] = int(((rows["template"] == i) & ~junk_phone).sum())
    return counts
