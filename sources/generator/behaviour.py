"""Contact and purchase rhythms: lifecycles, decline, bursts, touches, responses and orders.

Events are sampled per chunk of days by thinning: draw candidates at each person's peak rate,
then keep each with probability calendar factor x the person's level on that day.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .people import BUYER, CRM, PROSPECT, People
from .window import DAY, Window

NEVER = 1 << 30  # a day index beyond any window

TOUCHES_PER_30D = np.array([8.0, 4.0, 2.0, 0.5])  # by tier A-D
ORDERS_PER_30D = np.array([1.0, 0.4, 0.15, 0.05])
ORDER_MEDIAN_YUAN = np.array([12_000.0, 4_000.0, 1_200.0, 400.0])
TIER_ORDER_LIFT = np.array([1.5, 1.0, 0.7, 0.5])
PROSPECT_EMAILS_PER_30D = 1.0
INBOUND_SHARE = 0.08  # unprompted customer contacts, relative to outbound touches

CHANNELS = ("call", "visit", "meeting", "wechat", "sms", "note", "email")
CALL, VISIT, MEETING, WECHAT, SMS, NOTE, EMAIL = range(len(CHANNELS))
CHANNEL_MIX = np.array([0.30, 0.08, 0.05, 0.22, 0.08, 0.07, 0.20])
# Chance a touch draws an inbound call/WeChat within a week, and an order within ten days.
# Face-to-face contact works far better than mass channels; email answers come from its funnel.
RESPONSE_P = np.array([0.15, 0.40, 0.45, 0.25, 0.04, 0.0, 0.0])
ORDER_AFTER_P = np.array([0.03, 0.10, 0.12, 0.03, 0.01, 0.0, 0.0])
ORDER_AFTER_CLICK_P = 0.12

GROWTH_PER_DAY = 0.0008  # share of the base acquired per day, so long windows see more new faces
DECLINING_SHARE = 0.10
DECLINE_DAYS = (90, 150)
DECLINE_FLOOR = 0.15  # contact/purchase level reached at the end of a decline
AFTER_STOP_CONTACT = 0.1
BURST_SHARE = 0.03
SILENCE_DAYS = (60, 90)

# Hour-of-day weights (from 00:00): reps work office hours, shoppers buy in the evening too.
CONTACT_HOURS = np.array([0] * 8 + [2, 6, 10, 10, 6, 4, 8, 10, 9, 7, 4, 2, 1] + [0] * 3, float)
ORDER_HOURS = np.array(
    [1, 0.5, 0.3, 0.2, 0.2, 0.3, 1, 2, 4, 6, 7, 7, 8, 7, 6, 6, 6, 6, 7, 9, 11, 11, 8, 4], float
)


@dataclass(frozen=True)
class Plan:
    start: np.ndarray  # first day the person exists (negative: before the window)
    declining: np.ndarray
    decline_start: np.ndarray  # NEVER when not declining
    stop: np.ndarray  # day from which a decliner buys nothing
    burst: np.ndarray  # first day of a contact burst, NEVER if none
    silence_start: np.ndarray  # no outbound touches from here until the burst


def plan_lifecycles(rng: np.random.Generator, people: People, window: Window) -> Plan:
    n, days = people.n, window.days
    new = rng.random(n) < 1 - np.exp(-GROWTH_PER_DAY * days)
    start = np.where(new, rng.integers(0, days, n), -rng.integers(1, 1500, n))

    active = np.isin(people.segment, (CRM, BUYER))
    low = int(days * 0.4)
    stop = rng.integers(low, max(days - max(7, days // 10), low + 1), n)
    decline_start = stop - rng.integers(DECLINE_DAYS[0], DECLINE_DAYS[1] + 1, n)
    candidates = np.flatnonzero(active & (start <= decline_start - 30))
    count = min(len(candidates), round(DECLINING_SHARE * active.sum()))
    declining = np.zeros(n, bool)
    declining[rng.choice(candidates, count, replace=False)] = True

    burst = rng.integers(SILENCE_DAYS[0] + 10, max(days - 3, SILENCE_DAYS[0] + 11), n)
    silence_start = burst - rng.integers(SILENCE_DAYS[0], SILENCE_DAYS[1] + 1, n)
    bursting = (
        (people.segment == CRM)
        & ~declining
        & (start <= silence_start - 30)
        & (burst < days - 2)
        & (rng.random(n) < BURST_SHARE)
    )
    return Plan(
        start=start,
        declining=declining,
        decline_start=np.where(declining, decline_start, NEVER),
        stop=np.where(declining, stop, NEVER),
        burst=np.where(bursting, burst, NEVER),
        silence_start=np.where(bursting, silence_start, NEVER),
    )


def _decline_level(plan: Plan, who: np.ndarray, day: np.ndarray) -> np.ndarray:
    span = np.maximum(plan.stop[who] - plan.decline_start[who], 1)
    progress = np.clip((day - plan.decline_start[who]) / span, 0.0, 1.0)
    return 1.0 - (1.0 - DECLINE_FLOOR) * progress


def contact_level(plan: Plan, who: np.ndarray, day: np.ndarray) -> np.ndarray:
    level = np.where(day >= plan.stop[who], AFTER_STOP_CONTACT, _decline_level(plan, who, day))
    silent = (day >= plan.silence_start[who]) & (day < plan.burst[who])
    return level * (day >= plan.start[who]) * ~silent


def purchase_level(plan: Plan, who: np.ndarray, day: np.ndarray) -> np.ndarray:
    return _decline_level(plan, who, day) * (day >= plan.start[who]) * (day < plan.stop[who])


def clock(rng: np.random.Generator, day: np.ndarray, hours: np.ndarray) -> np.ndarray:
    """Window-relative seconds on `day` at an hour drawn from the weights."""
    hour = rng.choice(24, size=len(day), p=hours / hours.sum())
    return day * DAY + hour * 3600 + rng.integers(0, 3600, len(day))


def _thin(rng, who, rate_per_day, d0, d1, calendar, level):
    """Candidate (person, day) pairs kept with probability calendar x level."""
    count = rng.poisson(rate_per_day * (d1 - d0))
    person = np.repeat(who, count)
    day = rng.integers(d0, d1, len(person))
    keep = rng.random(len(person)) < calendar[day] * level(person, day)
    return person[keep], day[keep]


@dataclass(frozen=True)
class Contacts:
    """Outbound touches and customer-initiated contacts sampled for one chunk."""

    person: np.ndarray
    channel: np.ndarray
    seconds: np.ndarray
    inbound: np.ndarray


def contacts(
    rng: np.random.Generator,
    people: People,
    plan: Plan,
    window: Window,
    emailable: np.ndarray,
    d0: int,
    d1: int,
) -> Contacts:
    calendar = window.contact_factor
    per_day = 1 / (30 * calendar.mean())
    crm = np.flatnonzero(people.segment == CRM)
    prospects = np.flatnonzero(people.segment == PROSPECT)

    def level(who, day):
        return contact_level(plan, who, day)

    person, day = _thin(
        rng, crm, TOUCHES_PER_30D[people.tier[crm]] * per_day, d0, d1, calendar, level
    )
    bursting = crm[(plan.burst[crm] >= d0) & (plan.burst[crm] < d1)]
    burst_person = np.repeat(bursting, rng.integers(5, 9, len(bursting)))
    person = np.concatenate([person, burst_person])
    day = np.concatenate([day, plan.burst[burst_person] + rng.integers(0, 3, len(burst_person))])
    channel = rng.choice(len(CHANNELS), size=len(person), p=CHANNEL_MIX)
    channel[(channel == EMAIL) & ~emailable[person]] = CALL

    p_person, p_day = _thin(
        rng, prospects, PROSPECT_EMAILS_PER_30D * per_day, d0, d1, calendar, level
    )

    responded = rng.random(len(person)) < RESPONSE_P[channel] * contact_level(plan, person, day)
    r_person = person[responded]
    r_day = day[responded] + np.minimum(rng.geometric(0.45, len(r_person)) - 1, 7)
    o_person, o_day = _thin(
        rng,
        crm,
        TOUCHES_PER_30D[people.tier[crm]] * INBOUND_SHARE * per_day,
        d0,
        d1,
        calendar,
        level,
    )
    in_person = np.concatenate([r_person, o_person])
    in_day = np.concatenate([r_day, o_day])

    all_person = np.concatenate([person, p_person, in_person])
    all_day = np.concatenate([day, p_day, in_day])
    return Contacts(
        person=all_person,
        channel=np.concatenate(
            [
                channel,
                np.full(len(p_person), EMAIL),
                np.where(rng.random(len(in_person)) < 0.55, CALL, WECHAT),
            ]
        ).astype(np.int8),
        seconds=clock(rng, all_day, CONTACT_HOURS),
        inbound=np.repeat([False, False, True], [len(person), len(p_person), len(in_person)]),
    )


@dataclass(frozen=True)
class Purchases:
    person: np.ndarray
    seconds: np.ndarray
    cents: np.ndarray
    via_sales: np.ndarray  # prompted by a rep's touch


def purchases(
    rng: np.random.Generator,
    people: People,
    plan: Plan,
    window: Window,
    touches: Contacts,
    click_person: np.ndarray,
    click_seconds: np.ndarray,
    d0: int,
    d1: int,
) -> Purchases:
    buyers = np.flatnonzero(np.isin(people.segment, (CRM, BUYER)))
    per_day = ORDERS_PER_30D[people.tier[buyers]] / (30 * window.order_factor.mean())

    def level(who, day):
        return purchase_level(plan, who, day)

    o_person, o_day = _thin(rng, buyers, per_day, d0, d1, window.order_factor, level)

    outbound = ~touches.inbound
    t_person, t_channel = touches.person[outbound], touches.channel[outbound]
    lift = TIER_ORDER_LIFT[people.tier[t_person]]
    hit = rng.random(len(t_person)) < ORDER_AFTER_P[t_channel] * lift
    s_person = t_person[hit]
    s_day = touches.seconds[outbound][hit] // DAY + np.minimum(rng.geometric(0.35, hit.sum()), 10)

    hit = (
        rng.random(len(click_person))
        < ORDER_AFTER_CLICK_P * TIER_ORDER_LIFT[people.tier[click_person]]
    )
    e_person = click_person[hit]
    e_day = click_seconds[hit] // DAY + np.minimum(rng.geometric(0.5, hit.sum()) - 1, 6)

    person = np.concatenate([o_person, s_person, e_person])
    day = np.concatenate([o_day, s_day, e_day])
    via_sales = np.repeat([False, True, False], [len(o_person), len(s_person), len(e_person)])
    keep = rng.random(len(person)) < purchase_level(plan, person, day)
    keep[: len(o_person)] = True  # organic orders were already thinned
    person, day, via_sales = person[keep], day[keep], via_sales[keep]

    median = ORDER_MEDIAN_YUAN[people.tier[person]] * np.where(via_sales, 1.5, 1.0)
    yuan = np.minimum(rng.lognormal(np.log(median), 0.9), 9_999_999.0)
    return Purchases(
        person=person,
        seconds=clock(rng, day, ORDER_HOURS),
        cents=np.maximum(np.round(yuan * 100), 100).astype(np.int64),
        via_sales=via_sales,
    )
