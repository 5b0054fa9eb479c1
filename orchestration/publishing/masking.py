"""What readers may see: personal data masked by the `pii` meta of the marts' columns.

A mart column declares `config: {meta: {pii: email|phone|name|identifier}}` in its
`_<folder>__models.yml`. The published file shows it masked, unless it also says
`published: keep` (a name where people must act on it); the restricted file holds every table
that has personal data, unmasked, for authorised users. A large fact declares
`config: {meta: {published_by_day: <date column>}}` to be published, and replaced, by day. A
column declaring `config: {meta: {internal: true}}` is the warehouse's bookkeeping (the run that
wrote a row) and is published in neither file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from orchestration.publishing.mart_nodes import mart_nodes
from sources.sql import quote_identifier

PII_KINDS = {"email", "phone", "name", "identifier"}


class MaskingError(ValueError):
    """A column's pii meta names no known kind; the message names model and column."""


def _email(value: str) -> str:
    return f"left({value}, 1) || '***@' || split_part({value}, '@', 2)"


def _phone(value: str) -> str:
    return f"left({value}, 3) || repeat('*', greatest(length({value}) - 7, 0)) || right({value}, 4)"


def _other(value: str) -> str:
    return f"left({value}, 1) || '***'"


def masked_expression(column: str, meta: dict) -> str:
    value = quote_identifier(column)
    kind = meta["pii"]
    if kind == "email":
        masked = _email(value)
    elif kind == "phone":
        masked = _phone(value)
    elif kind == "name":
        masked = _other(value)
    else:
        by_type = quote_identifier(meta["type_column"])
        masked = (
            f"CASE {by_type} WHEN 'email' THEN {_email(value)} "
            f"WHEN 'phone' THEN {_phone(value)} ELSE {_other(value)} END"
        )
    return f"CASE WHEN {value} IS NULL THEN NULL ELSE {masked} END AS {value}"


@dataclass(frozen=True)
class Mart:
    name: str  # the relation in schema marts
    pii: dict[str, dict]  # column -> its meta, for personal-data columns
    day_column: str | None = None  # published by day on this column, or as one file
    internal: frozenset[str] = frozenset()  # columns never published

    @property
    def has_personal_data(self) -> bool:
        return bool(self.pii)

    @property
    def masked_columns(self) -> list[str]:
        return [c for c, meta in self.pii.items() if meta.get("published") != "keep"]

    def published_columns(self, columns: list[str]) -> list[str]:
        """The table's columns (in order) that readers see, masked or not."""
        return [c for c in columns if c not in self.internal]

    def published_select(self, columns: list[str]) -> str:
        """The table's columns as readers of the published (masked) file see them."""
        items = [
            masked_expression(c, self.pii[c]) if c in self.masked_columns else quote_identifier(c)
            for c in self.published_columns(columns)
        ]
        return ", ".join(items)


def marts_from_manifest(manifest_path: Path) -> list[Mart]:
    """Every model of the marts folder, with its documented columns' pii meta."""
    marts = []
    for node in mart_nodes(manifest_path):
        pii, internal = {}, set()
        for column, spec in node["columns"].items():
            meta = spec.get("meta") or (spec.get("config") or {}).get("meta") or {}
            if meta.get("internal"):
                internal.add(column)
            if "pii" not in meta:
                continue
            if meta["pii"] not in PII_KINDS or (
                meta["pii"] == "identifier" and "type_column" not in meta
            ):
                raise MaskingError(
                    f"{node['original_file_path']}: {node['name']}.{column}: pii must be one of "
                    f"{sorted(PII_KINDS)} (identifier needs type_column)"
                )
            pii[column] = meta
        day_column = (node["config"].get("meta") or {}).get("published_by_day")
        marts.append(Mart(node["alias"] or node["name"], pii, day_column, frozenset(internal)))
    return sorted(marts, key=lambda m: m.name)
