"""Command line: `python -m sources.generator --profile small --seed 42 --out DIR`."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from .generate import run
from .state import Settings

# (persons, days) per profile; large lands ~50M interaction events.
PROFILES = {"small": (2_000, 180), "large": (1_000_000, 730)}
DEFAULT_END = dt.date(2026, 6, 30)  # fixed, so that output does not depend on today
MIN_DAYS = 7
MIN_PERSONS = 150  # enough unrelated CRM persons to share each junk identifier


def parse(argv: Sequence[str] | None = None) -> tuple[Settings, bool]:
    parser = argparse.ArgumentParser(prog="python -m sources.generator", description=__doc__)
    parser.add_argument("--profile", choices=sorted(PROFILES), default="small")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--customers", type=int, help="persons to generate (overrides the profile)")
    parser.add_argument("--days", type=int, help="days in the window (overrides the profile)")
    parser.add_argument(
        "--end-date", type=dt.date.fromisoformat, default=DEFAULT_END, help="YYYY-MM-DD"
    )
    parser.add_argument("--out", type=Path, required=True, help="writes OUT/landing and OUT/truth")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    persons, days = PROFILES[args.profile]
    persons = args.customers or persons
    days = args.days or days
    if persons < MIN_PERSONS or days < MIN_DAYS:
        parser.error(f"need at least {MIN_PERSONS} customers and {MIN_DAYS} days")
    if args.seed < 0:
        parser.error("--seed must be non-negative")
    return Settings(args.profile, args.seed, persons, days, args.end_date, args.out), args.quiet


def _size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def main(argv: Sequence[str] | None = None) -> None:
    settings, quiet = parse(argv)
    for part in ("landing", "truth"):
        if (settings.out / part).exists():
            sys.exit(f"{settings.out / part} exists; choose an empty --out so runs stay comparable")
    began = time.perf_counter()
    manifest = run(settings, progress=not quiet)
    elapsed = time.perf_counter() - began
    window, rows = manifest["window"], manifest["rows"]
    print(
        f"window {window['start']} .. {window['end']} ({window['days']} days), seed {settings.seed}"
    )
    print(f"persons {manifest['persons']['total']:,} ({manifest['persons']['crm']:,} in CRM)")
    for entity, count in rows.items():
        print(f"  {entity:<16} {count:>12,} rows in {manifest['files'][entity]:,} files")
    events = rows["crm/activities"] + rows["email/events"] + rows["orders/orders"]
    print(
        f"interaction rows {events:,}; {_size(settings.out) / 2**20:,.1f} MiB in {elapsed:,.1f} s"
    )
    print(f"landing: {settings.out / 'landing'}  truth: {settings.out / 'truth'}")
