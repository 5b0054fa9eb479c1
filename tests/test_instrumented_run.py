"""The bench's event-log instrumentation counts what a storage really wrote, batch or not."""

from __future__ import annotations

from tests.bench.instrumented_run import counts, instrument, seconds


class OneByOne:
    """A storage without batching: a batch is written one event at a time (Dagster's base)."""

    def __init__(self):
        self.written = []

    def store_event(self, event):
        self.written.append(event)

    def store_event_batch(self, events):
        for event in events:
            self.store_event(event)


def test_events_are_counted_once_and_a_batch_written_singly_is_told_apart():
    counts.clear()
    seconds[0] = 0.0
    storage = OneByOne()
    instrument(storage)
    storage.store_event("started")
    storage.store_event_batch(["planned a", "planned b"])
    assert storage.written == ["started", "planned a", "planned b"]
    assert counts == {
        "events_written_singly": 1,
        "batches": 1,
        "events_in_batches": 2,
        "events_batches_wrote_singly": 2,
    }
    assert seconds[0] > 0
