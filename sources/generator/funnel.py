"""The email funnel: each message sent yields delivery or bounce, then opens, clicks, replies."""

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


@dataclass(frozen=True)
class Events:
    message: np.ndarray  # index into the messages passed to funnel()
    kind: np.ndarray
    seconds: np.ndarray


def funnel(rng: np.random.Generator, sent: np.ndarray) -> Events:
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
    return Events(
        message=np.concatenate(message),
        kind=np.repeat(np.arange(len(stages), dtype=np.int8), [len(m) for m in message]),
        seconds=np.concatenate([t[m] for m, (_, t) in zip(message, stages, strict=True)]),
    )
