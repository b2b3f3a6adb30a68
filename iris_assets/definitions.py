"""The IRIS code location: every asset, check, job, schedule and sensor, and their resources."""

from __future__ import annotations

from datetime import timedelta

import dagster as dg

from iris_assets.anomalies.assets.anomalies import market_anomalies
from iris_assets.cross_market.assets.leaders import market_leaders
from iris_assets.cross_market.assets.relations import coin_relations
from iris_assets.executor import range_parallel_executor
from iris_assets.indicators.assets.indicators import indicators
from iris_assets.indicators.assets.metrics import coin_metrics
from iris_assets.indicators.assets.projections import market_flow, market_radar
from iris_assets.indicators.assets.snapshots import feature_snapshots
from iris_assets.market_data.assets.aggregates import candle_aggregates
from iris_assets.market_data.assets.candles import candles
from iris_assets.market_data.assets.universe import coins
from iris_assets.patterns.assets.detections import pattern_signals
from iris_assets.patterns.assets.narratives import sector_narratives
from iris_assets.patterns.assets.registry import pattern_registry, pattern_statistics, signal_outcomes
from iris_assets.portfolio.assets.balances import portfolio_balances
from iris_assets.portfolio.assets.paper import portfolio
from iris_assets.predictions.assets.outcomes import prediction_outcomes, prediction_quality
from iris_assets.predictions.assets.predictions import market_predictions
from iris_assets.predictions.assets.schedules import prediction_evaluation_job, prediction_evaluation_schedule
from iris_assets.resources import build_resources
from iris_assets.run_tags import group_tag
from iris_assets.runtime.live import (
    candle_analytics_job,
    history_backfill_job,
    live_candles_job,
    live_candles_schedule,
    new_candles_sensor,
    new_coins_sensor,
)
from iris_assets.runtime.outbox_sensor import outbox_relay_sensor
from iris_assets.signals.assets.decisions import investment_decisions
from iris_assets.signals.assets.fusion import market_decisions
from iris_assets.signals.assets.research import signal_backtests, strategies
from iris_resources.orchestration.instance import batch_event_writes
from iris_resources.settings import get_settings

# A range run records a materialization per partition and asset: stored in batches (see there).
batch_event_writes()

ALL_ASSETS = [
    coins, candles, candle_aggregates,
    pattern_registry, indicators, pattern_signals, signal_outcomes, feature_snapshots, market_anomalies,
    coin_relations, market_leaders, market_predictions, investment_decisions, market_decisions,
    coin_metrics, market_radar, market_flow, prediction_outcomes, prediction_quality, pattern_statistics,
    sector_narratives, signal_backtests, strategies, portfolio, portfolio_balances,
]

# Exchange balances are polled like the reference's 5-minute sync; the job runs only when enabled.
portfolio_sync_job = dg.define_asset_job("portfolio_sync_job", selection=["portfolio_balances"],
                                         tags=group_tag("portfolio"))
portfolio_sync_schedule = dg.ScheduleDefinition(
    job=portfolio_sync_job, cron_schedule="*/5 * * * *",
    default_status=dg.DefaultScheduleStatus.RUNNING if get_settings().live else dg.DefaultScheduleStatus.STOPPED,
    description="Syncs exchange account balances (and auto-watch) every five minutes.")

# The latest-state products follow their daily inputs through declarative automation.
LATEST_STATE = ("coin_metrics", "market_radar", "market_flow", "prediction_outcomes", "prediction_quality",
                "pattern_statistics", "sector_narratives", "signal_backtests", "strategies",
                "portfolio_actions", "portfolio_positions", "portfolio_state", "portfolio_equity")
latest_state_automation = dg.AutomationConditionSensorDefinition(
    "latest_state_automation",
    target=dg.AssetSelection.assets(*LATEST_STATE),
    minimum_interval_seconds=10,
    default_status=dg.DefaultSensorStatus.RUNNING if get_settings().live else dg.DefaultSensorStatus.STOPPED,
    description="Refreshes coin metrics, radar/flow and prediction outcomes after their inputs change.",
)

# Freshness shown in the UI: the live chain must keep candles and what they feed recent.
_FRESHNESS = {
    "candles": dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=2), warn_window=timedelta(minutes=30)),
    "indicators": dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=2), warn_window=timedelta(minutes=30)),
    "coin_metrics": dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=3), warn_window=timedelta(hours=1)),
    "market_anomalies": dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=3)),
    "coin_relations": dg.FreshnessPolicy.time_window(fail_window=timedelta(days=2)),
}


def _with_freshness(spec: dg.AssetSpec) -> dg.AssetSpec:
    policy = _FRESHNESS.get(spec.key.to_user_string())
    return spec.replace_attributes(freshness_policy=policy) if policy else spec


# Live runs are short SQL-bound chains: in process (a spawn per step measured 30 s against 4.6 s).
# A backfill range fans its independent steps out over processes (iris_assets/executor.py).
defs = dg.Definitions(
    assets=ALL_ASSETS,
    sensors=[outbox_relay_sensor, new_candles_sensor, new_coins_sensor, latest_state_automation],
    jobs=[portfolio_sync_job, prediction_evaluation_job, live_candles_job, candle_analytics_job, history_backfill_job],
    schedules=[portfolio_sync_schedule, prediction_evaluation_schedule, live_candles_schedule],
    resources=build_resources(),
    executor=range_parallel_executor,
).map_resolved_asset_specs(func=_with_freshness)
