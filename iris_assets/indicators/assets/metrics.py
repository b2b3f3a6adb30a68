"""The ``coin_metrics`` asset: latest state per coin and timeframe."""

from datetime import UTC, datetime, timedelta

import dagster as dg
import polars as pl

from iris_assets.config import MarketScope
from iris_assets.indicators.metrics import coin_metrics_rows, price_change_pct
from iris_resources.db.resources import TransactionResource
from iris_resources.indicators.queries import IndicatorQueries
from iris_resources.market_data.queries import MarketDataQueries


@dg.asset(group_name="indicators", kinds={"postgres", "polars"}, deps=["indicators"],
          automation_condition=dg.AutomationCondition.eager())
def coin_metrics(context: dg.AssetExecutionContext, config: MarketScope,
                 transaction: TransactionResource) -> dg.MaterializeResult:
    """Latest metrics per coin and timeframe: price, percent changes (1h/24h/7d), log-return
    volatility, volume change, indicators, trend and trend score, regime, activity score and bucket.

    ``is_primary`` marks the reference's per-coin snapshot (most complete timeframe, ties to the
    larger one); the API's per-coin view reads that row.
    """
    with transaction.begin() as uow:
        market = MarketDataQueries(uow.connection)
        coins = market.coin_frame(config.symbols or None)
        coin_ids = coins.get_column("coin_id").to_list()
        latest = IndicatorQueries(uow.connection).latest_indicator_rows(coin_ids)
        newest = market.latest_candle_timestamp(15) or datetime.now(UTC)
        recent = market.candles_frame(coin_ids, None, newest - timedelta(hours=3), newest + timedelta(days=1))
        change_1h = price_change_pct(recent.select("coin_id", "timestamp", "close"), 60).rename(
            {"change": "price_change_1h_pct"})
        rows = coin_metrics_rows(latest, coins, change_1h) if not latest.is_empty() else pl.DataFrame()
        if not rows.is_empty():
            rows = rows.with_columns(pl.lit(datetime.now(UTC)).alias("updated_at"))
            uow.indicators.replace_coin_metrics(rows)
        uow.commit()
    buckets = dict(rows.filter("is_primary").group_by("activity_bucket").len().rows()) if not rows.is_empty() else {}
    context.log.info("coin_metrics: %d rows, buckets %s", rows.height, buckets)
    return dg.MaterializeResult(metadata={
        "dagster/row_count": rows.height, "coins": len(coin_ids), "activity_buckets": dg.MetadataValue.json(buckets),
    })
