"""The ``indicators`` asset: every indicator and per-bar feature for every closed candle."""

from collections.abc import Iterator
from datetime import datetime, timedelta

import dagster as dg
import polars as pl
from sqlalchemy import Connection

from iris_assets.config import MarketScope
from iris_assets.executor import CRITICAL_PATH
from iris_assets.indicators.assets.checks import indicator_check_results
from iris_assets.indicators.classic_signals import detect_classic_signals
from iris_assets.indicators.engine import compute_indicators
from iris_assets.indicators.events import indicator_events
from iris_assets.indicators.features import add_bar_features
from iris_assets.indicators.regimes import regime_change_rows
from iris_assets.indicators.seeding import seed_blocks
from iris_assets.partitions import coin_chunks, market_backfill_policy, market_daily_partition, run_window
from iris_resources.db.resources import TransactionResource
from iris_resources.market_data.queries import MarketDataQueries

TIMEFRAMES = (15, 60, 240, 1440)
INDICATOR_CHECKS = [
    dg.AssetCheckSpec("value_ranges", asset="indicators", blocking=True,
                      description="RSI within [0, 100] and ATR ≥ 0 for every stored bar."),
    dg.AssetCheckSpec("warmup_nulls", asset="indicators",
                      description="Share of bars whose RSI/ATR is still null (warm-up); warns above 5 %."),
    dg.AssetCheckSpec("freshness", asset="indicators",
                      description="The newest indicator bar is not older than the newest closed candle."),
]


def _continue_obv(frame: pl.DataFrame, before: pl.DataFrame) -> pl.DataFrame:
    """Make block-local OBV (TA-Lib's, restarting at each coin's first bar of the block) continue the
    full-history OBV. ``before``: coin_id, obv and close of each coin's last bar before the block.

    The block's first bar then adds its volume signed by its change from that close, as in the full
    history, instead of starting the sum at its volume; coins without earlier bars keep TA-Lib's start.
    """
    if before.is_empty():
        return frame
    first = pl.col("obv").first().over("coin_id")  # the first bar's local OBV is its volume
    first_close = pl.col("close").first().over("coin_id")
    offset = (pl.col("_obv_before") + (first_close - pl.col("_close_before")).sign() * first.fill_null(0.0)
              - first)
    return (
        frame.join(before.rename({"obv": "_obv_before", "close": "_close_before"}), on="coin_id", how="left")
        .with_columns(pl.when(pl.col("_obv_before").is_not_null()).then(pl.col("obv") + offset)
                      .otherwise(pl.col("obv")).alias("obv"))
        .drop("_obv_before", "_close_before")
    )


def obv_before(connection: Connection, coins: pl.DataFrame, timeframe: int, seed: datetime) -> pl.DataFrame:
    """Each coin's full-history OBV and close at its last bar before a block's ``seed``."""
    return MarketDataQueries(connection).obv_through(coins, timeframe, seed - timedelta(microseconds=1))


