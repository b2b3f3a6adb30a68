"""Signal outcomes at bar and clock horizons, hand-computed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from iris_assets.patterns.statistics import pattern_statistics
from iris_assets.signals.outcomes import evaluate_outcomes

T0 = datetime(2024, 3, 1, tzinfo=UTC)


def _bars(closes: list[float], minutes: int = 60) -> pl.DataFrame:
    return pl.DataFrame({
        "coin_id": [1] * len(closes),
        "timestamp": [T0 + timedelta(minutes=minutes * i) for i in range(len(closes))],
        "high": [c + 1 for c in closes], "low": [c - 1 for c in closes], "close": closes,
    }, schema_overrides={"coin_id": pl.Int32, "timestamp": pl.Datetime("us", "UTC")})


def _signal(index: int, direction: str, minutes: int = 60) -> pl.DataFrame:
    return pl.DataFrame({"coin_id": [1], "timestamp": [T0 + timedelta(minutes=minutes * index)],
                         "signal_type": ["pattern_x"], "direction": [direction]},
                        schema_overrides={"coin_id": pl.Int32, "timestamp": pl.Datetime("us", "UTC")})


def test_a_long_signal_earns_the_move_from_its_candles_close_to_the_horizons_close() -> None:
    closes = [100.0 + i for i in range(100)]
    result = evaluate_outcomes(_signal(0, "bullish"), _bars(closes), 60).row(0, named=True)
    assert result["entry_price"] == 100.0
    assert result["return_4b"] == pytest.approx(0.04)
    # 24h on 1h bars: the first candle closing at or after t + 24h opens at t + 23h
    assert result["return_24h"] == pytest.approx(0.23)
    assert result["result_return"] == pytest.approx(0.71)  # 72h
    assert result["mae_4b"] == pytest.approx((100.0 - 100.0) / 100.0)  # lowest low after entry: 101 - 1


def test_a_short_signal_is_signed_against_the_move_and_its_adverse_excursion_is_negative() -> None:
    closes = [100.0 + i for i in range(30)]
    result = evaluate_outcomes(_signal(0, "bearish"), _bars(closes), 60).row(0, named=True)
    assert result["return_4b"] == pytest.approx(-0.04)
    assert result["mae_4b"] == pytest.approx((100.0 - 105.0) / 100.0)  # highest high 104 + 1


def test_horizons_beyond_the_data_stay_null_until_later_candles_arrive() -> None:
    result = evaluate_outcomes(_signal(0, "bullish"), _bars([100.0] * 10), 60).row(0, named=True)
    assert result["return_4b"] == 0.0
    assert result["return_24b"] is None and result["return_72h"] is None and result["result_return"] is None


def test_statistics_compute_rates_and_temperature_per_scope() -> None:
    outcomes = pl.DataFrame({
        "slug": ["a"] * 4, "timeframe": [60] * 4, "regime": ["bull_trend", "bull_trend", None, None],
        "coin_id": [1, 1, 1, 1], "candle_timestamp": [T0 + timedelta(hours=i) for i in range(4)],
        "result_return": [0.1, -0.05, 0.2, 0.0], "result_drawdown": [-0.01, -0.02, -0.03, -0.04],
    })
    stats = pattern_statistics(outcomes, T0 + timedelta(hours=3))
    everything = stats.filter(pl.col("regime") == "all").row(0, named=True)
    assert (everything["total_signals"], everything["successful_signals"]) == (4, 2)
    assert everything["success_rate"] == 0.5 and everything["temperature"] == 0.0
    bull = stats.filter(pl.col("regime") == "bull_trend").row(0, named=True)
    assert bull["success_rate"] == 0.5 and bull["avg_return"] == pytest.approx(0.025)


def test_signals_of_one_bar_and_side_share_one_trade_and_keep_their_own_columns_and_order() -> None:
    closes = [100.0, 104.0, 98.0, 103.0, 110.0, 101.0, 99.0]
    signals = pl.DataFrame({
        "coin_id": [1, 1, 1, 1],
        "timestamp": [T0 + timedelta(hours=1), T0, T0 + timedelta(hours=1), T0 + timedelta(hours=1)],
        "signal_type": ["pattern_b", "pattern_a", "pattern_c", "pattern_d"],
        "direction": ["bullish", "bullish", "bearish", "bullish"],
        "market_regime": ["ranging", None, "ranging", "trending"],
    }, schema_overrides={"coin_id": pl.Int32, "timestamp": pl.Datetime("us", "UTC")})
    result = evaluate_outcomes(signals, _bars(closes), 60)
    # Every input row once, in input order, with its own columns.
    assert result.select("signal_type", "market_regime").rows() == [
        ("pattern_b", "ranging"), ("pattern_a", None), ("pattern_c", "ranging"), ("pattern_d", "trending")]
    by_type = {row["signal_type"]: row for row in result.iter_rows(named=True)}
    assert by_type["pattern_b"]["return_4b"] == pytest.approx((101.0 - 104.0) / 104.0)
    assert by_type["pattern_b"]["return_4b"] == by_type["pattern_d"]["return_4b"]
    assert by_type["pattern_c"]["return_4b"] == pytest.approx(-by_type["pattern_b"]["return_4b"])
    assert by_type["pattern_a"]["return_4b"] == pytest.approx((110.0 - 100.0) / 100.0)
    # Each row equals evaluating its signal alone.
    for row in signals.iter_rows(named=True):
        alone = evaluate_outcomes(pl.DataFrame([row], schema=signals.schema), _bars(closes), 60).row(0, named=True)
        assert by_type[row["signal_type"]] == alone


def test_each_coin_is_scored_on_its_own_candles_and_a_coin_without_candles_gets_no_outcome() -> None:
    own = _bars([100.0, 110.0, 120.0, 130.0, 140.0, 150.0])
    other = _bars([50.0, 40.0, 30.0, 20.0, 10.0, 5.0]).with_columns(pl.lit(2, dtype=pl.Int32).alias("coin_id"))
    signals = pl.concat([_signal(0, "bullish").with_columns(pl.lit(coin, dtype=pl.Int32).alias("coin_id"))
                         for coin in (1, 2, 3)])
    result = evaluate_outcomes(signals, pl.concat([own, other]), 60)
    returns = dict(zip(result.get_column("coin_id").to_list(), result.get_column("return_4b").to_list(), strict=True))
    assert returns[1] == pytest.approx((140.0 - 100.0) / 100.0)
    assert returns[2] == pytest.approx((10.0 - 50.0) / 50.0)
    assert returns[3] is None
