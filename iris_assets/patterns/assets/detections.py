"""``pattern_signals`` and ``market_cycles``: every detector over every closed candle."""

from collections.abc import Iterator
from datetime import datetime, timedelta

import dagster as dg
import polars as pl

from iris_assets.config import MarketScope
from iris_assets.executor import CRITICAL_PATH
from iris_assets.indicators.assets.indicators import TIMEFRAMES
from iris_assets.parallel import compute_pool
from iris_assets.partitions import coin_chunks, market_backfill_policy, market_daily_partition, run_window
from iris_assets.patterns.batch import PatternBatch, detect_batch
from iris_assets.patterns.engine import INCREMENTAL_BARS, INDICATOR_INPUTS
from iris_resources.db.resources import TransactionResource
from iris_resources.db.uow import UnitOfWork
from iris_resources.indicators.queries import IndicatorQueries
from iris_resources.market_data.queries import MarketDataQueries
from iris_resources.patterns.queries import PatternQueries

# Detectors read ≤ 90 bars and hierarchies 14 days: this warm-up makes every kept bar exact.
WARMUP_DAYS = 15
# Coins per worker task: small enough to balance two workers, large enough to amortise pickling.
COINS_PER_TASK = 5


def _warmup(timeframe: int) -> timedelta:
    return max(timedelta(minutes=timeframe * INCREMENTAL_BARS), timedelta(days=WARMUP_DAYS))


def _batches(uow: UnitOfWork, coins: pl.DataFrame, statistics: pl.DataFrame, start: datetime, end: datetime
             ) -> Iterator[PatternBatch]:
    """Worker tasks in (timeframe, coin) order, read lazily one coin chunk at a time."""
    market = MarketDataQueries(uow.connection)
    for timeframe in TIMEFRAMES:
        seed = start - _warmup(timeframe)
        # Coins in chunks: memory stays bounded by the chunk, not the universe (one transaction still).
        for chunk in coin_chunks(coins):
            chunk_ids = chunk.get_column("coin_id").to_list()
            candles = market.closed_candles(chunk, timeframe, seed, end).drop("timeframe", "is_partial")
            features = IndicatorQueries(uow.connection).indicator_frame(
                chunk_ids, timeframe, seed, end, columns=("coin_id", "timestamp", *INDICATOR_INPUTS))
            joined = candles.join(features, on=["coin_id", "timestamp"], how="left")
            for offset in range(0, len(chunk_ids), COINS_PER_TASK):
                ids = tuple(chunk_ids[offset:offset + COINS_PER_TASK])
                yield PatternBatch(ids, timeframe, start, joined.filter(pl.col("coin_id").is_in(ids)), statistics)


@dg.multi_asset(
    specs=[
        dg.AssetSpec("pattern_signals", group_name="patterns", kinds={"postgres", "numpy"},
                     deps=["indicators", "pattern_registry"],
                     description="All 95 detectors over every closed 15m/1h/4h/1d candle, gated by dependencies, "
                                 "weighted by regime and success statistics, plus cluster and hierarchy signals, "
                                 "stored at their onsets."),
        dg.AssetSpec("market_cycles", group_name="patterns", kinds={"postgres"}, deps=["indicators"],
                     description="Market-cycle phase of every closed candle."),
    ],
    partitions_def=market_daily_partition,
    backfill_policy=market_backfill_policy,
    op_tags=CRITICAL_PATH,
    check_specs=[dg.AssetCheckSpec("detections_on_candles", asset="pattern_signals", blocking=True,
                                   description="Every detection sits on a stored closed candle of its timeframe.")],
)
def pattern_signals(context: dg.AssetExecutionContext, config: MarketScope,
                    transaction: TransactionResource) -> Iterator[dg.MaterializeResult]:
    """Pattern detections for the days of the run: one vectorised pass per coin and timeframe, spread
    over worker processes (``IRIS_COMPUTE_WORKERS``); reads and writes stay in this step's transaction."""
    start, end = run_window(context)
    by_category: dict[str, int] = {}
    cycles_written = 0
    with transaction.begin() as uow:
        coins = MarketDataQueries(uow.connection).coin_frame(config.symbols or None)
        statistics = PatternQueries(uow.connection).statistics_frame()
        with compute_pool(coin_days=coins.height * (end - start).days) as pool:
            for rows in pool.map_ordered(detect_batch, _batches(uow, coins, statistics, start, end)):
                ids = list(rows.coin_ids)
                uow.indicators.replace_signals("pattern", ids, rows.timeframe, start, end, rows.signals)
                cycles_written += uow.patterns.replace_cycles(ids, rows.timeframe, start, end, rows.cycles)
                if not rows.signals.is_empty():
                    kinds = rows.signals.group_by(pl.col("signal_type").str.extract(r"^pattern_(cluster|hierarchy)")
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
