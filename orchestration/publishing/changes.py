"""What changed since the previous published version, so that publishing writes only that.

Each version's manifest keeps a fingerprint of every mart: the published columns' expressions,
and per part (the whole table, or each day of a mart published by day) its row count and the sum
of its rows' hashes: equal fingerprints mean equal multisets of rows. A mart that no model rebuilt
in this run keeps its previous fingerprint without being read; a rebuilt one is fingerprinted
(one scan) and only the parts whose fingerprint moved are written.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import duckdb

from orchestration.publishing.masking import Mart
from sources.sql import quote_identifier, quote_literal

WHOLE = "*"  # the part name of a mart published as one table
NULL_DAY = "NULL"


@dataclass
class MartChange:
    mart: Mart
    select: str  # the published (masked) columns
    fingerprint: dict
    rewrite: bool = True  # no usable previous copy: write the mart whole
    changed: set[str] = field(default_factory=set)  # parts to write
    removed: set[str] = field(default_factory=set)  # parts of the previous copy to drop

    @property
    def unchanged(self) -> bool:
        return not (self.rewrite or self.changed or self.removed)

    @property
    def rows(self) -> int:
        return sum(part[0] for part in self.fingerprint["parts"].values())


def _select_digest(select: str) -> str:
    return hashlib.sha256(select.encode()).hexdigest()[:16]


def fingerprint(
    con: duckdb.DuckDBPyConnection, mart: Mart, select: str, columns: list[str]
) -> dict:
    """Row count and hash sum per part of `warehouse.marts.<mart>`, over its published
    `columns` (a run that rewrites rows unchanged but for their internal bookkeeping columns
    changes nothing readers see)."""
    table = f"warehouse.marts.{quote_identifier(mart.name)}"
    published = ", ".join(quote_identifier(c) for c in mart.published_columns(columns))
    part = f"cast({quote_identifier(mart.day_column)} as varchar)" if mart.day_column else "NULL"
    rows = con.execute(
        f"SELECT {part} AS part, count(*), cast(coalesce(sum(hash(t)), 0) AS varchar) "
        f"FROM (SELECT {published} FROM {table}) AS t GROUP BY ALL"
    ).fetchall()
    parts = {
        (WHOLE if not mart.day_column else day or NULL_DAY): [n, hashed] for day, n, hashed in rows
    }
    if not mart.day_column and not parts:
        parts = {WHOLE: [0, "0"]}
    return {"select": _select_digest(select), "by": mart.day_column, "parts": parts}


def plan(
    con: duckdb.DuckDBPyConnection,
    mart: Mart,
    columns: list[str],
    previous: dict | None,
    rebuilt: bool,
) -> MartChange:
    """What to write of `mart` (its warehouse `columns`), given its fingerprint in the previous
    version (None: none)."""
    select = mart.published_select(columns)
    same_layout = (
        previous is not None
        and previous["select"] == _select_digest(select)
        and previous.get("by") == mart.day_column
    )
    if same_layout and not rebuilt:
        return MartChange(mart, select, previous, rewrite=False)
    current = fingerprint(con, mart, select, columns)
    if not same_layout:
        return MartChange(mart, select, current, changed=set(current["parts"]))
    before, after = previous["parts"], current["parts"]
    return MartChange(
        mart,
        select,
        current,
        rewrite=False,
        changed={p for p, value in after.items() if before.get(p) != value},
        removed=set(before) - set(after),
    )


def days_condition(column: str, days: set[str]) -> str:
    """A SQL condition selecting the rows of `days` (part names) by `column`."""
    name = quote_identifier(column)
    dated = sorted(d for d in days if d != NULL_DAY)
    terms = []
    if dated:
        terms.append(f"{name} IN ({', '.join(quote_literal(d) for d in dated)})")
    if NULL_DAY in days:
        terms.append(f"{name} IS NULL")
    return " OR ".join(terms) or "false"
