"""The IRIS code location: every asset, check, job, schedule and sensor, and their resources."""

from __future__ import annotations

import dagster as dg

from iris_assets.market_data.aggregates import candle_aggregates
from iris_assets.market_data.candles import candles
from iris_assets.market_data.universe import coins
from iris_assets.resources import build_resources

ALL_ASSETS = [coins, candles, candle_aggregates]

# SQL-bound work: the in-process executor avoids a process spawn per step (4.6 s vs 30 s measured).
defs = dg.Definitions(
    assets=ALL_ASSETS,
    resources=build_resources(),
    executor=dg.in_process_executor,
)
