"""The pandas baseline of the benchmark: the RFM and contact-cadence marts as an analyst would
compute them in a notebook, straight from the landing export files.

`python -m tests.bench.notebook --landing DIR --as-of YYYY-MM-DD --out DIR` reads the landing tree
(`<source>/<entity>/dt=YYYY-MM-DD/<file>`), cleans it by the contracts in `sources/*.yml`, computes
`mart_customer_rfm` and `mart_customer_cadence` with vectorised pandas (groupby, merge, rank, no
loops over rows), writes `OUT/rfm.parquet` and `OUT/cadence.parquet` and prints one line of JSON:
seconds per stage (read, clean, identity, rfm, cadence) and row counts. The benchmark compares its
wall time and peak memory with the pipeline; the contents are only meant to be close.

The cleaning follows the contracts: UTF-8 (with or without a BOM) falling back to GB18030, CSV rows
with the wrong number of fields and lines that are not JSON objects skipped, timestamps as epoch
seconds, ISO 8601 with an offset or naive Asia/Shanghai time (plus the sources' extra formats), all
in UTC; allowed values matched case-insensitively; rows missing a required value, or with one that
does not parse or is not allowed, dropped. Email events keep their first delivery, activities and
orders their latest one, CRM customers their latest `updated_at`.

To fit 50M interaction rows in about 12 GB, files are read one at a time (only the needed columns,
as pyarrow-backed text) and cleaned in batches of about a million rows; repeated identifiers are
kept as categoricals, record ids as 64-bit hashes, and each source's raw text is dropped once
cleaned.

Simplifications, as a notebook would make them:

- Identity: a customer is a CRM `customer_id`, not a stitched person. Activities belong to their
  `customer_id` (an unknown one is dropped). Email events belong to the CRM customer whose
  normalised email (trimmed, lower-cased, the address inside `Name <addr>`) matches; orders to the
  CRM customer with the buyer's email, else with the buyer's phone (digits only, last 11 digits,
  full-width digits folded). When several CRM customers share an email or phone, the smallest
  `customer_id` takes it. Anything unmatched becomes its own customer, keyed by its normalised
  email (or, for an order without a usable email, its phone); rows with neither are dropped.
  There is no blocklist of shared mailboxes or hotlines and no merging of duplicate CRM records.
- A customer's first-seen time (for `days_observed`) is its CRM `created_at`, or its first
  interaction if earlier or if it is not in the CRM.
- Activity, event, order and message ids are compared by a 64-bit hash of the text (a collision
  among 50M ids has odds of about 1 in 10^5).
- Vendor header mappings (`sources/mappings/`), rejects and load logs are not reproduced; rows
  counted as read are the rows pandas returned after skipping malformed lines.
- Dates are computed in Asia/Shanghai, the reporting timezone, and the dbt vars take their
  defaults.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from pandas.api.types import union_categoricals

SEEDS = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds"
TIMEZONE = "Asia/Shanghai"
EPOCH_DAY = np.datetime64("1970-01-01", "D")
BATCH_ROWS = 1_000_000
JSON_BLOCK_LINES = 500

# From the contracts in sources/*.yml.
FORMATS = {
    "crm": ["%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M"],
    "email": [],
    "orders": ["%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M"],
}
ACTIVITY_TYPES = pd.CategoricalDtype(["call", "visit", "meeting", "wechat", "sms", "note"])
DIRECTIONS = pd.CategoricalDtype(["outbound", "inbound"])
EVENT_TYPES = pd.CategoricalDtype(
    ["sent", "delivered", "open", "click", "reply", "bounce", "unsubscribe", "spam_report"]
)
CURRENCIES = pd.CategoricalDtype(["CNY", "USD", "EUR", "HKD"])
STATUSES = pd.CategoricalDtype(["paid", "refunded", "cancelled"])
# Only the columns the marts need are read.
COLUMNS = {
    "crm/customers": [
        "customer_id",
        "name",
        "phone",
        "email",
        "owner_rep",
        "created_at",
        "updated_at",
    ],
    "crm/activities": ["activity_id", "customer_id", "activity_type", "direction", "occurred_at"],
    "email/events": ["event_id", "event_type", "email", "message_id", "occurred_at"],
    "orders/orders": [
        "order_id",
        "buyer_email",
        "buyer_phone",
        "ordered_at",
        "amount",
        "currency",
        "status",
    ],
}

# dbt vars of the marts, at their defaults.
RFM_WINDOW_DAYS = 365
WINDOWS = [7, 30, 90, 180]
BURST_MIN_TOUCHES, BURST_WINDOW_DAYS, BURST_SILENCE_DAYS = 5, 3, 60
DECLINE_MIN_PRIOR, DECLINE_THRESHOLD, DECLINE_MIN_DROP_SD = 6, 0.5, 1
DECLINE_EXCLUDED_CHANNELS = ["email"]
DUE_SOON_FRACTION = 0.75

EPOCH_SECONDS = r"\d{9,10}(?:\.\d+)?"
OFFSET_SUFFIX = r"(?:[Zz]|[+-]\d{2}(?::?\d{2})?)$"  # with a time (a ':'), an absolute time
EMAIL_SHAPE = r"[^@\s]+@[^@\s]+\.[^@\s]+"


# ---------------------------------------------------------------------------------------------
# Reading: one file at a time, cleaned in batches, so that the raw text of one batch at most is in
# memory


def landing_files(landing: Path, entity: str, suffixes: tuple[str, ...]) -> list[Path]:
    """The entity's files in delivery order: by day, then file name (rows keep file order)."""
    files = []
    for folder in sorted((landing / entity).glob("dt=*")):
        files += sorted(
            f
            for f in folder.iterdir()
            if f.is_file() and f.suffix in suffixes and not f.name.startswith((".", "_", "~"))
        )
    return files


