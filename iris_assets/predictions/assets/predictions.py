"""``market_predictions``: leader moves become predictions for their followers."""

from datetime import datetime, timedelta

import dagster as dg
import polars as pl

from iris_assets.config import MarketScope
from iris_assets.cross_market.assets.relations import RELATION_TIMEFRAME
from iris_assets.partitions import market_backfill_policy, market_daily_partition, run_window
from iris_assets.predictions import create_predictions
from iris_resources.cross_market.queries import CrossMarketQueries, RelationQueries
from iris_resources.db.resources import TransactionResource
from iris_resources.market_data.queries import MarketDataQueries
from iris_resources.predictions.queries import PredictionQueries


@dg.asset(
    group_name="predictions",
    kinds={"postgres", "polars"},
    deps=["market_leaders", "coin_relations"],
    partitions_def=market_daily_partition,
    backfill_policy=market_backfill_policy,
)
def market_predictions(context: dg.AssetExecutionContext, config: MarketScope,
                       transaction: TransactionResource) -> dg.MaterializeResult:
    """Predictions created from each leader episode for followers with a confident relation:
    expected direction (leader direction × relation sign), magnitude, target price, window and
    deadline, confidence. Uses only relations computed before the move and prices at its close;
    no duplicate while one is pending for the same leader, follower and timeframe.
    """
    start, end = run_window(context)
    created = 0
    with transaction.begin() as uow:
        market = MarketDataQueries(uow.connection)
        coin_ids = market.coin_frame(config.symbols or None).get_column("coin_id").to_list()
        leaders = CrossMarketQueries(uow.connection).recent_leaders(100_000).filter(
            (pl.col("timestamp") >= start) & (pl.col("timestamp") < end) & pl.col("coin_id").is_in(coin_ids))
        frames = []
        for day_start in sorted({t.replace(hour=0, minute=0) for t in leaders.get_column("timestamp")}):
            moves = leaders.filter(pl.col("timestamp").dt.truncate("1d") == day_start).select(
                pl.col("coin_id").alias("leader_coin_id"), "direction", "confidence",
                pl.col("price_change_24h_pct").alias("move_pct"),
                (pl.col("timestamp") + pl.duration(minutes=pl.col("timeframe").cast(pl.Int64))).alias("created_at"))
            # Relations as of the previous day's end: nothing computed after the move is used.
            relations = RelationQueries(uow.connection).relations_as_of(RELATION_TIMEFRAME, day_start)
            if relations.is_empty():
                continue
            newest = moves.get_column("created_at").max()
            assert isinstance(newest, datetime)
            prices = market.candles_frame(coin_ids, None, day_start - timedelta(days=1), newest).sort("timestamp") \
                .group_by("coin_id").last().select("coin_id", pl.col("close").alias("price"))
            pending = PredictionQueries(uow.connection).pending_keys(start)
            frames.append(create_predictions(moves, relations, prices, pending))
        fresh = pl.concat(frames) if frames else pl.DataFrame()
        created = len(uow.predictions.replace_created(coin_ids, start, end, fresh))
        uow.commit()
    context.log.info("predictions %s..%s: %d created", start.date(), end.date(), created)
    return dg.MaterializeResult(metadata={"dagster/row_count": created, "leader_episodes": leaders.height})
