"""The landing contract is the one home of each entity's key, required columns and allowed values;
the layers that restate any of it are checked against it here."""

from __future__ import annotations

import pytest

from sources.contract import ContractError, _parse_source

CONTRACT = """source: shop
entities:
  orders:
    formats: [csv]
    key: order_id
    columns:
      order_id: {type: string, required: %s}
"""


def test_a_key_that_may_be_missing_is_refused(tmp_path):
    contract = tmp_path / "shop.yml"
    contract.write_text(CONTRACT % "true")
    assert _parse_source(contract)[0].key == "order_id"
    contract.write_text(CONTRACT % "false")
    with pytest.raises(ContractError, match="shop.yml orders: key order_id must be required"):
        _parse_source(contract)
