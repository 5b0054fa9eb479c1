"""One generation run: people and plans up front, then interactions chunk by chunk of days."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from tqdm import tqdm

from . import activities, behaviour, email_events, orders, truth
from .customers import COLUMNS as CUSTOMER_COLUMNS
from .customers import build_records, customer_rows
from .identity import NO_EMAIL, AddressBook, pick_junk
from .people import CRM, build_people
from .state import Run, Settings
from .window import Window
from .writers import PartitionWriter, Target

CHUNK_DAYS = 30
WORKERS = 2  # the target machine has two cores; Arrow kernels and file writes release the GIL
# Independent random streams, so adding draws to one part leaves the others unchanged.
PEOPLE, PLAN, JUNK, RECORDS, CUSTOMERS, CHUNK = range(6)


def _first_day(days: range, wanted) -> int:
    return next((d for d in days if wanted(d)), days.start)


def _chunk(
    run: Run,
    writers: dict[str, PartitionWriter],
    pool: ThreadPoolExecutor,
    index: int,
    span: tuple[int, int],
) -> None:
    """Sample one chunk of days in order, then render and write its three entities in parallel."""
    d0, d1 = span
    seed, first = run.settings.seed, index == 0
    rng = np.random.default_rng([seed, CHUNK, index])
    people, plan, window, ids = run.people, run.plan, run.window, run.next_ids
    contacts = behaviour.contacts(rng, people, plan, window, run.emailable, d0, d1)
    act = activities.rows(rng, contacts, people, run.records, ids["activity"])
    mail, clicks, messages = email_events.rows(
        rng, contacts, people, run.records, window, ids["message"], ids["event"]
    )
    bought = behaviour.purchases(
        rng, people, plan, window, contacts, clicks.person, clicks.seconds, d0, d1
    )
    placed = orders.rows(rng, bought, people, run.junk, run.book, ids["order"])
    ids.update(
        activity=len(act["number"]),
        message=messages,
        event=len(mail["number"]),
        order=len(bought.person),
    )
    run.tally("content", "email/events", messages=messages)

    # Each entity draws its messiness from its own stream, so threads cannot reorder draws, and
    # hands back its counts: only this thread changes the run's tallies, entity by entity.
    jobs = {
        "crm/activities": (activities.deliver, act),
        "email/events": (email_events.deliver, mail),
        "orders/orders": (orders.deliver, placed),
    }
    futures = {
        name: pool.submit(deliver, run, np.random.default_rng([seed, CHUNK, index, k]), rows, first)
        for k, (name, (deliver, rows)) in enumerate(jobs.items())
    }
    for name, future in futures.items():
        delivery = future.result()
        run.absorb(name, delivery)
        writers[name].add(delivery.table)
    for future in [pool.submit(writers[name].flush, d0, d1) for name in jobs]:
        future.result()


def run(settings: Settings, progress: bool = True) -> dict:
    """Generate landing files and truth under settings.out; returns the manifest."""
    window = Window(settings.end_date, settings.days)

    def stream(key: int) -> np.random.Generator:
        return np.random.default_rng([settings.seed, key])

    people = build_people(stream(PEOPLE), settings.persons)
    plan = behaviour.plan_lifecycles(stream(PLAN), people, window)
    junk = pick_junk(stream(JUNK), people)
    book = AddressBook(people, junk)
    records = build_records(stream(RECORDS), people, plan, junk, book, window)
    days = range(window.days)
    crm = people.segment == CRM
    emailable = np.ones(people.n, bool)
    emailable[crm] = records.email_code[records.primary[crm]] != NO_EMAIL
    state = Run(
        settings=settings,
        window=window,
        people=people,
        plan=plan,
        junk=junk,
        book=book,
        records=records,
        missing_day=window.days // 2,
        resend_day=_first_day(
            days[2 * window.days // 3 :], lambda d: window.contact_factor[d] == 1
        ),
        emailable=emailable,
        email_seen=np.zeros(people.n + len(junk.emails), bool),
        order_ids=[],
        order_people=[],
    )

    customers = customer_rows(stream(CUSTOMERS), people, records, junk, book, window)
    state.email_seen[customers.email_codes[customers.email_codes != NO_EMAIL]] = True
    per_day = np.bincount(customers.table.column("dt").to_numpy(), minlength=window.days)
    # GBK needs Chinese text, so pick the busiest day after the backlog, apart from the
    # malformed row's day so that an encoding failure and a reject are separate findings.
    per_day[[0, customers.blank_key_day]] = 0
    gbk_day = int(np.argmax(per_day)) if per_day.any() else 0
    targets = {
        "crm/customers": Target(
            "crm/customers", "customers", ",".join(CUSTOMER_COLUMNS), gbk_day=gbk_day
        ),
        "crm/activities": Target(
            "crm/activities",
            "activities",
            ",".join(activities.COLUMNS),
            resend_day=state.resend_day,
        ),
        "email/events": Target("email/events", "events", None, missing_day=state.missing_day),
        "orders/orders": Target(
            "orders/orders",
            "orders",
            ",".join(orders.COLUMNS),
            bom_day=_first_day(days[window.days // 3 :], lambda d: not orders.is_parquet_day(d)),
            parquet=orders.is_parquet_day,
            to_parquet=lambda table: orders.parquet_table(window, table),
        ),
    }
    writers = {
        name: PartitionWriter(settings.out, target, window) for name, target in targets.items()
    }
    writers["crm/customers"].add(customers.table)
    writers["crm/customers"].flush(0, window.days)
    state.tally("messiness", "crm/customers", **customers.malformed)
    state.tally("identity", "crm/customers", **customers.identity)
    state.tally("content", "crm/customers", **customers.content)

    chunks = window.chunks(CHUNK_DAYS)
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        for index, span in enumerate(tqdm(chunks, desc="days", unit="chunk", disable=not progress)):
            _chunk(state, writers, pool, index, span)

    truth.write_persons(settings.out, window, people, plan)
    truth.write_identity(settings.out, state)
    truth.write_machine_opens(settings.out, state)
    manifest = truth.manifest(state, writers, targets)
    truth.write_manifest(settings.out, manifest)
    truth.write_acknowledgements(settings.out, manifest)
    return manifest