def compute_block(connection: Connection, coins: pl.DataFrame, timeframe: int, seed: datetime,
                  stop: datetime, before: pl.DataFrame | None = None) -> pl.DataFrame:
    """Indicators and features for bars in ``[seed, stop)`` computed from ``seed`` on.

    ``before``: ``obv_before`` of (at least) these coins when the caller read it for several chunks."""
    bars = MarketDataQueries(connection).closed_candles(coins, timeframe, seed, stop)
    if bars.is_empty():
        return pl.DataFrame()
    computed = compute_indicators(bars.sort("coin_id", "timestamp"), by="coin_id")
    # OBV restarts at each coin's first bar of the block: continue the full-history running sum.
    if before is None:
        before = obv_before(connection, coins, timeframe, seed)
    computed = _continue_obv(computed, before)  # a left join: other coins' rows in ``before`` do nothing
    return add_bar_features(computed, timeframe).with_columns(pl.lit(timeframe, dtype=pl.Int16).alias("timeframe"))


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            "indicators", group_name="indicators", kinds={"postgres", "polars"}, deps=["candle_aggregates"],
            description="Indicators (TA-Lib definitions) and per-bar features for every closed 15m/1h/4h/1d "
                        "candle, plus the regime changes between consecutive bars.",
        ),
        dg.AssetSpec(
            "indicator_signals", group_name="indicators", kinds={"postgres"}, deps=["indicators"],
            description="The reference's classic signals (golden/death cross, RSI and MACD crossings, "
                        "breakouts, volume spikes) per closed candle, keyed on its open time, with a direction.",
        ),
    ],
    partitions_def=market_daily_partition,
    backfill_policy=market_backfill_policy,
    check_specs=INDICATOR_CHECKS,
    op_tags=CRITICAL_PATH,
)
def indicators(
    context: dg.AssetExecutionContext,
    config: MarketScope,
    transaction: TransactionResource,
) -> Iterator[dg.MaterializeResult]:
    """Indicators, regime changes and classic signals from one pass over the candles.

    Each bar is computed from a fixed, epoch-aligned seed (``seeding.py``), so a day computed alone
    equals the same day inside a year-long backfill. Signals and regime changes need the previous
    bar, which the seed's warm-up always holds: they never depend on another partition having run.
    """
    start, end = run_window(context)
    with transaction.begin() as uow:
        coins = MarketDataQueries(uow.connection).coin_frame(config.symbols or None)
    coin_ids = coins.get_column("coin_id").to_list()
    rows: dict[str, int] = {}
    changes = 0
    fired: dict[str, int] = {}
    for timeframe in TIMEFRAMES:
        for block in seed_blocks(timeframe, start, end):
            with transaction.begin() as uow:
                # One full-history OBV sum for every coin of the block (a scan of the history per chunk
                # would repeat its fixed costs).
                before = obv_before(uow.connection, coins, timeframe, block.seed)
                # Coins in chunks: a 15m block of 100 coins with its warm-up is 600k bars × 64 columns, and
                # the step's memory follows the chunk instead (one transaction per block still).
                for chunk in coin_chunks(coins):
                    computed = compute_block(uow.connection, chunk, timeframe, block.seed, block.stop, before)
                    window = (chunk.get_column("coin_id").to_list(), timeframe, block.keep_start, block.stop)
                    kept = computed.filter(pl.col("timestamp") >= block.keep_start) \
                        if not computed.is_empty() else computed
                    uow.indicators.replace_window(*window, kept)
                    regime_rows = regime_change_rows(computed, block.keep_start) \
                        if not computed.is_empty() else computed
                    changes += uow.indicators.replace_regime_changes(*window, regime_rows)
                    signals = _signals(computed, block.keep_start)
                    uow.indicators.replace_signals("indicator", *window, signals)
                    if block.stop == end:  # announce only the newest bars of the run
                        for event_type, events in indicator_events(kept, signals, regime_rows, timeframe).items():
                            uow.events.extend(event_type, events)
                    rows[f"rows_{timeframe}m"] = rows.get(f"rows_{timeframe}m", 0) + kept.height
                    for (name,), group in signals.group_by("signal_type"):
                        fired[str(name)] = fired.get(str(name), 0) + group.height
                uow.commit()
    with transaction.begin() as uow:
        check_results = indicator_check_results(uow.connection, start, end, TIMEFRAMES)
    context.log.info("indicators %s..%s: %s, signals %s", start.date(), end.date(), rows, fired)
    yield dg.MaterializeResult(
        asset_key="indicators",
        metadata={"dagster/row_count": sum(rows.values()), "symbols": len(coin_ids), "regime_changes": changes,
                  **rows},
        check_results=check_results,
    )
    yield dg.MaterializeResult(
        asset_key="indicator_signals",
        metadata={"dagster/row_count": sum(fired.values()), "by_type": dg.MetadataValue.json(fired)},
    )


def _signals(computed: pl.DataFrame, since: datetime) -> pl.DataFrame:
    if computed.is_empty():
        return pl.DataFrame(schema={"coin_id": pl.Int32, "timestamp": pl.Datetime("us", "UTC"),
                                    "signal_type": pl.String, "direction": pl.String, "confidence": pl.Float64,
                                    "market_regime": pl.String})
    fired = detect_classic_signals(computed)
    return fired.filter(pl.col("timestamp") >= since)