def read_csv(path: Path, columns: list[str]) -> pd.DataFrame | None:
    with path.open("rb") as f:
        first_line = f.readline()
    if not first_line.strip():
        return None
    # The pyarrow engine is several times faster than the C one on these files and, unlike it,
    # also skips rows with too few fields; it needs the header's exact spelling for usecols.
    for encoding, header_encoding in (("utf-8", "utf-8-sig"), ("gb18030", "gb18030")):
        try:
            header = next(csv.reader([first_line.decode(header_encoding)]))
            spelled = {name.strip().lower(): name for name in header}
            frame = pd.read_csv(
                path,
                engine="pyarrow",
                usecols=[spelled[c] for c in columns if c in spelled],
                dtype=str,
                on_bad_lines="skip",
                encoding=encoding,
            )
        except (UnicodeDecodeError, pd.errors.ParserError):
            continue
        return frame.rename(columns=lambda name: name.strip().lower())
    raise ValueError(f"{path}: neither UTF-8 nor GB18030")


def read_parquet(path: Path, columns: list[str]) -> pd.DataFrame:
    spelled = {name.strip().lower(): name for name in pq.read_schema(path).names}
    frame = pd.read_parquet(path, columns=[spelled[c] for c in columns if c in spelled])
    # Typed Parquet columns go through the same text cleaning as CSV (a naive timestamp is local).
    return frame.rename(columns=lambda name: name.strip().lower()).astype(str)


def _json_value(line: str) -> object:
    try:
        return json.loads(line)
    except ValueError:
        return None


def read_jsonl(path: Path, columns: list[str]) -> pd.DataFrame | None:
    lines = [line for line in path.read_text(encoding="utf-8-sig").splitlines() if line.strip()]
    if not lines:
        return None
    # pd.read_json(lines=True) raises on a bad line, and json.loads line by line is twice as slow
    # as one json.loads over many lines joined into an array. So: blocks of lines as arrays, and
    # only a block with a bad line (a few per day's file) parsed line by line.
    records: list = []
    for start in range(0, len(lines), JSON_BLOCK_LINES):
        block = lines[start : start + JSON_BLOCK_LINES]
        try:
            records += json.loads("[" + ",".join(block) + "]")
        except ValueError:
            records += map(_json_value, block)
    records = [record for record in records if isinstance(record, dict)]
    # occurred_at mixes epoch numbers and text: as text, like a CSV cell.
    return pd.DataFrame.from_records(records, columns=columns).astype(str)


READERS = {".csv": read_csv, ".parquet": read_parquet, ".jsonl": read_jsonl}


# ---------------------------------------------------------------------------------------------
# Cleaning: each file's rows as they are read, then the entity's duplicates once all are in.
# Identifiers that repeat (customer ids, emails, phones) become categoricals per file, joined with
# union_categoricals; record ids become 64-bit hashes: a few bytes a row instead of the text.


def text(values: pd.Series) -> pd.Series:
    """Trimmed text, with empty text as missing."""
    values = values.str.strip()
    return values.mask(values == "")


def by_distinct(values: pd.Series, transform, dtype=None) -> pd.Categorical:
    """transform() applied once per distinct value, as a categorical: the values repeat (a few
    spellings of a type, an address over many events) and the string work is per value."""
    as_category = values.astype("category")
    transformed = transform(pd.Series(as_category.cat.categories, dtype=str))
    if dtype is None:
        dtype = pd.CategoricalDtype(transformed.dropna().unique())
    lookup = pd.Categorical(transformed, dtype=dtype).codes
    codes = as_category.cat.codes.to_numpy()
    return pd.Categorical.from_codes(np.where(codes >= 0, lookup[codes], -1), dtype=dtype)


def allowed(values: pd.Series, dtype: pd.CategoricalDtype) -> pd.Categorical:
    """Case-insensitive match to the contract's spelling; anything else becomes missing."""
    spelling = {value.lower(): value for value in dtype.categories}
    return by_distinct(values, lambda v: v.str.strip().str.lower().map(spelling), dtype)


