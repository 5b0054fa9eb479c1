"""How great-expectations is imported: without its Spark support, and early.

Cadence validates pandas frames only, but great-expectations probes pyspark when it is installed
(the Spark engine's dependency). That probe costs about 1.5 s, and in a process whose `__main__`
has no file (`python -c`, a daemon's run worker) pyspark's connect module takes itself for a
doctest run and calls `sys.exit(0)`, which failed the gates. So pyspark is hidden from that one
import, unless the process already uses it.

Importing great-expectations still takes 6 to 15 s (pandas, its data context), and a run needs it
only for the gates after extraction. Started in a background thread when extraction begins, the
import runs while extraction's DuckDB work (which releases the GIL) reads the landed files; the
gates' own import then waits for it to finish under Python's import lock, instead of starting
from nothing. On the newest day at 1M (load 9 on 2 cores), extraction followed by the import took
68 s, and 48 to 53 s with the import started first."""

from __future__ import annotations

import sys
import threading
from types import ModuleType


def import_great_expectations() -> ModuleType:
    """great_expectations, imported with pyspark hidden unless this process imported it."""
    hide = "pyspark" not in sys.modules
    if hide:
        sys.modules["pyspark"] = None  # `import pyspark` raises ImportError: GX goes without
    try:
        import great_expectations

        return great_expectations
    finally:
        if hide and sys.modules.get("pyspark", "") is None:
            del sys.modules["pyspark"]


def _import_in_background() -> None:
    try:
        import_great_expectations()
    except Exception:
        # the gates' own import raises it again, in the step, where it is reported
        return


def start_importing_great_expectations() -> None:
    """Import great_expectations in a background thread, unless it already is."""
    if "great_expectations" in sys.modules:
        return
    threading.Thread(
        target=_import_in_background, name="import great_expectations", daemon=True
    ).start()
