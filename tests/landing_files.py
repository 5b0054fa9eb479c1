"""Helpers that write small landing trees by hand for the extraction tests."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from sources.contract import entities

ACTIVITY_HEADER = entities()["crm/activities"].column_names
CUSTOMER_HEADER = entities()["crm/customers"].column_names
ORDER_HEADER = entities()["orders/orders"].column_names


def partition(landing: Path, entity: str, day: str) -> Path:
    folder = landing / entity / f"dt={day}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def write_csv(folder: Path, name: str, header, rows, encoding: str = "utf-8") -> Path:
    path = folder / name
    path.write_bytes(csv_text(header, rows).encode(encoding))
    return path


def write_jsonl(folder: Path, name: str, lines: list[dict | str]) -> Path:
    path = folder / name
    text = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def activity(activity_id: str, **overrides: str) -> list[str]:
    row = {
        "activity_id": activity_id,
        "customer_id": "C1",
        "rep_id": "R1",
        "activity_type": "call",
        "direction": "outbound",
        "occurred_at": "2026-06-01 10:00:00",
        "duration_seconds": "60",
        "outcome": "connected",
        "subject": "follow-up",
    } | overrides
    return [row[c] for c in ACTIVITY_HEADER]


def data_rows_in_csv(path: Path, encoding: str = "utf-8") -> int:
    """Independent count of data records, by Python's csv module."""
    with open(path, encoding=encoding, newline="") as f:
        return sum(1 for _ in csv.reader(f)) - 1


def customer(customer_id: str, **overrides: str) -> list[str]:
    row = {
        "customer_id": customer_id,
        "name": "张三",
        "company": "北京某某科技有限公司",
        "credit_code": "",
        "phone": "13800138000",
        "email": "zs@x.cn",
        "wechat_id": "",
        "owner_rep": "R1",
        "region": "北京",
        "industry": "软件",
        "created_at": "2026-01-01 00:00:00",
        "updated_at": "2026-06-01 09:00:00",
    } | overrides
    return [row[c] for c in CUSTOMER_HEADER]


def order(order_id: str, day: str, **overrides: str) -> list[str]:
    row = {
        "order_id": order_id,
        "buyer_email": "zs@x.cn",
        "buyer_phone": "13800138000",
        "ordered_at": f"{day} 11:00:00",
        "amount": "100.00",
        "currency": "CNY",
        "status": "paid",
        "channel": "web",
    } | overrides
    return [row[c] for c in ORDER_HEADER]


def land_orders_only(landing: Path) -> None:
    """A web shop's landing: two buyers' orders on each of three days, and no other source."""
    for i, day in enumerate(["2026-06-01", "2026-06-02", "2026-06-03"]):
        rows = [order(f"O{i}1", day)]
        rows.append(order(f"O{i}2", day, buyer_email="ls@y.cn", buyer_phone="13900139000"))
        write_csv(partition(landing, "orders/orders", day), "o.csv", ORDER_HEADER, rows)
