"""The email funnel: each message sent yields delivery or bounce, then opens, clicks, replies.

Recipients behind a mail privacy proxy (Apple Mail Privacy Protection and the like) have every
delivered message opened by the proxy, which fetches its images: a machine open, mostly within
seconds of delivery, sometimes hours later (the device was offline). People open too, and some
open a message again."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EVENT_TYPES = (
    "sent",
    "delivered",
    "open",
    "click",
    "reply",
    "bounce",
    "unsubscribe",
    "spam_report",
)
SENT, DELIVERED, OPEN, CLICK, REPLY, BOUNCE, UNSUBSCRIBE, SPAM_REPORT = range(len(EVENT_TYPES))

# Conditional rates chosen so that, of messages sent, ~95% are delivered, ~3% bounce,
# ~25% are opened, ~5% clicked and ~1.5% replied to.
DELIVERED_P, BOUNCE_P = 0.95, 0.03
OPEN_P = 0.263  # of delivered
CLICK_P, REPLY_P, UNSUBSCRIBE_P = 0.19, 0.057, 0.01  # of opened
SPAM_REPORT_P = 0.0008  # of delivered
MAX_OPEN_DELAY = 4 * 86_400
# Privacy proxies: about a third of recipients; most fetch within a minute or two of delivery.
PROXY_SHARE = 0.3
PROXY_PROMPT_P = 0.85  # of proxy opens: soon after delivery, else within hours
PROXY_PROMPT_MEAN_SECONDS = 30
PROXY_LATE_SECONDS = (600, 8 * 3600)
REOPEN_P = 0.35  # of messages a person opened: opened again, once or twice
REOPEN_MEAN_DELAY = 86_400


@dataclass(frozen=True)
class Events:
    message: np.ndarray  # index into the messages passed to funnel()
    kind: np.ndarray
    seconds: np.ndarray
    is_machine: np.ndarray  # an open fired by a privacy proxy, not by a person


def funnel(rng: np.random.Generator, sent: np.ndarray, proxied: np.ndarray) -> Events:
    """Events of each message sent; `proxied` marks the messages whose recipient's mail goes
    through a privacy proxy."""
    n = len(sent)
    outcome = rng.random(n)
    delivered = outcome < DELIVERED_P
    bounced = (outcome >= DELIVERED_P) & (outcome < DELIVERED_P + BOUNCE_P)
    t_delivered = sent + rng.integers(1, 120, n)
    opened = delivered & (rng.random(n) < OPEN_P)
    t_open = t_delivered + np.minimum(rng.exponential(5 * 3600, n), MAX_OPEN_DELAY).astype(np.int64)
    stages = [
        (np.ones(n, bool), sent),
        (delivered, t_delivered),
        (opened, t_open),
        (opened & (rng.random(n) < CLICK_P), t_open + rng.integers(5, 1800, n)),
        (
            opened & (rng.random(n) < REPLY_P),
            t_open + rng.exponential(3 * 3600, n).astype(np.int64),
        ),
        (bounced, sent + rng.integers(1, 600, n)),
        (opened & (rng.random(n) < UNSUBSCRIBE_P), t_open + rng.integers(10, 600, n)),
        (delivered & (rng.random(n) < SPAM_REPORT_P), t_delivered + rng.integers(60, 86_400, n)),
    ]
    message = [np.flatnonzero(mask) for mask, _ in stages]
    kind = [np.full(len(m), k, np.int8) for k, m in enumerate(message)]
    seconds = [t[m] for m, (_, t) in zip(message, stages, strict=True)]
    is_machine = [np.zeros(len(m), bool) for m in message]
    for extra_message, extra_seconds, machine in (
        _reopens(rng, t_open, opened),
        _proxy_opens(rng, t_delivered, delivered & proxied),
    ):
        message.append(extra_message)
        kind.append(np.full(len(extra_message), OPEN, np.int8))
        seconds.append(extra_seconds)
        is_machine.append(np.full(len(extra_message), machine))
    return Events(
        message=np.concatenate(message),
        kind=np.concatenate(kind),
        seconds=np.concatenate(seconds),
        is_machine=np.concatenate(is_machine),
    )


def _reopens(
    rng: np.random.Generator, t_open: np.ndarray, opened: np.ndarray
) -> tuple[np.ndarray, np.ndarray, bool]:
    """A person's later opens of a message they opened: one or two, about a day apart."""
    again = np.flatnonzero(opened & (rng.random(len(opened)) < REOPEN_P))
    message = np.repeat(again, rng.integers(1, 3, len(again)))
    delay = np.minimum(rng.exponential(REOPEN_MEAN_DELAY, len(message)), MAX_OPEN_DELAY)
    return message, t_open[message] + 60 + delay.astype(np.int64), False


def _proxy_opens(
    rng: np.random.Generator, t_delivered: np.ndarray, proxied: np.ndarray
) -> tuple[np.ndarray, np.ndarray, bool]:
    """The proxy's open of every delivered message of a proxied recipient."""
    message = np.flatnonzero(proxied)
    prompt = rng.random(len(message)) < PROXY_PROMPT_P
    soon = 1 + rng.exponential(PROXY_PROMPT_MEAN_SECONDS, len(message))
    later = rng.uniform(*PROXY_LATE_SECONDS, len(message))
    return message, t_delivered[message] + np.where(prompt, soon, later).astype(np.int64), True
