"""The ``feature_snapshots`` asset: a point-in-time feature vector per coin, timeframe and candle."""

import dagster as dg
import polars as pl

from iris_assets.config import MarketScope
from iris_assets.indicators.assets.indicators import TIMEFRAMES
from iris_assets.partitions import market_backfill_policy, market_daily_partition, run_window
from iris_resources.db.resources import TransactionResource
from iris_resources.indicators.queries import IndicatorQueries
from iris_resources.market_data.queries import MarketDataQueries

_FEATURES = ("coin_id", "timestamp", "close", "rsi_14", "macd", "trend_score", "volatility", "market_regime")


@dg.asset(
    group_name="indicators",
    kinds={"postgres", "polars"},
    deps=["indicators", "indicator_signals", "pattern_signals"],
    partitions_def=market_daily_partition,
    backfill_policy=market_backfill_policy,
)
def feature_snapshots(context: dg.AssetExecutionContext, config: MarketScope,
                      transaction: TransactionResource) -> dg.MaterializeResult:
    """Feature vectors for learning and backtests: price, RSI and MACD **of the snapshot's own
    timeframe** (the reference took the primary timeframe's), trend score, volatility, regime, and
    pattern density / cluster score from the pattern signals at that candle. Sector strength and
    cycle phase stay null until their domains are materialized.
    """
    start, end = run_window(context)
    written = 0
    with transaction.begin() as uow:
        coin_ids = MarketDataQueries(uow.connection).coin_frame(config.symbols or None).get_column("coin_id").to_list()
        queries = IndicatorQueries(uow.connection)
        for timeframe in TIMEFRAMES:
            bars = queries.indicator_frame(coin_ids, timeframe, start, end, columns=_FEATURES)
            patterns = queries.pattern_signal_scores(coin_ids, timeframe, start, end)
            snapshots = bars.join(patterns, on=["coin_id", "timestamp"], how="left").select(
                "coin_id", "timestamp", pl.col("close").alias("price_current"), "rsi_14", "macd", "trend_score",
                "volatility", pl.lit(None, dtype=pl.Float64).alias("sector_strength"), "market_regime",
                pl.lit(None, dtype=pl.String).alias("cycle_phase"),
                pl.col("pattern_density").fill_null(0).cast(pl.Int32),
                pl.col("cluster_score").fill_null(0.0),
            ) if not bars.is_empty() else bars
            written += uow.indicators.replace_feature_snapshots(coin_ids, timeframe, start, end, snapshots)
        uow.commit()
    return dg.MaterializeResult(metadata={"dagster/row_count": written})
