"""The raw tables' Dagster asset keys, one per landing-contract entity."""

import dagster as dg

from sources.contract import Entity, entities


def raw_asset_key(entity: Entity) -> dg.AssetKey:
    return dg.AssetKey(["raw", entity.table_name])


ENTITY_BY_KEY = {raw_asset_key(e): e for e in entities().values()}
