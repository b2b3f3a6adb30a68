"""The ``market_anomalies`` asset: the reference's detectors, scored, through the fixed lifecycle."""

from datetime import datetime, timedelta

import dagster as dg
import polars as pl

from iris_assets.anomalies import CandleSeries, CoinHistory, escalation_triggers, scan_sector
from iris_assets.anomalies.assets.history_scans import scan_universe
from iris_assets.anomalies.assets.persist import escalations, open_anomalies, persist_scan
from iris_assets.anomalies.lifecycle import DEFAULT_POLICY
from iris_assets.config import MarketScope
from iris_assets.parallel import compute_pool
from iris_assets.partitions import market_backfill_policy, market_daily_partition, run_window
from iris_resources.anomalies.queries import AnomalyQueries, regime_frame
from iris_resources.db.resources import TransactionResource
from iris_resources.db.uow import UnitOfWork
from iris_resources.market_data.queries import MarketDataQueries

LOOKBACK_BARS = 96
BENCHMARK = "BTCUSD"
ANOMALY_CHECKS = [
    dg.AssetCheckSpec("no_orphaned_open_anomalies", asset="market_anomalies", blocking=True,
                      description="No anomaly stays open past its expiry horizon (the reference's quirk, fixed)."),
]


def _histories(uow: UnitOfWork, coins: pl.DataFrame, timeframe: int, start: datetime, end: datetime
               ) -> list[CoinHistory]:
    seed = start - timedelta(minutes=timeframe * LOOKBACK_BARS)
    ids = coins.get_column("coin_id").to_list()
    candles = MarketDataQueries(uow.connection).candles_frame(ids, timeframe, seed, end)
    regimes = regime_frame(uow.connection, ids, timeframe, seed, end)
    frame = candles.join(regimes, on=["coin_id", "timestamp"], how="left") if not regimes.is_empty() else \
        candles.with_columns(pl.lit(None, dtype=pl.String).alias("market_regime"))
    # One pass splits the frame per coin (filtering it once per coin rescans it for every coin).
    parts = {int(key[0]): part for key, part in frame.partition_by("coin_id", as_dict=True).items()}
    del frame
    histories = []
    for coin in coins.iter_rows(named=True):
        own = parts.pop(int(coin["coin_id"]), None)
        if own is not None and own.height:
            own = own.sort("timestamp")
            histories.append(CoinHistory(
                coin["symbol"], timeframe, CandleSeries.from_frame(own), sector=coin["sector"],
                regimes=tuple(own.get_column("market_regime").to_list()), sort_order=coin["sort_order"]))
    return histories


@dg.asset(
    group_name="anomalies",
    kinds={"postgres", "numpy"},
    deps=["candles", "indicators"],
    partitions_def=market_daily_partition,
    backfill_policy=market_backfill_policy,
    check_specs=ANOMALY_CHECKS,
)
def market_anomalies(context: dg.AssetExecutionContext, config: MarketScope,
                     transaction: TransactionResource) -> dg.MaterializeResult:
    """Price/volume/volatility/relative anomalies on every closed base candle, the sector scan they
    escalate to, scored with severity bands, entry/exit thresholds, cooldowns and time-based expiry.

    A day is replayed from the lifecycle state at its start (``rewind``), so re-running it rewrites
    the same anomalies; the market-structure scan is skipped while no venue snapshots are stored.
    """
    start, end = run_window(context)
    last_bar = end - timedelta(microseconds=1)
    # Like decisions, only the run's newest day is announced: live runs announce everything they
    # find, a year-long backfill does not flood the stream with history (the rows are all stored).
    announce_since = end - timedelta(days=1)
    counts = {"created": 0, "steps": 0, "sector_created": 0, "evaluations": 0}
    with transaction.begin() as uow:
        market = MarketDataQueries(uow.connection)
        coins = market.coin_frame(config.symbols or None).join(
            market.coins_info_frame().select("coin_id", "sector", "sort_order"), on="coin_id")
        with compute_pool(coin_days=coins.height * (end - start).days) as pool:
            for (timeframe,), group in coins.group_by("timeframe"):
                ids = group.get_column("coin_id").to_list()
                uow.anomalies.rewind(ids, int(timeframe), start, end)
                stored_open = open_anomalies(uow.anomalies.open_before(ids, int(timeframe), start))
                histories = _histories(uow, group, int(timeframe), start, end)
                coin_ids = dict(zip(group.get_column("symbol"), group.get_column("coin_id"), strict=True))
                triggers = []
                # Workers scan the next coins while this process writes the finished ones.
                for result in scan_universe(pool, histories, start=start, end=last_bar,
                                              benchmark_symbol=BENCHMARK, open_by_symbol=stored_open):
                    created = persist_scan(uow, result, coin_ids, "fast_path", announce_since)
                    triggers += escalations(result, created, escalation_triggers(result))
                    counts["created"] += len(created)
                    counts["steps"] += len(result.events)
                    counts["evaluations"] += result.evaluations
                if triggers:
                    sector = scan_sector(histories, triggers, open_anomalies=[
                        a for items in stored_open.values() for a in items
                        if a.anomaly_type == "cross_asset_synchronous_move"])
                    sector_rows = persist_scan(uow, sector, coin_ids, "sector_scan", announce_since)
                    counts["sector_created"] += len(sector_rows)
        uow.commit()
    with transaction.begin() as uow:
        orphans = AnomalyQueries(uow.connection).orphaned_open(end, DEFAULT_POLICY.expiry)
        by_severity = AnomalyQueries(uow.connection).severity_counts(start, end)
    context.log.info("anomalies %s..%s: %s", start.date(), end.date(), counts)
    return dg.MaterializeResult(
        metadata={"dagster/row_count": counts["created"] + counts["sector_created"], **counts,
                  "by_severity": dg.MetadataValue.json(by_severity)},
        check_results=[dg.AssetCheckResult(
            check_name="no_orphaned_open_anomalies", asset_key="market_anomalies", passed=not orphans,
            metadata={"orphans": len(orphans), "examples": dg.MetadataValue.json(orphans[:10])})],
    )
