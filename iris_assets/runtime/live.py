"""The live chain: poll closed candles every minute, and react to new candles and new coins.

- ``live_candles_schedule`` materializes today's ``candles`` partition (and yesterday's for the
  first hour, so the bar that closes at midnight is not missed); the asset stores closed candles only.
- ``new_candles_sensor`` follows ``candle_closed`` events in the outbox with a durable cursor (the
  outbox id) and requests the downstream daily assets for exactly the days and symbols touched.
- ``new_coins_sensor`` requests a history backfill for coins that have none yet.
The unpartitioned latest-state assets follow through their automation conditions.
"""

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import dagster as dg
from sqlalchemy import func, select

from iris_assets.market_data.live import affected_days, live_days
from iris_assets.patterns.assets.registry import outcome_reach
from iris_assets.run_tags import group_tag
from iris_resources.db.resources import DatabaseResource
from iris_resources.events.tables import event_outbox
from iris_resources.market_data.tables import candles as candles_table
from iris_resources.market_data.tables import coins
from iris_resources.settings import get_settings

PER_COIN_ASSETS = ("candle_aggregates", "indicators", "indicator_signals", "pattern_signals", "market_cycles",
                   "feature_snapshots", "market_anomalies", "signal_outcomes", "investment_decisions",
                   "final_signals")
_PER_COIN_OPS = ("candle_aggregates", "indicators", "pattern_signals", "feature_snapshots", "market_anomalies",
                 "signal_outcomes", "investment_decisions")
# Fusion reads other coins' decisions (leaders), so it always runs on the whole universe.
CROSS_SECTION_ASSETS = ("coin_relations", "market_leaders", "sector_metrics", "sector_rotations",
                        "market_predictions", "market_decisions")
# A revised candle changes outcomes of signals up to this far before it (24 daily bars + slack).
REVISION_REACH = outcome_reach(1440)
MAX_EVENTS_PER_TICK = 5_000
HISTORY_DAYS = 30
# IRIS_LIVE=true starts the live chain with the code location; otherwise operators switch it on.
_LIVE_STATUS = dg.DefaultSensorStatus.RUNNING if get_settings().live else dg.DefaultSensorStatus.STOPPED
_LIVE_SCHEDULE = dg.DefaultScheduleStatus.RUNNING if get_settings().live else dg.DefaultScheduleStatus.STOPPED

live_candles_job = dg.define_asset_job(
    "live_candles_job", selection=dg.AssetSelection.assets("candles"),
    description="Fetch the newest closed candles of the configured source.",
    tags=group_tag("market_data"),
)
candle_analytics_job = dg.define_asset_job(
    "candle_analytics_job",
    selection=dg.AssetSelection.assets(*PER_COIN_ASSETS, *CROSS_SECTION_ASSETS),
    description="Every daily asset downstream of candles, for the partitions new candles touched.",
    tags=group_tag("indicators"),
)
history_backfill_job = dg.define_asset_job(
    "history_backfill_job",
    selection=dg.AssetSelection.assets("candles", *PER_COIN_ASSETS, *CROSS_SECTION_ASSETS),
    description="History of newly added coins, then everything derived from it.",
    tags=group_tag("market_data"),
)


def _scoped_config(symbols: list[str]) -> dict[str, object]:
    """Per-coin assets run for the touched symbols; cross-sectional ones need the whole universe."""
    ops: dict[str, object] = {name: {"config": {"symbols": symbols}} for name in _PER_COIN_OPS}
    ops.update({name: {"config": {"symbols": []}} for name in ("coin_relations", "market_leaders",
                                                               "market_predictions", "market_decisions")})
    return {"ops": ops}


@dg.schedule(job=live_candles_job, cron_schedule="* * * * *", execution_timezone="UTC",
             default_status=_LIVE_SCHEDULE,
             description="Every minute: store the candles that closed since the last poll.")
def live_candles_schedule(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest]:
    """One run per partition the poll covers; the run key makes a retried tick idempotent."""
    now = context.scheduled_execution_time or datetime.now(UTC)
    return [dg.RunRequest(run_key=f"live:{day.isoformat()}:{now:%Y%m%dT%H%M}", partition_key=day.isoformat())
            for day in live_days(now)]


def _sensor_run_requests(rows: list[Mapping[str, Any]], symbols_by_id: dict[int, str]) -> list[dg.RunRequest]:
    """One run per touched day, scoped to the symbols whose candle batch covered that day."""
    spans: list[tuple[str, datetime, datetime]] = []
    for row in rows:
        first_text = (row["payload"] or {}).get("first_timestamp")
        first = datetime.fromisoformat(first_text) if first_text else row["timestamp"]
        spans.append((symbols_by_id.get(int(row["coin_id"]), ""), first, row["timestamp"]))
    max_id = max(int(row["id"]) for row in rows)
    requests = []
    for day in affected_days((first, last) for _, first, last in spans):
        touched = sorted({symbol for symbol, first, last in spans if symbol and first.date() <= day <= last.date()})
        requests.append(dg.RunRequest(
            run_key=f"candles:{max_id}:{day.isoformat()}", partition_key=day.isoformat(),
            run_config=_scoped_config(touched), tags={"iris/trigger": "new_candles"}))
    return requests


