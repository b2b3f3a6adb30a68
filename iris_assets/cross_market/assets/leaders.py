"""``market_leaders``, ``sector_metrics`` and ``sector_rotations``: who leads and where money rotates."""

from collections.abc import Iterator
from datetime import timedelta

import dagster as dg
import polars as pl

from iris_assets.config import MarketScope
from iris_assets.cross_market import detect_leaders, detect_rotation, sector_momentum
from iris_assets.cross_market.snapshots import day_end_snapshot, leader_entries, with_activity
from iris_assets.partitions import days, market_backfill_policy, market_daily_partition, run_window
from iris_resources.db.resources import TransactionResource
from iris_resources.indicators.queries import IndicatorQueries
from iris_resources.market_data.queries import MarketDataQueries

LEADER_TIMEFRAME = 15
_FEATURES = ("coin_id", "timestamp", "price_change_24h_pct", "volume_change_24h_pct", "volatility", "market_regime")


def _sector_input(snapshot: pl.DataFrame, coins: pl.DataFrame) -> pl.DataFrame:
    return snapshot.join(coins.select("coin_id", "sector_id", "sector"), on="coin_id").select(
        "sector_id", "sector", "price_change_24h_pct", "volume_change_24h_pct",
        (pl.col("volatility") * 100.0).alias("volatility"))


@dg.multi_asset(
    specs=[
        dg.AssetSpec("market_leaders", group_name="cross_market", kinds={"postgres"}, deps=["indicators"],
                     description="Coins that lead the market: HOT, |24h| ≥ 2 %, volume +12 %, direction agreeing "
                                 "with the regime (reference rule on percent values); one row per episode."),
        dg.AssetSpec("sector_metrics", group_name="cross_market", kinds={"postgres"}, deps=["indicators"],
                     description="Sector strength, relative strength, capital flow and trend at each day's end "
                                 "(the single writer of sector metrics)."),
        dg.AssetSpec("sector_rotations", group_name="cross_market", kinds={"postgres"}, deps=["sector_metrics"],
                     description="The leading sector changed between consecutive day-end snapshots."),
    ],
    partitions_def=market_daily_partition,
    backfill_policy=market_backfill_policy,
)
def market_leaders(context: dg.AssetExecutionContext, config: MarketScope,
                   transaction: TransactionResource) -> Iterator[dg.MaterializeResult]:
    """Leader episodes from every 15m bar, sector snapshots and rotations from each day's end."""
    start, end = run_window(context)
    counts = {"leaders": 0, "sectors": 0, "rotations": 0}
    with transaction.begin() as uow:
        market = MarketDataQueries(uow.connection)
        coins = market.coin_frame(config.symbols or None)
        sector_ids = {s.code: s.id for s in market.list_sectors()}
        coins_with_sector = market.coins_info_frame().with_columns(
            pl.col("sector").replace_strict(sector_ids, default=None).cast(pl.Int32).alias("sector_id"))
        ids = coins.get_column("coin_id").to_list()
        # One day before the window: the previous bar of the first episode and yesterday's sectors.
        bars = IndicatorQueries(uow.connection).indicator_frame(ids, LEADER_TIMEFRAME, start - timedelta(days=1), end,
                                                                columns=_FEATURES)
        bars = with_activity(bars, LEADER_TIMEFRAME) if not bars.is_empty() else bars
        detected = detect_leaders(bars) if not bars.is_empty() else bars
        entries = leader_entries(detected, bars).filter(pl.col("timestamp") >= start) if not bars.is_empty() else bars
        leader_rows = entries.select(
            "coin_id", pl.lit(LEADER_TIMEFRAME, dtype=pl.Int16).alias("timeframe"), "timestamp", "direction",
            "confidence", "price_change_24h_pct", "volume_change_24h_pct", "market_regime",
        ) if not entries.is_empty() else entries
        counts["leaders"] = uow.cross_market.replace_leaders(ids, start, end, leader_rows)
        rotations = []
        for day_start, day_end in days(start, end):
            today = day_end_snapshot(bars.filter((pl.col("timestamp") >= day_start) & (pl.col("timestamp") < day_end)))
            yesterday = day_end_snapshot(bars.filter((pl.col("timestamp") >= day_start - timedelta(days=1))
                                                     & (pl.col("timestamp") < day_start)))
            current = sector_momentum(_sector_input(today, coins_with_sector), LEADER_TIMEFRAME)
            previous = sector_momentum(_sector_input(yesterday, coins_with_sector), LEADER_TIMEFRAME)
            counts["sectors"] += uow.cross_market.replace_sector_metrics(LEADER_TIMEFRAME, day_end, current)
            rotation = detect_rotation(previous if not yesterday.is_empty() else None, current)
            if rotation is not None:
                rotations.append({"source_sector_id": rotation.source_sector_id,
                                  "target_sector_id": rotation.target_sector_id, "timeframe": LEADER_TIMEFRAME,
                                  "timestamp": day_end, "strength": rotation.target_strength})
        counts["rotations"] = uow.cross_market.replace_rotations(LEADER_TIMEFRAME, start + timedelta(microseconds=1),
                                                                 end + timedelta(microseconds=1), rotations)
        uow.events.extend("market_leader_detected", [
            {"coin_id": r["coin_id"], "timeframe": LEADER_TIMEFRAME, "timestamp": r["timestamp"],
             "payload": {"direction": r["direction"], "confidence": r["confidence"],
                         "market_regime": r["market_regime"]}}
            for r in (leader_rows.to_dicts() if not leader_rows.is_empty() else [])])
        uow.commit()
    context.log.info("leaders/sectors %s..%s: %s", start.date(), end.date(), counts)
    yield dg.MaterializeResult(asset_key="market_leaders", metadata={"dagster/row_count": counts["leaders"]})
    yield dg.MaterializeResult(asset_key="sector_metrics", metadata={"dagster/row_count": counts["sectors"]})
    yield dg.MaterializeResult(asset_key="sector_rotations", metadata={"dagster/row_count": counts["rotations"]})
