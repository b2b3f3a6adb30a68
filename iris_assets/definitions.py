"""The IRIS code location: every asset, check, job, schedule and sensor, and their resources."""

from __future__ import annotations

import dagster as dg

from iris_assets.anomalies.assets.anomalies import market_anomalies
from iris_assets.cross_market.assets.leaders import market_leaders
from iris_assets.cross_market.assets.relations import coin_relations
from iris_assets.indicators.assets.indicators import indicators
from iris_assets.indicators.assets.metrics import coin_metrics
from iris_assets.indicators.assets.projections import market_flow, market_radar
from iris_assets.indicators.assets.snapshots import feature_snapshots
from iris_assets.market_data.assets.aggregates import candle_aggregates
from iris_assets.market_data.assets.candles import candles
from iris_assets.market_data.assets.universe import coins
from iris_assets.predictions.assets.outcomes import prediction_outcomes, prediction_quality
from iris_assets.predictions.assets.predictions import market_predictions
from iris_assets.resources import build_resources
from iris_assets.runtime.outbox_sensor import outbox_relay_sensor

ALL_ASSETS = [
    coins, candles, candle_aggregates,
    indicators, feature_snapshots, market_anomalies, coin_relations, market_leaders, market_predictions,
    coin_metrics, market_radar, market_flow, prediction_outcomes, prediction_quality,
]

# SQL-bound work: the in-process executor avoids a process spawn per step (4.6 s vs 30 s measured).
defs = dg.Definitions(
    assets=ALL_ASSETS,
    sensors=[outbox_relay_sensor],
    resources=build_resources(),
    executor=dg.in_process_executor,
)
