"""`python -m tests.bench.instrumented_run ARGS`: `python -m orchestration.cli ARGS`, counting and
timing every write to Dagster's event log, whatever its storage. The last line of stdout is JSON:

  events_written_singly   events stored one `store_event` call (one statement and commit) each
  batches                 `store_event_batch` calls (Dagster batches only with
                          DAGSTER_EVENT_BATCH_SIZE set, and only planned and partitioned events)
  events_in_batches       events those calls carried
  events_batches_wrote_singly  of those, events the storage still wrote one by one (a storage
                          without batching, or a batch of mixed event types)
  event_write_seconds     wall seconds inside those calls
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter

import orchestration.cli.commands as commands

counts: Counter[str] = Counter()
seconds = [0.0]


def instrument(storage) -> None:
    """Wrap the storage's write methods; a batch's own calls of `store_event` are counted apart and
    not timed twice."""
    store_event, store_event_batch = storage.store_event, storage.store_event_batch
    depth = [0]

    def timed_event(event):
        if depth[0]:
            counts["events_batches_wrote_singly"] += 1
            return store_event(event)
        counts["events_written_singly"] += 1
        began = time.perf_counter()
        try:
            return store_event(event)
        finally:
            seconds[0] += time.perf_counter() - began

    def timed_batch(events):
        counts["batches"] += 1
        counts["events_in_batches"] += len(events)
        depth[0] += 1
        began = time.perf_counter()
        try:
            return store_event_batch(events)
        finally:
            depth[0] -= 1
            seconds[0] += time.perf_counter() - began

    storage.store_event, storage.store_event_batch = timed_event, timed_batch


def instrumented(make_instance):
    def instrumented_instance(home):
        instance = make_instance(home)
        instrument(instance.event_log_storage)
        return instance

    return instrumented_instance


if __name__ == "__main__":
    commands.dagster_instance = instrumented(commands.dagster_instance)
    code = commands.main(sys.argv[1:])
    print(json.dumps({**counts, "event_write_seconds": round(seconds[0], 2)}))
    sys.exit(code)