def to_utc(values: pd.Series, formats: list[str]) -> np.ndarray:
    """datetime64[us] in UTC (NaT where unparseable) from the landing's three timestamp shapes."""
    values = text(values)
    out = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[us]")
    epoch = values.str.fullmatch(EPOCH_SECONDS).to_numpy(bool)
    offset = (
        ~epoch
        & values.str.contains(OFFSET_SUFFIX).to_numpy(bool)
        & values.str.contains(":", regex=False).to_numpy(bool)
    )
    naive = ~epoch & ~offset & values.notna().to_numpy()
    if epoch.any():
        seconds = values[epoch].astype(float)
        out[epoch] = pd.to_datetime(seconds, unit="s").to_numpy("datetime64[us]")
    if offset.any():
        parsed = pd.to_datetime(values[offset], format="ISO8601", utc=True, errors="coerce")
        out[offset] = parsed.dt.tz_localize(None).to_numpy("datetime64[us]")
    if naive.any():
        local_text = values[naive]
        local = pd.to_datetime(local_text, format="ISO8601", errors="coerce")
        for fmt in formats:
            missing = local.isna()
            if not missing.any():
                break
            local[missing] = pd.to_datetime(local_text[missing], format=fmt, errors="coerce")
        utc = local.dt.tz_localize(TIMEZONE, ambiguous="NaT", nonexistent="NaT")
        out[naive] = utc.dt.tz_convert(None).to_numpy("datetime64[us]")
    return out


def local_day(utc: np.ndarray | pd.Series) -> np.ndarray:
    """Local calendar date as int32 days since 1970-01-01 (computed per file, where the
    temporaries of the time zone conversion are small)."""
    local = pd.Series(utc).dt.tz_localize("UTC").dt.tz_convert(TIMEZONE).dt.tz_localize(None)
    return local.to_numpy("datetime64[D]").astype("int64").astype("int32")


def normalise_email(values: pd.Series) -> pd.Series:
    inner = values.str.extract(r"<([^>]*)>", expand=False)
    address = inner.mask(inner.str.strip() == "").fillna(values).str.strip().str.lower()
    return address.where(address.str.fullmatch(EMAIL_SHAPE))


def normalise_phone(values: pd.Series) -> pd.Series:
    digits = values.str.normalize("NFKC").str.replace(r"\D", "", regex=True).str[-11:]
    return digits.where(digits.str.len() >= 7)


def clean_customers_file(raw: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": text(raw["customer_id"]),
            "customer_name": text(raw["name"]),
            "owner_rep_id": text(raw["owner_rep"]),
            "created_at": to_utc(raw["created_at"], FORMATS["crm"]),
            "updated_at": to_utc(raw["updated_at"], FORMATS["crm"]),
            "email": normalise_email(text(raw["email"])),
            "phone": normalise_phone(text(raw["phone"])),
        }
    ).dropna(subset=["customer_id", "created_at", "updated_at"])


def finish_customers(customers: pd.DataFrame) -> pd.DataFrame:
    # Stable sort: equal updated_at keep delivery order, so the later delivery wins the tie.
    customers = customers.sort_values("updated_at", kind="stable")
    return customers.drop_duplicates("customer_id", keep="last").reset_index(drop=True)


def fingerprint(values: pd.Series) -> np.ndarray:
    """A 64-bit hash of each id, to deduplicate and group on at 8 bytes a row.

    Hashing tens of millions of distinct strings at once takes over 150 bytes a row; two of 50M
    ids share a 64-bit hash with odds of about 1 in 10^5.
    """
    return pd.util.hash_pandas_object(values, index=False).to_numpy()


def clean_activities_file(raw: pd.DataFrame) -> pd.DataFrame:
    activities = pd.DataFrame(
        {
            "activity_id": text(raw["activity_id"]),
            "customer_id": text(raw["customer_id"]),
            "activity_type": allowed(raw["activity_type"], ACTIVITY_TYPES),
            "direction": allowed(raw["direction"], DIRECTIONS),
            "occurred_at": to_utc(raw["occurred_at"], FORMATS["crm"]),
        }
    ).dropna()
    return activities.assign(
        activity_id=fingerprint(activities["activity_id"]),
        customer_id=activities["customer_id"].astype("category"),
        direction=(activities["direction"] == "inbound").to_numpy(),
        occurred_date=local_day(activities["occurred_at"]),
    ).rename(columns={"direction": "inbound"})


def finish_activities(activities: pd.DataFrame) -> pd.DataFrame:
    # Files were concatenated in delivery order: the last copy is the latest delivered.
    latest = ~activities.pop("activity_id").duplicated(keep="last").to_numpy()
    return activities[latest].reset_index(drop=True)


def clean_email_events_file(raw: pd.DataFrame) -> pd.DataFrame:
    events = pd.DataFrame(
        {
            "event_id": text(raw["event_id"]),
            "event_type": allowed(raw["event_type"], EVENT_TYPES),
            "email": text(raw["email"]),
            "message_id": text(raw["message_id"]),
            "occurred_at": to_utc(raw["occurred_at"], FORMATS["email"]),
        }
    ).dropna()
    return events.assign(
        event_id=fingerprint(events["event_id"]),
        # An address that is not one is still a valid event: it stays, unresolved.
        email=by_distinct(events["email"], normalise_email),
        message_id=fingerprint(events["message_id"]),
        occurred_date=local_day(events["occurred_at"]),
    )


def finish_email_events(events: pd.DataFrame) -> pd.DataFrame:
    # Delivered at least once: the first delivery is the event (a re-delivery must not move it).
    first = ~events.pop("event_id").duplicated(keep="first").to_numpy()
    return events[first].reset_index(drop=True)


