"""The ``candle_aggregates`` asset: closed (and flagged partial) 1h/4h/1d buckets per UTC day."""


import dagster as dg

from iris_assets.config import MarketScope
from iris_assets.executor import CRITICAL_PATH
from iris_assets.market_data.resample import resample
from iris_assets.partitions import (
    day_chunks,
    market_backfill_policy,
    market_daily_partition,
    rows_per_day,
    run_window,
)
from iris_resources.db.resources import TransactionResource
from iris_resources.market_data.queries import MarketDataQueries


@dg.asset(
    group_name="market_data",
    kinds={"postgres", "polars"},
    deps=["candles"],
    partitions_def=market_daily_partition,
    backfill_policy=market_backfill_policy,
    op_tags=CRITICAL_PATH,
)
def candle_aggregates(
    context: dg.AssetExecutionContext,
    config: MarketScope,
    transaction: TransactionResource,
) -> dg.MaterializeResult:
    """1h, 4h and 1d candles resampled from the stored base candles, one UTC day at a time.

    Every bucket of a day lies inside that day, so a day's aggregates depend on that day's base
    candles only. Buckets missing base candles are stored with ``is_partial = true``; indicators
    and patterns read closed buckets only. Whole days are replaced atomically (late data re-derives).
    """
    start, end = run_window(context)
    with transaction.begin() as uow:
        coins = MarketDataQueries(uow.connection).coin_frame(config.symbols or None)
    coin_ids = coins.get_column("coin_id").to_list()
    counts = {"rows": 0, "closed": 0, "partial": 0}
    per_timeframe: dict[str, int] = {}
    for day, day_end in day_chunks(start, end, rows_per_day(coins.get_column("timeframe").to_list())):
        with transaction.begin() as uow:
            queries = MarketDataQueries(uow.connection)
            base = queries.candles_frame(coin_ids, None, day, day_end)
            aggregated = resample(base.drop("is_partial"))
            uow.candle_aggregates.replace_window(coin_ids, day, day_end, aggregated)
            uow.commit()
        partial = int(aggregated.get_column("is_partial").sum())
        counts["rows"] += aggregated.height
        counts["partial"] += partial
        counts["closed"] += aggregated.height - partial
        for tf, group in aggregated.group_by("timeframe"):
            label = f"rows_{tf[0]}m"
            per_timeframe[label] = per_timeframe.get(label, 0) + group.height
    context.log.info("aggregates %s..%s: %s", start.date(), end.date(), counts)
    return dg.MaterializeResult(
        metadata={"dagster/row_count": counts["rows"], "closed_buckets": counts["closed"],
                  "partial_buckets": counts["partial"], "symbols": len(coin_ids), **per_timeframe}
    )
