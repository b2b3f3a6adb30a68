"""``sector_narratives``: the market story per timeframe, materialized for the API."""

from datetime import UTC, datetime

import dagster as dg
import polars as pl

from iris_assets.patterns.narratives import sector_narrative
from iris_resources.cross_market.queries import RelationQueries
from iris_resources.db.resources import TransactionResource
from iris_resources.indicators.queries import IndicatorQueries
from iris_resources.market_data.queries import MarketDataQueries


@dg.asset(group_name="patterns", kinds={"postgres"}, deps=["sector_metrics", "coin_metrics"],
          automation_condition=dg.AutomationCondition.eager())
def sector_narratives(context: dg.AssetExecutionContext, transaction: TransactionResource) -> dg.MaterializeResult:
    """Top sector, BTC dominance, rotation state and capital wave per timeframe (reference 3.4),
    from the latest sector metrics and each coin's latest metrics at that timeframe."""
    with transaction.begin() as uow:
        market = MarketDataQueries(uow.connection)
        info = market.coins_info_frame()
        metrics = IndicatorQueries(uow.connection).metrics_frame()
        sectors = pl.DataFrame(RelationQueries(uow.connection).latest_sector_metrics(limit=1_000),
                               schema_overrides={"sector": pl.String, "relative_strength": pl.Float64})
        if sectors.is_empty():
            sectors = pl.DataFrame(schema={"sector": pl.String, "relative_strength": pl.Float64})
        narratives = []
        for timeframe in sorted(set(metrics.get_column("timeframe").to_list())) if not metrics.is_empty() else []:
            coins = metrics.filter(pl.col("timeframe") == timeframe).join(info, on="coin_id").select(
                "symbol", "sector", pl.col("price_change_24h_pct").alias("last_return") / 100.0,
                "volume_change_24h_pct", "price_change_24h_pct")
            narratives.append(sector_narrative(sectors, coins, {}, int(timeframe)))
        uow.indicators.save_projection("sector_narratives", {"narratives": narratives}, datetime.now(UTC), None,
                                       context.run_id)
        uow.commit()
    return dg.MaterializeResult(metadata={
        "timeframes": len(narratives),
        "top_sectors": dg.MetadataValue.json({str(n["timeframe"]): n["top_sector"] for n in narratives})})
