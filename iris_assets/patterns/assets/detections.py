"""``pattern_signals`` and ``market_cycles``: every detector over every closed candle."""

from collections.abc import Iterator
from datetime import datetime, timedelta

import dagster as dg
import polars as pl

from iris_assets.config import MarketScope
from iris_assets.indicators.assets.indicators import TIMEFRAMES
from iris_assets.partitions import coin_chunks, market_backfill_policy, market_daily_partition, run_window
from iris_assets.patterns.clusters import cluster_signals, hierarchy_signals
from iris_assets.patterns.context import apply_dependency_gate, apply_regime_context, assess_success
from iris_assets.patterns.cycle import market_cycle
from iris_assets.patterns.engine import INCREMENTAL_BARS, detect_all
from iris_resources.db.resources import TransactionResource
from iris_resources.indicators.queries import IndicatorQueries
from iris_resources.market_data.queries import MarketDataQueries
from iris_resources.patterns.queries import PatternQueries

# Detectors read ≤ 90 bars and hierarchies 14 days: this warm-up makes every kept bar exact.
WARMUP_DAYS = 15


def _warmup(timeframe: int) -> timedelta:
    return max(timedelta(minutes=timeframe * INCREMENTAL_BARS), timedelta(days=WARMUP_DAYS))


def coin_pattern_rows(bars: pl.DataFrame, timeframe: int, statistics: pl.DataFrame, since: datetime
                      ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(signals, cycles) of one coin's bars at or after ``since`` (bars include the warm-up)."""
    detections = apply_dependency_gate(detect_all(bars, timeframe), bars)
    detections = apply_regime_context(detections, bars.select("timestamp", "market_regime"))
    assessed = assess_success(detections, statistics, timeframe).filter(~pl.col("suppressed"))
    clusters = cluster_signals(assessed, bars)
    hierarchy = hierarchy_signals(assessed, clusters, bars, timeframe)
    patterns = assessed.select(
        "timestamp", ("pattern_" + pl.col("slug")).alias("signal_type"), "direction", "confidence",
        pl.col("regime").alias("market_regime"), pl.col("priority").alias("priority_score"),
        pl.col("regime_weight").alias("regime_alignment"))
    meta = [frame.select("timestamp", ("pattern_" + pl.col("slug")).alias("signal_type"), "direction",
                         "confidence", pl.col("regime").alias("market_regime"),
                         pl.col("confidence").alias("priority_score"), pl.lit(1.0).alias("regime_alignment"))
            for frame in (clusters, hierarchy) if not frame.is_empty()]
    signals = pl.concat([patterns, *meta], how="vertical_relaxed").filter(pl.col("timestamp") >= since)
    cycles = market_cycle(bars, timeframe, detections=assessed, clusters=clusters).filter(
        pl.col("timestamp") >= since)
    return signals.unique(["timestamp", "signal_type"], keep="first"), cycles


@dg.multi_asset(
    specs=[
        dg.AssetSpec("pattern_signals", group_name="patterns", kinds={"postgres", "numpy"},
                     deps=["indicators", "pattern_registry"],
                     description="All 95 detectors over every closed 15m/1h/4h/1d candle, gated by dependencies, "
                                 "weighted by regime and success statistics, plus cluster and hierarchy signals."),
        dg.AssetSpec("market_cycles", group_name="patterns", kinds={"postgres"}, deps=["indicators"],
                     description="Market-cycle phase of every closed candle."),
    ],
    partitions_def=market_daily_partition,
    backfill_policy=market_backfill_policy,
    check_specs=[dg.AssetCheckSpec("detections_on_candles", asset="pattern_signals", blocking=True,
                                   description="Every detection sits on a stored closed candle of its timeframe.")],
)
def pattern_signals(context: dg.AssetExecutionContext, config: MarketScope,
                    transaction: TransactionResource) -> Iterator[dg.MaterializeResult]:
    """Pattern detections for the days of the run, computed in one vectorised pass per coin and timeframe."""
    start, end = run_window(context)
    by_category: dict[str, int] = {}
    cycles_written = 0
    with transaction.begin() as uow:
        market = MarketDataQueries(uow.connection)
        coins = market.coin_frame(config.symbols or None)
        statistics = PatternQueries(uow.connection).statistics_frame()
        for timeframe in TIMEFRAMES:
            seed = start - _warmup(timeframe)
            # Coins in chunks: memory stays bounded by the chunk, not the universe (one transaction still).
            for chunk in coin_chunks(coins):
                chunk_ids = chunk.get_column("coin_id").to_list()
                candles = market.closed_candles(chunk, timeframe, seed, end).drop("timeframe", "is_partial")
                features = IndicatorQueries(uow.connection).indicator_frame(chunk_ids, timeframe, seed, end).drop(
                    "timeframe", "close", "volume")
                joined = candles.join(features, on=["coin_id", "timestamp"], how="left")
                signals, cycles = [], []
                for (coin_id,), bars in joined.group_by("coin_id"):
                    found, phases = coin_pattern_rows(bars.sort("timestamp").drop("coin_id"), timeframe, statistics,
                                                      start)
                    signals.append(found.with_columns(pl.lit(coin_id, dtype=pl.Int32).alias("coin_id")))
                    cycles.append(phases.with_columns(pl.lit(coin_id, dtype=pl.Int32).alias("coin_id"),
                                                      pl.lit(timeframe, dtype=pl.Int16).alias("timeframe")))
                del joined, candles, features
                fired = pl.concat(signals) if signals else pl.DataFrame()
                uow.indicators.replace_signals("pattern", chunk_ids, timeframe, start, end, fired)
                phases_frame = pl.concat(cycles).select("coin_id", "timeframe", "timestamp", "cycle_phase",
                                                        pl.col("cycle_confidence").alias("confidence")) \
                    if cycles else pl.DataFrame()
                cycles_written += uow.patterns.replace_cycles(chunk_ids, timeframe, start, end, phases_frame)
                if not fired.is_empty():
                    kinds = fired.group_by(pl.col("signal_type").str.extract(r"^pattern_(cluster|hierarchy)")
                                           .fill_null("pattern").alias("kind")).len()
                    for kind, count in kinds.iter_rows():
                        by_category[str(kind)] = by_category.get(str(kind), 0) + int(count)
        uow.commit()
    with transaction.begin() as uow:
        orphans = PatternQueries(uow.connection).orphan_detections(start, end)
    context.log.info("patterns %s..%s: %s", start.date(), end.date(), by_category)
    yield dg.MaterializeResult(
        asset_key="pattern_signals",
        metadata={"dagster/row_count": sum(by_category.values()), "by_kind": dg.MetadataValue.json(by_category)},
        check_results=[dg.AssetCheckResult(check_name="detections_on_candles", asset_key="pattern_signals",
                                           passed=orphans == 0, metadata={"orphans": orphans})],
    )
    yield dg.MaterializeResult(asset_key="market_cycles", metadata={"dagster/row_count": cycles_written})