def clean_orders_file(raw: pd.DataFrame) -> pd.DataFrame:
    orders = pd.DataFrame(
        {
            "order_id": text(raw["order_id"]),
            "ordered_at": to_utc(raw["ordered_at"], FORMATS["orders"]),
            "amount": pd.to_numeric(text(raw["amount"]), errors="coerce"),
            "currency": allowed(raw["currency"], CURRENCIES),
            "status": allowed(raw["status"], STATUSES),
            "buyer_email": text(raw["buyer_email"]),
            "buyer_phone": text(raw["buyer_phone"]),
        }
    ).dropna(subset=["order_id", "ordered_at", "amount", "currency", "status"])
    return orders.assign(
        order_id=fingerprint(orders["order_id"]),
        buyer_email=by_distinct(orders["buyer_email"], normalise_email),
        buyer_phone=by_distinct(orders["buyer_phone"], normalise_phone),
        order_date=local_day(orders["ordered_at"]),
    )


def finish_orders(orders: pd.DataFrame) -> pd.DataFrame:
    # A refund or cancellation re-sends the order later: the latest delivery is its state.
    latest = ~orders.pop("order_id").duplicated(keep="last").to_numpy()
    return orders[latest].reset_index(drop=True)


def combine(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """pd.concat, except that categoricals of different categories stay categorical."""
    columns = {}
    for name in parts[0].columns:
        pieces = [part[name] for part in parts]
        if isinstance(pieces[0].dtype, pd.CategoricalDtype) and any(
            piece.dtype != pieces[0].dtype for piece in pieces
        ):
            columns[name] = pd.Series(union_categoricals(pieces))
        else:
            columns[name] = pd.concat(pieces, ignore_index=True)
    return pd.DataFrame(columns)


SOURCES = {
    "crm/customers": ((".csv",), clean_customers_file, finish_customers),
    "crm/activities": ((".csv",), clean_activities_file, finish_activities),
    "email/events": ((".jsonl",), clean_email_events_file, finish_email_events),
    "orders/orders": ((".csv", ".parquet"), clean_orders_file, finish_orders),
}


# ---------------------------------------------------------------------------------------------
# Identity and the interactions table


def owners(customers: pd.DataFrame, identifier: str) -> pd.Series:
    """identifier value -> customer_id; the smallest customer_id when several share it."""
    holders = customers.dropna(subset=[identifier]).sort_values("customer_id")
    return holders.drop_duplicates(identifier).set_index(identifier)["customer_id"]


def key_codes(category: pd.Categorical, keys_by_category: pd.Series, universe: pd.Index):
    """Per row, the position in `universe` of the key of the row's category (-1 for none)."""
    lookup = universe.get_indexer(keys_by_category.to_numpy())
    lookup[keys_by_category.isna().to_numpy()] = -1
    codes = category.codes
    return np.where(codes >= 0, lookup[np.maximum(codes, 0)], -1).astype("int32")


def identify(
    customers: pd.DataFrame,
    activities: pd.DataFrame,
    events: pd.DataFrame,
    orders: pd.DataFrame,
    weights: pd.DataFrame,
) -> tuple[pd.Index, pd.DataFrame, pd.DataFrame]:
    """Customer keys, one row per interaction (fct_interactions), and orders with their key."""
    by_email, by_phone = owners(customers, "email"), owners(customers, "phone")
    event_emails = pd.Series(events["email"].cat.categories)
    order_emails = pd.Series(orders["buyer_email"].cat.categories)
    order_phones = pd.Series(orders["buyer_phone"].cat.categories)
    event_keys = event_emails.map(by_email).fillna(event_emails)
    # An order: CRM by email, else CRM by phone, else its own email, else its own phone.
    crm_by_order_email = order_emails.map(by_email)
    crm_by_order_phone = order_phones.map(by_phone)
    universe = pd.Index(
        pd.concat([customers["customer_id"], event_keys, order_emails, order_phones])
    ).unique()

    order_customer = key_codes(orders["buyer_email"].array, crm_by_order_email, universe)
    for category, keys in (
        (orders["buyer_phone"].array, crm_by_order_phone),
        (orders["buyer_email"].array, order_emails),
        (orders["buyer_phone"].array, order_phones),
    ):
        order_customer = np.where(
            order_customer >= 0, order_customer, key_codes(category, keys, universe)
        )
    orders = orders.drop(columns=["buyer_email", "buyer_phone"]).assign(customer=order_customer)
    orders = orders[orders["customer"] >= 0]

    activity_ids = pd.Series(activities["customer_id"].cat.categories)
    activity_keys = activity_ids.where(activity_ids.isin(customers["customer_id"]))
    activity_customer = key_codes(activities["customer_id"].array, activity_keys, universe)

    event_customer = key_codes(events["email"].array, event_keys, universe)
    events = events.drop(columns="email").assign(customer=event_customer)
    events = events[events["customer"] >= 0]
    # An email message is one touch at its 'sent' (else its first event); its customer and the
    # first of each kind of reaction follow from the message's events. (A local date is monotonic
    # in the time: the earliest date is the earliest time's date.)
    is_sent = (events["event_type"] == "sent").to_numpy()
    messages = (
        events.assign(
            sent_at=events["occurred_at"].where(is_sent),
            sent_date=events["occurred_date"].where(is_sent),
        )
        .groupby("message_id")
        .agg(
            customer=("customer", "min"),
            sent_at=("sent_at", "min"),
            sent_date=("sent_date", "min"),
            first_at=("occurred_at", "min"),
            first_date=("occurred_date", "min"),
        )
    )
    reactions = (
        events[~is_sent]
        .groupby(["message_id", "event_type"], observed=True)[["occurred_at", "occurred_date"]]
        .min()
        .reset_index()
    )
    del events

    types = pd.CategoricalDtype(weights["interaction_type"])

    def interactions(customer, at, date, interaction_type, inbound, initiated) -> pd.DataFrame:
        rows = len(customer)
        if isinstance(interaction_type, str):
            code = types.categories.get_loc(interaction_type)
            interaction_type = pd.Categorical.from_codes(np.full(rows, code, "int8"), dtype=types)
        return pd.DataFrame(
            {
                "customer": np.asarray(customer, dtype="int32"),
                "occurred_at": np.asarray(at, dtype="datetime64[us]"),
                "occurred_date": np.asarray(date, dtype="int32"),
                # Recoding categories to categories touches codes only, not strings.
                "interaction_type": pd.Categorical(interaction_type, dtype=types),
                "inbound": np.broadcast_to(inbound, rows).copy(),
                "customer_initiated": np.broadcast_to(initiated, rows).copy(),
            }
        )

    # Built one source at a time, each freed once its part exists.
    known = activity_customer >= 0
    activities = activities[known]
    inbound = activities["inbound"].to_numpy()
    parts = [
        interactions(
            activity_customer[known],
            activities["occurred_at"],
            activities["occurred_date"],
            activities["activity_type"],
            inbound,
            inbound,
        )
    ]
    del activities, activity_customer, known, inbound
    parts.append(
        interactions(
            messages["customer"],
            messages["sent_at"].fillna(messages["first_at"]),
            messages["sent_date"].fillna(messages["first_date"]),
            "email_message",
            False,
            False,
        )
    )
    reaction_type = (
        reactions["event_type"]
        .cat.remove_categories(["sent"])
        .cat.rename_categories(lambda t: f"email_{t}")
    )
    parts.append(
        interactions(
            messages["customer"].reindex(reactions["message_id"]),
            reactions["occurred_at"],
            reactions["occurred_date"],
            reaction_type,
            ~reactions["event_type"].isin(["delivered", "bounce"]).to_numpy(),
            False,
        )
    )
    del messages, reactions, reaction_type
    parts.append(
        interactions(
            orders["customer"], orders["ordered_at"], orders["order_date"], "order", True, True
        )
    )
    unioned = pd.concat(parts, ignore_index=True)
    del parts
    return universe, unioned, orders


def classify(interactions: pd.DataFrame, weights: pd.DataFrame) -> pd.DataFrame:
    """Channel, weight and the touch / response flags from the interaction_weights seed."""
    seed = weights.set_index("interaction_type").reindex(
        interactions["interaction_type"].cat.categories
    )
    codes = interactions["interaction_type"].cat.codes.to_numpy()
    inbound = interactions["inbound"].to_numpy()
    channels = pd.CategoricalDtype(seed["channel"].unique())
    channel_codes = pd.Categorical(seed["channel"], dtype=channels).codes[codes]
    interactions["channel"] = pd.Categorical.from_codes(channel_codes, dtype=channels)
    interactions["weight"] = seed["weight"].to_numpy("float32")[codes]
    interactions["is_touch"] = seed["is_touch"].to_numpy(bool)[codes] & ~inbound
    interactions["is_response"] = seed["is_response"].to_numpy(bool)[codes] & inbound
    return interactions


# ---------------------------------------------------------------------------------------------
# Marts


def as_dates(days: pd.Series) -> pd.Series:
    """Dates from (possibly missing) day numbers, as a date32 column like the warehouse's."""
    values = days.to_numpy("float64")
    dates = EPOCH_DAY + np.nan_to_num(values).astype("int64")
    dates[np.isnan(values)] = np.datetime64("NaT")
    return pd.Series(dates, index=days.index).astype(pd.ArrowDtype(pa.date32()))


def quintile(values: pd.Series, ascending: bool = True) -> pd.Series:
    """1 + floor(5 * (rank - 1) / n) with ties sharing the smallest rank, as the SQL does."""
    rank = values.rank(method="min", ascending=ascending)
    return (1 + np.floor(5 * (rank - 1) / len(values))).astype("int64")


def rfm_mart(orders: pd.DataFrame, as_of_day: int, universe: pd.Index) -> pd.DataFrame:
    rates = pd.read_csv(SEEDS / "currency_rates.csv")
    segments = pd.read_csv(SEEDS / "rfm_segments.csv")[["rfm_code", "rfm_segment"]]
    paid = orders[orders["status"] == "paid"]
    paid = paid.assign(currency=paid["currency"].astype(str))
    paid = paid[paid["order_date"] <= as_of_day].merge(rates, on="currency")
    paid["reporting_amount"] = (paid["amount"] * paid["rate_to_cny"]).round(2)

    purchase_days = paid.groupby(["customer", "order_date"], as_index=False)[
        "reporting_amount"
    ].sum()
    firsts = purchase_days.groupby("customer").agg(
        first_order_date=("order_date", "min"),
        last_order_date=("order_date", "max"),
        purchase_days=("order_date", "size"),
    )
    first_day = firsts["first_order_date"].reindex(purchase_days["customer"]).to_numpy()
    repeats = (
        purchase_days[purchase_days["order_date"].to_numpy() > first_day]
        .groupby("customer")["reporting_amount"]
        .mean()
    )
    windowed = (
        paid[paid["order_date"] > as_of_day - RFM_WINDOW_DAYS]
        .groupby("customer")["reporting_amount"]
        .agg(frequency_orders="size", monetary="sum")
    )

    rfm = firsts.join(windowed).join(repeats.rename("lifetimes_monetary_value"))
    rfm["recency_days"] = as_of_day - rfm["last_order_date"]
    rfm["frequency_orders"] = rfm["frequency_orders"].fillna(0).astype("int64")
    rfm["monetary"] = rfm["monetary"].fillna(0.0)
    rfm["r_score"] = quintile(rfm["recency_days"], ascending=False)
    rfm["f_score"] = quintile(rfm["frequency_orders"])
    rfm["m_score"] = quintile(rfm["monetary"])
    rfm["rfm_code"] = rfm["r_score"] * 100 + rfm["f_score"] * 10 + rfm["m_score"]
    rfm["lifetimes_frequency"] = rfm["purchase_days"] - 1
    rfm["lifetimes_recency"] = rfm["last_order_date"] - rfm["first_order_date"]
    rfm["lifetimes_t"] = as_of_day - rfm["first_order_date"]
    rfm["lifetimes_monetary_value"] = rfm["lifetimes_monetary_value"].fillna(0.0)
    rfm = rfm.reset_index().merge(segments, on="rfm_code")
    rfm["customer_key"] = universe[rfm["customer"]]
    rfm["as_of_date"] = as_dates(pd.Series(as_of_day, index=rfm.index))
    for column in ("first_order_date", "last_order_date"):
        rfm[column] = as_dates(rfm[column])
    return rfm[
        [
            "customer_key",
            "as_of_date",
            "first_order_date",
            "last_order_date",
            "recency_days",
            "frequency_orders",
            "monetary",
            "r_score",
            "f_score",
            "m_score",
            "rfm_code",
            "rfm_segment",
            "lifetimes_frequency",
            "lifetimes_recency",
            "lifetimes_t",
            "lifetimes_monetary_value",
            "customer",
        ]
    ]


def touch_gaps(touches: pd.DataFrame, as_of_day: int) -> pd.DataFrame:
    """Per customer: median gap between touch days (last 365 days), last gap, last burst date."""
    days = touches.groupby(["customer", "occurred_date"]).size().rename("touches").reset_index()
    customer = days["customer"].to_numpy()
    day = days["occurred_date"].to_numpy("int64")
    same_customer = np.r_[False, customer[1:] == customer[:-1]]
    gap = np.where(same_customer, day - np.r_[0, day[:-1]], np.nan)
    # Touches in [day, day + window - 1] of the same customer: rows are sorted by (customer, day),
    # so the window ends where searchsorted puts day + window - 1 on a combined sort key.
    key = customer.astype("int64") * (1 << 32) + day
    cumulative = days["touches"].to_numpy().cumsum()
    window_end = np.searchsorted(key, key + BURST_WINDOW_DAYS - 1, side="right") - 1
    in_window = cumulative[window_end] - cumulative + days["touches"].to_numpy()
    is_burst = (gap >= BURST_SILENCE_DAYS) & (in_window >= BURST_MIN_TOUCHES)
    is_last = np.r_[customer[1:] != customer[:-1], True]
    frame = pd.DataFrame(
        {
            "customer": customer,
            "recent_gap": np.where(day > as_of_day - 365, gap, np.nan),
            "burst_day": np.where(is_burst, day, np.nan),
        }
    )
    summary = frame.groupby("customer").agg(
        median_gap_days=("recent_gap", "median"), last_burst_date=("burst_day", "max")
    )
    last = pd.Series(gap[is_last], index=customer[is_last], name="last_gap_days")
    return summary.join(last.dropna())


def cadence_mart(
    interactions: pd.DataFrame,
    customers: pd.DataFrame,
    rfm: pd.DataFrame,
    universe: pd.Index,
    as_of_day: int,
) -> pd.DataFrame:
    # Every customer key in use: all CRM customers, and the email/buyer keys with interactions.
    in_use = np.zeros(len(universe), bool)
    in_use[universe.get_indexer(customers["customer_id"])] = True
    in_use[interactions["customer"].to_numpy()] = True
    first_interaction = interactions.groupby("customer")["occurred_at"].min()

    described = interactions["occurred_date"].to_numpy() <= as_of_day
    if not described.all():
        interactions = interactions[described]
    history_start = interactions["occurred_date"].min()
    customer = interactions["customer"].to_numpy()
    days_ago = as_of_day - interactions["occurred_date"].to_numpy()
    is_touch = interactions["is_touch"].to_numpy()
    initiated = interactions["customer_initiated"].to_numpy()
    is_response = interactions["is_response"].to_numpy()
    excluded = interactions["channel"].isin(DECLINE_EXCLUDED_CHANNELS).to_numpy()
    engaged = is_response | initiated | (is_touch & ~excluded)

    # One small groupby per measure over just the rows it counts: a frame of every measure for
    # every row (and groupby's int64 copy of it) would be several times the interactions table.
    def per_customer(rows: np.ndarray, values: np.ndarray | None = None, how: str = "sum"):
        if values is None:
            return pd.Series(customer[rows]).value_counts()
        return pd.Series(values[rows]).groupby(customer[rows]).agg(how)

    weight = interactions["weight"].to_numpy()
    occurred_at = interactions["occurred_at"].to_numpy()
    occurred_date = interactions["occurred_date"].to_numpy()

    measures = {}
    for days in WINDOWS:
        touched = is_touch & (days_ago < days)
        measures[f"touches_{days}d"] = per_customer(touched)
        measures[f"weighted_touches_{days}d"] = per_customer(touched, weight)
        measures[f"customer_initiated_{days}d"] = per_customer(initiated & (days_ago < days))
    counts = list(measures)
    measures["engagement_last_30d"] = per_customer(engaged & (days_ago < 30))
    measures["engagement_prior_90d"] = per_customer(engaged & (days_ago >= 30) & (days_ago < 120))
    counts += ["engagement_last_30d", "engagement_prior_90d"]
    measures["last_touch_at"] = per_customer(is_touch, occurred_at, "max")
    measures["last_touch_date"] = per_customer(is_touch, occurred_date, "max")
    measures["last_customer_initiated_date"] = per_customer(initiated, occurred_date, "max")
    measures["last_response_at"] = per_customer(is_response, occurred_at, "max")
    windowed = pd.DataFrame(measures)
    del measures, days_ago, engaged, excluded

    touches = interactions.loc[is_touch, ["customer", "occurred_at", "occurred_date", "channel"]]
    latest_touch = touches.groupby("customer")["occurred_at"].idxmax()
    last_channel = touches.loc[latest_touch, "channel"].astype(str)
    last_channel.index = latest_touch.index
    gaps = touch_gaps(touches, as_of_day)
    del touches, interactions

    keys = np.flatnonzero(in_use)
    crm = customers.assign(customer=universe.get_indexer(customers["customer_id"]))
    crm = crm.set_index("customer")
    first_seen = np.fmin(
        crm["created_at"].reindex(keys).to_numpy(), first_interaction.reindex(keys).to_numpy()
    )
    cadence = pd.DataFrame(
        {
            "customer_key": universe[keys],
            "customer_name": crm["customer_name"].reindex(keys).to_numpy(),
            "owner_rep_id": crm["owner_rep_id"].reindex(keys).to_numpy(),
        },
        index=pd.Index(keys, name="customer"),
    )
    rfm = rfm.set_index("customer")
    cadence["rfm_segment"] = rfm["rfm_segment"].reindex(keys).fillna("No Purchases").to_numpy()
    cadence["monetary"] = rfm["monetary"].reindex(keys).to_numpy()
    cadence["m_score"] = rfm["m_score"].reindex(keys).astype("Int64").array
    cadence = cadence.join(windowed).join(gaps).join(last_channel.rename("last_touch_channel"))
    for column in counts:
        cadence[column] = cadence[column].fillna(0)
        if not column.startswith("weighted"):
            cadence[column] = cadence[column].astype("int64")
    cadence["days_since_last_touch"] = as_of_day - cadence["last_touch_date"]
    cadence["days_since_last_customer_initiated"] = (
        as_of_day - cadence["last_customer_initiated_date"]
    )
    first_seen_day = pd.Series(local_day(first_seen), index=cadence.index).where(
        ~np.isnat(first_seen)
    )
    cadence["days_observed"] = as_of_day - np.fmax(first_seen_day, history_start)

    tiers = pd.read_csv(SEEDS / "tier_by_segment.csv").merge(
        pd.read_csv(SEEDS / "tier_cadence_targets.csv"), on="tier"
    )
    cadence = cadence.reset_index().merge(tiers, on="rfm_segment")
    cadence["expected_gap_days"] = 30.0 / cadence["min_touches_per_30_days"]
    since = cadence["days_since_last_touch"].fillna(cadence["days_observed"])
    cadence["cadence_status"] = np.select(
        [
            cadence["touches_30d"] > cadence["max_touches_per_30_days"],
            since > cadence["expected_gap_days"],
            since > cadence["expected_gap_days"] * DUE_SOON_FRACTION,
        ],
        ["over_contacted", "neglected", "due_soon"],
        "on_track",
    )
    cadence["has_recent_burst"] = cadence["last_burst_date"] > as_of_day - 180

    last_30 = cadence["engagement_last_30d"]
    prior_90 = cadence["engagement_prior_90d"]
    expected = prior_90 / 3.0
    cadence["frequency_trend"] = ((last_30 / 30.0) / (prior_90 / 90.0)).where(prior_90 > 0)
    cadence["is_declining"] = (
        (prior_90 >= DECLINE_MIN_PRIOR)
        & (last_30 <= DECLINE_THRESHOLD * expected)
        & (expected - last_30 >= DECLINE_MIN_DROP_SD * np.sqrt(expected))
    )
    declining = cadence["is_declining"]
    cadence["decline_reason"] = (
        "engagement fell to "
        + (100 * cadence["frequency_trend"][declining]).round().astype("int64").astype(str)
        + "% of its prior rate: "
        + last_30[declining].astype(str)
        + " in the last 30 days against "
        + prior_90[declining].astype(str)
        + " in the 90 days before ("
        + expected[declining].round().astype("int64").astype(str)
        + " expected)"
    ).reindex(cadence.index)

    cadence["as_of_date"] = as_dates(pd.Series(as_of_day, index=cadence.index))
    cadence["last_burst_date"] = as_dates(cadence["last_burst_date"])
    for column in ("days_since_last_touch", "days_since_last_customer_initiated", "days_observed"):
        cadence[column] = cadence[column].astype("Int64")
    for column in ("last_touch_at", "last_response_at"):
        cadence[column] = cadence[column].dt.tz_localize("UTC")
    windows = [
        f"{kind}_{days}d"
        for days in WINDOWS
        for kind in ("touches", "weighted_touches", "customer_initiated")
    ]
    return cadence[
        [
            "customer_key",
            "as_of_date",
            "customer_name",
            "owner_rep_id",
            "rfm_segment",
            "tier",
            "monetary",
            "m_score",
            *windows,
            "median_gap_days",
            "last_gap_days",
            "last_touch_at",
            "last_touch_channel",
            "last_response_at",
            "days_since_last_touch",
            "days_since_last_customer_initiated",
            "days_observed",
            "min_touches_per_30_days",
            "max_touches_per_30_days",
            "expected_gap_days",
            "cadence_status",
            "has_recent_burst",
            "last_burst_date",
            "engagement_last_30d",
            "engagement_prior_90d",
            "frequency_trend",
            "is_declining",
            "decline_reason",
        ]
    ]


# ---------------------------------------------------------------------------------------------
# The notebook, top to bottom


def run(landing: Path, as_of: dt.date, out: Path) -> dict:
    seconds = dict.fromkeys(["read", "clean", "identity", "rfm", "cadence"], 0.0)
    rows: dict[str, int] = {}

    @contextmanager
    def stage(name: str) -> Iterator[None]:
        began = time.perf_counter()
        yield
        seconds[name] += time.perf_counter() - began

    landing, out = Path(landing), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    as_of_day = int((np.datetime64(as_of, "D") - EPOCH_DAY).astype("int64"))
    weights = pd.read_csv(SEEDS / "interaction_weights.csv")

    cleaned = {}
    for entity, (suffixes, clean_file, finish) in SOURCES.items():
        columns = COLUMNS[entity]
        # An empty first part fixes the columns and dtypes even when no file has rows.
        parts = [clean_file(pd.DataFrame({c: pd.Series(dtype=str) for c in columns}))]
        batch: list[pd.DataFrame] = []
        rows[entity] = 0
        files = landing_files(landing, entity, suffixes)
        for number, path in enumerate(files, start=1):
            with stage("read"):
                raw = READERS[path.suffix](path, columns)
            if raw is not None:
                rows[entity] += len(raw)
                # A file without an optional column gets it, empty, as text like the others.
                batch.append(raw.reindex(columns=columns).astype(str))
            # Files are cleaned in batches of about a million rows: per file, pandas' overhead
            # per call adds up over thousands of files and the many small kept arrays fragment
            # the heap; the whole entity at once would hold all of its raw text.
            if batch and (sum(map(len, batch)) >= BATCH_ROWS or number == len(files)):
                with stage("clean"):
                    parts.append(clean_file(pd.concat(batch, ignore_index=True)))
                batch = []
        with stage("clean"):
            cleaned[entity] = finish(combine(parts))
        del parts

    with stage("identity"):
        customers = cleaned.pop("crm/customers")
        universe, interactions, orders = identify(
            customers,
            cleaned.pop("crm/activities"),
            cleaned.pop("email/events"),
            cleaned.pop("orders/orders"),
            weights,
        )
        interactions = classify(interactions, weights)
    rows["clean_interactions"] = len(interactions)

    with stage("rfm"):
        rfm = rfm_mart(orders, as_of_day, universe)
        rfm.drop(columns="customer").to_parquet(out / "rfm.parquet", index=False)
        del orders
    rows["rfm"] = len(rfm)

    with stage("cadence"):
        cadence = cadence_mart(interactions, customers, rfm, universe, as_of_day)
        cadence.to_parquet(out / "cadence.parquet", index=False)
    rows["cadence"] = len(cadence)

    return {"stages": {k: round(v, 3) for k, v in seconds.items()}, "rows": rows}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.notebook", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--landing", type=Path, required=True, help="the landing tree's root")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, required=True, help="YYYY-MM-DD")
    parser.add_argument("--out", type=Path, required=True, help="writes rfm/cadence.parquet")
    args = parser.parse_args(argv)
    result = run(args.landing, args.as_of, args.out)
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
