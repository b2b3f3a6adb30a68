"""``pattern_registry``, ``signal_outcomes`` and ``pattern_statistics``."""

from datetime import UTC, datetime, timedelta
from functools import partial

import dagster as dg
import polars as pl
from sqlalchemy import Connection

from iris_assets.config import MarketScope
from iris_assets.executor import CRITICAL_PATH, history_scan
from iris_assets.indicators.assets.indicators import TIMEFRAMES
from iris_assets.partitions import coin_chunks, market_backfill_policy, market_daily_partition, run_window
from iris_assets.patterns.catalog import CATALOG, lifecycle_from_temperature
from iris_assets.patterns.statistics import pattern_statistics as compute_statistics
from iris_assets.signals.outcomes import BAR_HORIZONS, evaluate_outcomes
from iris_resources.db.read_ahead import read_ahead
from iris_resources.db.resources import TransactionResource
from iris_resources.market_data.queries import MarketDataQueries
from iris_resources.patterns.outcome_queries import OutcomeQueries
from iris_resources.patterns.queries import PatternQueries


def outcome_reach(timeframe: int) -> timedelta:
    """How far after a signal its outcome can look: the longest bar horizon (24 bars of 1d is 24 days)
    or the 72h wall-clock horizon, plus a bar of slack."""
    return max(timedelta(minutes=max(BAR_HORIZONS) * timeframe), timedelta(hours=72)) + timedelta(
        minutes=timeframe, days=1)


@dg.asset(group_name="patterns", kinds={"postgres"})
def pattern_registry(context: dg.AssetExecutionContext, transaction: TransactionResource) -> dg.MaterializeResult:
    """The detector catalog (95 detectors) with category, explicit bias, lookback, cost and lifecycle;
    lifecycle and enabled follow the aggregated statistics once they exist (reference 2.10)."""
    now = datetime.now(UTC)
    with transaction.begin() as uow:
        stats = OutcomeQueries(uow.connection).aggregate_statistics()
        rows = []
        for spec in CATALOG:
            aggregate = stats.get(spec.slug)
            lifecycle = spec.lifecycle if aggregate is None else lifecycle_from_temperature(
                aggregate["temperature"], enabled=not (aggregate["n"] >= 20 and aggregate["rate"] < 0.45))
            rows.append({"slug": spec.slug, "category": spec.category, "bias": spec.bias,
                         "lookback": spec.lookback, "cpu_cost": spec.cpu_cost, "lifecycle_state": lifecycle,
                         "enabled": spec.enabled and lifecycle != "DISABLED", "updated_at": now})
        uow.patterns.upsert_registry(rows)
        uow.commit()
    categories = pl.DataFrame(rows).group_by("category").len().sort("category")
    return dg.MaterializeResult(metadata={"dagster/row_count": len(rows),
                                          "by_category": dg.MetadataValue.json(dict(categories.rows()))})


def _outcome_inputs(chunk: pl.DataFrame, timeframe: int, start: datetime, end: datetime,
                    connection: Connection) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(signals in the window, closed candles through the outcome reach) of one coin chunk."""
    signals = OutcomeQueries(connection).signals(chunk.get_column("coin_id").to_list(), timeframe, start, end)
    if signals.is_empty():
        return signals, pl.DataFrame()
    candles = MarketDataQueries(connection).closed_candles(chunk, timeframe, start, end + outcome_reach(timeframe))
    return signals, candles.select("coin_id", "timestamp", "high", "low", "close")


@dg.asset(
    group_name="patterns",
    kinds={"postgres", "numpy"},
    deps=["pattern_signals", "indicators"],
    partitions_def=market_daily_partition,
    op_tags=CRITICAL_PATH,
    backfill_policy=market_backfill_policy,
)
def signal_outcomes(context: dg.AssetExecutionContext, config: MarketScope,
                    transaction: TransactionResource) -> dg.MaterializeResult:
    """Every signal's outcome (direction-signed return and max adverse excursion) after 4/12/24 bars
    of its timeframe and after 24h/72h, entering at its candle's close; horizons not reached yet stay
    null and fill in when the partition is re-run with later candles."""
    start, end = run_window(context)
    written = 0
    now = datetime.now(UTC)
    with transaction.begin() as uow:
        coins = MarketDataQueries(uow.connection).coin_frame(config.symbols or None)
        parts = [(timeframe, chunk) for timeframe in TIMEFRAMES for chunk in coin_chunks(coins)]
        # Signals and candles are committed upstream: the next chunk is read on a second connection
        # while this one replaces the current chunk's outcomes (memory still follows the chunk).
        reads = [partial(_outcome_inputs, chunk, timeframe, start, end) for timeframe, chunk in parts]
        with read_ahead(transaction.begin, reads) as inputs:
            for (timeframe, chunk), (signals, candles) in zip(parts, inputs, strict=True):
                ids = chunk.get_column("coin_id").to_list()
                if signals.is_empty():
                    uow.patterns.replace_outcomes(ids, timeframe, start, end, signals)
                    continue
                outcomes = evaluate_outcomes(
                    signals.select("coin_id", "timestamp", "signal_type", "direction", "market_regime"), candles,
                    timeframe)
                rows = outcomes.rename({"timestamp": "candle_timestamp"}).with_columns(
                    pl.lit(timeframe, dtype=pl.Int16).alias("timeframe"), pl.lit(now).alias("evaluated_at"))
                written += uow.patterns.replace_outcomes(ids, timeframe, start, end, rows)
        uow.commit()
    return dg.MaterializeResult(metadata={"dagster/row_count": written})


@dg.asset(group_name="patterns", kinds={"postgres"}, deps=["signal_outcomes"],
          automation_condition=dg.AutomationCondition.eager(),
          op_tags=history_scan(priority=1),  # the shortest of the three scans
          check_specs=[dg.AssetCheckSpec("sample_sizes_consistent", asset="pattern_statistics",
                                         description="Successes ≤ samples ≤ 200 and rate = successes / samples.")])
def pattern_statistics(context: dg.AssetExecutionContext, transaction: TransactionResource) -> dg.MaterializeResult:
    """Success rate, sample size, average return/drawdown and temperature per pattern, timeframe and
    regime over the last 365 days (the last 200 outcomes per scope by candle time). "Now" is the
    newest stored candle, so a historical backfill ages its outcomes like live data would."""
    with transaction.begin() as uow:
        newest = MarketDataQueries(uow.connection).latest_candle_timestamp(15)
        now = newest if newest is not None else datetime.now(UTC)
        # Only each scope's newest outcomes can count: SQL ranks them, so memory does not grow with history.
        outcomes = OutcomeQueries(uow.connection).recent_pattern_outcomes(now - timedelta(days=365))
        stats = compute_statistics(outcomes, now) if not outcomes.is_empty() else pl.DataFrame()
        rows = stats.select(
            pl.col("slug").alias("pattern_slug"), "timeframe", pl.col("regime").alias("market_regime"),
            "total_signals", "successful_signals", "success_rate", "avg_return", "avg_drawdown", "temperature",
            "enabled", pl.lit(now).alias("updated_at")) if not stats.is_empty() else stats
        uow.patterns.replace_statistics(rows)
        uow.commit()
    with transaction.begin() as uow:
        inconsistent = PatternQueries(uow.connection).inconsistent_statistics()
    return dg.MaterializeResult(
        metadata={"dagster/row_count": rows.height, "outcomes": outcomes.height},
        check_results=[dg.AssetCheckResult(check_name="sample_sizes_consistent", asset_key="pattern_statistics",
                                           passed=inconsistent == 0, metadata={"inconsistent_rows": inconsistent})],
    )
