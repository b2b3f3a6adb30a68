"""Indicator-domain assets materialized in-process against a real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import dagster as dg
import numpy as np
import polars as pl
import talib
from sqlalchemy import Engine, text

from iris_assets.definitions import ALL_ASSETS
from iris_assets.indicators.engine import compute_indicators
from iris_resources.db.resources import TransactionResource
from iris_resources.indicators.queries import IndicatorQueries
from iris_resources.market_data.queries import MarketDataQueries

QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
BY_NAME = {key.to_user_string(): a for a in ALL_ASSETS for key in a.keys}
MARKET = [BY_NAME["candles"], BY_NAME["candle_aggregates"]]
INDICATOR_ASSETS = [BY_NAME["indicators"], BY_NAME["feature_snapshots"]]


def _range(instance: dg.DagsterInstance, resources: dict[str, Any], assets: list[dg.AssetsDefinition],
           first: str, last: str) -> dg.ExecuteInProcessResult:
    return dg.materialize(assets, resources=resources, instance=instance, run_config=QUIET, tags={
        "dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last})


def _load_market(instance: dg.DagsterInstance, resources: dict[str, Any], first: str, last: str) -> None:
    dg.materialize([BY_NAME["coins"]], resources=resources, instance=instance, run_config=QUIET)
    assert _range(instance, resources, MARKET, first, last).success


def _stored(engine: Engine, table: str, order: str) -> pl.DataFrame:
    with engine.connect() as connection:
        result = connection.execute(text(f"SELECT * FROM {table} ORDER BY {order}"))
        return pl.DataFrame([tuple(r) for r in result], schema=list(result.keys()), orient="row",
                            infer_schema_length=None)


def test_a_range_computed_at_once_equals_the_same_days_computed_one_by_one(
    instance: dg.DagsterInstance, resources: dict[str, Any], engine: Engine
) -> None:
    _load_market(instance, resources, "2024-02-20", "2024-02-25")
    assert _range(instance, resources, INDICATOR_ASSETS, "2024-02-23", "2024-02-25").success
    whole = {t: _stored(engine, t, "1, 2, 3") for t in ("indicators", "regime_changes", "feature_snapshots")}
    whole_signals = _stored(engine, "signals", "coin_id, timeframe, candle_timestamp, signal_type").drop(
        "id", "created_at")
    with engine.begin() as connection:
        connection.execute(text("TRUNCATE indicators, regime_changes, feature_snapshots, signals"))
    for day in ("2024-02-25", "2024-02-23", "2024-02-24"):  # out of order on purpose
        assert _range(instance, resources, INDICATOR_ASSETS, day, day).success
    for table, frame in whole.items():
        assert frame.height > 0
        assert _stored(engine, table, "1, 2, 3").equals(frame), table
    signals = _stored(engine, "signals", "coin_id, timeframe, candle_timestamp, signal_type").drop("id", "created_at")
    assert signals.height > 0 and signals.equals(whole_signals)


def test_stored_indicators_equal_ta_lib_over_the_full_history(
    instance: dg.DagsterInstance, resources: dict[str, Any], transaction: TransactionResource
) -> None:
    _load_market(instance, resources, "2024-02-01", "2024-02-10")
    assert _range(instance, resources, [BY_NAME["indicators"]], "2024-02-10", "2024-02-10").success
    with transaction.begin() as uow:
        coins = MarketDataQueries(uow.connection).coin_frame()
        coin_id = int(coins.get_column("coin_id")[0])
        history = MarketDataQueries(uow.connection).candles_frame(
            [coin_id], 15, datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 2, 11, tzinfo=UTC))
        stored = IndicatorQueries(uow.connection).indicator_frame(
            [coin_id], 15, datetime(2024, 2, 10, tzinfo=UTC), datetime(2024, 2, 11, tzinfo=UTC))
    close = history.get_column("close").to_numpy()
    high, low = history.get_column("high").to_numpy(), history.get_column("low").to_numpy()
    volume = history.get_column("volume").to_numpy()
    tail = slice(len(close) - stored.height, None)
    expected = {
        "ema_200": talib.EMA(close, 200)[tail], "rsi_14": talib.RSI(close, 14)[tail],
        "atr_14": talib.ATR(high, low, close, 14)[tail], "obv": talib.OBV(close, volume)[tail],
        "macd": talib.MACD(close, 12, 26, 9)[0][tail],
    }
    for name, values in expected.items():
        got = stored.get_column(name).to_numpy()
        assert np.allclose(got, values, rtol=1e-9, atol=0), name
    engine_view = compute_indicators(history.select("timestamp", "open", "high", "low", "close", "volume"))
    assert np.allclose(stored.get_column("sma_200").to_numpy(), engine_view.get_column("sma_200").to_numpy()[tail])


def test_checks_metrics_and_projections_are_produced(
    instance: dg.DagsterInstance, resources: dict[str, Any], engine: Engine
) -> None:
    _load_market(instance, resources, "2024-02-01", "2024-02-12")
    result = _range(instance, resources, INDICATOR_ASSETS, "2024-02-01", "2024-02-12")
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert checks["value_ranges"].passed and checks["freshness"].passed
    assert checks["warmup_nulls"].severity == dg.AssetCheckSeverity.WARN
    latest = dg.materialize([BY_NAME[n] for n in ("coin_metrics", "market_radar", "market_flow")],
                            resources=resources, instance=instance, run_config=QUIET)
    assert latest.success
    metrics = _stored(engine, "coin_metrics", "coin_id, timeframe")
    assert metrics.height == 6 * 4
    assert metrics.group_by("coin_id").agg(pl.col("is_primary").sum()).get_column("is_primary").to_list() == [1] * 6
    changes = metrics.get_column("price_change_24h_pct").drop_nulls()
    assert changes.len() == 24 and changes.abs().max() < 50  # percent, not price units
    with engine.connect() as connection:
        names = connection.execute(text("SELECT name FROM projections ORDER BY name")).scalars().all()
        radar = connection.execute(text("SELECT payload FROM projections WHERE name = 'market_radar'")).scalar_one()
    assert names == ["market_flow", "market_radar"]
    assert set(radar) == {"hot_coins", "emerging_coins", "regime_changes", "volatility_spikes"}
    assert radar["regime_changes"] and radar["regime_changes"][0]["symbol"] != "UNKNOWN"
