"""The ``coin_relations`` asset: lead/lag correlation of every ordered pair, as of each day's end."""

from datetime import timedelta

import dagster as dg
import polars as pl

from iris_assets.config import MarketScope
from iris_assets.cross_market import RelationConfig, compute_relations, max_lag_bars
from iris_assets.partitions import days, market_backfill_policy, market_daily_partition, run_window
from iris_assets.predictions import apply_feedback
from iris_resources.cross_market.queries import RelationQueries
from iris_resources.db.resources import TransactionResource
from iris_resources.market_data.queries import MarketDataQueries

RELATION_TIMEFRAME = 60
RELATION_CHECKS = [dg.AssetCheckSpec("correlation_bounds", asset="coin_relations", blocking=True,
                                     description="Every stored correlation lies within [-1, 1].")]


@dg.asset(
    group_name="cross_market",
    kinds={"postgres", "numpy"},
    deps=["candle_aggregates"],
    partitions_def=market_daily_partition,
    backfill_policy=market_backfill_policy,
    check_specs=RELATION_CHECKS,
)
def coin_relations(context: dg.AssetExecutionContext, config: MarketScope,
                   transaction: TransactionResource) -> dg.MaterializeResult:
    """Signed lead/lag return correlation for all pairs on 1h candles (200-bar window, lags 0–8),
    joined on timestamp, computed with matrix products; inactive below the threshold; the feedback
    ledger is applied on top of the recomputed confidence. One snapshot per day, as of its end.
    """
    relation_config = RelationConfig()
    start, end = run_window(context)
    span = timedelta(minutes=RELATION_TIMEFRAME * (relation_config.lookback + max_lag_bars(RELATION_TIMEFRAME) + 2))
    totals = {"pairs": 0, "active": 0}
    strongest: list[dict[str, object]] = []
    for _, day_end in days(start, end):
        as_of = day_end - timedelta(minutes=RELATION_TIMEFRAME)  # the day's last 1h bar
        with transaction.begin() as uow:
            market = MarketDataQueries(uow.connection)
            coins = market.coin_frame(config.symbols or None)
            closes = market.closed_candles(coins, RELATION_TIMEFRAME, as_of - span, day_end).select(
                "coin_id", "timestamp", "close")
            if closes.is_empty():
                continue
            relations = compute_relations(closes, RELATION_TIMEFRAME, as_of=as_of, config=relation_config)
            ledger = RelationQueries(uow.connection).feedback_ledger().filter(pl.col("created_at") <= day_end)
            relations = apply_feedback(relations, ledger)
            uow.cross_market.replace_relations(RELATION_TIMEFRAME, day_end, relations)
            uow.commit()
        totals["pairs"] += relations.height
        totals["active"] += int(relations.get_column("active").sum())
    with transaction.begin() as uow:
        queries = RelationQueries(uow.connection)
        bounds = queries.relation_bounds(start, end)
        strongest = queries.strongest_relations(end)
    context.log.info("relations %s..%s: %s", start.date(), end.date(), totals)
    return dg.MaterializeResult(
        metadata={"dagster/row_count": totals["pairs"], "active_pairs": totals["active"],
                  "strongest": dg.MetadataValue.json(strongest)},
        check_results=[dg.AssetCheckResult(
            check_name="correlation_bounds", asset_key="coin_relations",
            passed=bounds["min"] >= -1.0 and bounds["max"] <= 1.0, metadata=bounds)],
    )
