"""The ``coins`` asset: the universe of coins and their sectors."""


from datetime import UTC, datetime

import dagster as dg

from iris_resources.db.resources import TransactionResource
from iris_resources.market_data.queries import MarketDataQueries
from iris_resources.sources.resource import CandleSourceResource


@dg.asset(group_name="market_data", kinds={"postgres"})
def coins(
    context: dg.AssetExecutionContext,
    transaction: TransactionResource,
    candle_source: CandleSourceResource,
) -> dg.MaterializeResult:
    """The coin universe: every coin the configured source delivers, with its sector.

    Upserts sectors and coins by code/symbol; an operator's ``enabled`` flag is never overwritten.
    """
    source = candle_source.get_source()
    specs = source.universe()
    with transaction.begin() as uow:
        sector_ids = uow.coins.upsert_sectors(source.sectors())
        coin_ids = uow.coins.upsert_coins(specs, sector_ids, source=source.name)
        listed = MarketDataQueries(uow.connection).list_coins(enabled_only=False)
        uow.commit()
    by_sector: dict[str, int] = {}
    for coin in listed:
        by_sector[coin.sector_code] = by_sector.get(coin.sector_code, 0) + 1
    context.log.info("universe: %d coins from %s", len(coin_ids), source.name)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(listed),
            "source": source.name,
            "upserted": len(coin_ids),
            "enabled": sum(1 for c in listed if c.enabled),
            "sectors": dg.MetadataValue.json(by_sector),
            "refreshed_at": dg.MetadataValue.timestamp(datetime.now(UTC)),
        }
    )