@dg.sensor(job=candle_analytics_job, minimum_interval_seconds=5, default_status=_LIVE_STATUS,
           description="Runs the daily analytics for exactly the partitions and symbols new candles touched.")
def new_candles_sensor(context: dg.SensorEvaluationContext, database: DatabaseResource) -> dg.SensorResult:
    """Cursor = the last outbox id seen; a tick with nothing new is one indexed query.

    While an analytics run is still queued or running, the tick waits (cursor unchanged): the next
    run then covers every candle that arrived meanwhile instead of a queue of one run per candle.
    """
    busy = context.instance.get_runs(filters=dg.RunsFilter(
        job_name=candle_analytics_job.name,
        statuses=[dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
                  dg.DagsterRunStatus.STARTED]), limit=1)
    if busy:
        return dg.SensorResult(skip_reason=f"analytics run {busy[0].run_id[:8]} still in progress")
    cursor = int(context.cursor or 0)
    with database.read() as connection:
        rows: list[Mapping[str, Any]] = [dict(r) for r in connection.execute(
            select(event_outbox.c.id, event_outbox.c.event_type, event_outbox.c.coin_id, event_outbox.c.timestamp,
                   event_outbox.c.payload)
            .where(event_outbox.c.id > cursor, event_outbox.c.event_type.in_(("candle_closed", "candles_revised")))
            .order_by(event_outbox.c.id).limit(MAX_EVENTS_PER_TICK)).mappings()]
        if not rows:
            return dg.SensorResult(skip_reason="no new candles")
        symbols_by_id = dict(connection.execute(select(coins.c.id, coins.c.symbol)).all())
        revised = [r for r in rows if r["event_type"] == "candles_revised"]
        newest = connection.execute(select(func.max(candles_table.c.timestamp)).where(
            candles_table.c.coin_id.in_([int(r["coin_id"]) for r in revised]))).scalar() if revised else None
    closed = [r for r in rows if r["event_type"] == "candle_closed"]
    requests = _sensor_run_requests(closed, symbols_by_id) if closed else []
    if revised and newest is not None:
        requests.append(_revision_run_request(revised, symbols_by_id, newest))
    return dg.SensorResult(run_requests=requests, cursor=str(max(int(r["id"]) for r in rows)))


def _revision_run_request(rows: list[Mapping[str, Any]], symbols_by_id: dict[int, str], newest: datetime
                          ) -> dg.RunRequest:
    """One ranged run re-deriving everything a late or corrected candle can change: from the first
    revised day minus the outcome reach (signals whose horizons cover it) to the newest stored day."""
    first = min(datetime.fromisoformat(str((r["payload"] or {}).get("first_timestamp"))) for r in rows)
    start, end = (first - REVISION_REACH).date(), newest.astimezone(UTC).date()
    symbols = sorted({symbols_by_id.get(int(r["coin_id"]), "") for r in rows} - {""})
    config = _scoped_config(symbols)
    # Revised outcomes move the pooled success rates every coin's later decisions read.
    config["ops"]["investment_decisions"] = {"config": {"symbols": []}}  # type: ignore[index]
    return dg.RunRequest(
        run_key=f"revised:{max(int(r['id']) for r in rows)}", run_config=config,
        tags={"iris/trigger": "candles_revised", "dagster/asset_partition_range_start": start.isoformat(),
              "dagster/asset_partition_range_end": end.isoformat()})


@dg.sensor(job=history_backfill_job, minimum_interval_seconds=30, default_status=_LIVE_STATUS,
           description="Backfills the last 30 days for coins that were added and have no history yet.")
def new_coins_sensor(context: dg.SensorEvaluationContext, database: DatabaseResource) -> dg.SensorResult:
    """One ranged run for all new coins; the run key (symbols + day) keeps a tick idempotent."""
    with database.read() as connection:
        fresh = sorted(connection.execute(select(coins.c.symbol).where(
            coins.c.enabled, coins.c.deleted_at.is_(None), coins.c.history_backfill_completed_at.is_(None))).scalars())
    if not fresh:
        return dg.SensorResult(skip_reason="no coin without history")
    today = datetime.now(UTC).date()
    first = today - timedelta(days=HISTORY_DAYS)
    config = _scoped_config(fresh)
    config["ops"]["candles"] = {"config": {"symbols": fresh}}  # type: ignore[index]
    return dg.SensorResult(run_requests=[dg.RunRequest(
        run_key=f"history:{','.join(fresh)}:{today.isoformat()}", run_config=config,
        tags={"dagster/asset_partition_range_start": first.isoformat(),
              "dagster/asset_partition_range_end": today.isoformat(), "iris/trigger": "new_coins"})])
