"""Coin metrics (reference 3.5–3.7 with DECISIONS.md 7): primary timeframe, coin-level values, activity."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from iris_assets.indicators.metrics import (
    COMPLETENESS,
    SNAPSHOT,
    activity_bucket,
    coin_metrics_rows,
    price_change_pct,
)

T0 = datetime(2024, 6, 1, tzinfo=UTC)
COIN_LEVEL = (
    "price_change_24h_pct",
    "price_change_7d_pct",
    "volume_24h",
    "volume_change_24h_pct",
    "volatility",
    "volatility_annualized",
)
LATEST_SCHEMA: dict[str, pl.DataType] = {
    "coin_id": pl.Int32(),
    "timeframe": pl.Int16(),
    "timestamp": pl.Datetime("us", "UTC"),
    "close": pl.Float64(),
    **{name: pl.Float64() for name in (*SNAPSHOT, "ema_200", *COIN_LEVEL)},
    "trend": pl.String(),
    "trend_score": pl.Int16(),
    "market_regime": pl.String(),
    "regime_confidence": pl.Float64(),
}


def latest_row(coin_id: int, timeframe: int, *, filled: int = 0, **values: object) -> dict[str, object]:
    """A latest-indicator row with the first ``filled`` completeness columns set (to 1.0) plus ``values``."""
    row: dict[str, object] = dict.fromkeys(LATEST_SCHEMA)
    row.update(dict.fromkeys(COMPLETENESS[:filled], 1.0))
    row.update(
        coin_id=coin_id,
        timeframe=timeframe,
        timestamp=T0 - timedelta(minutes=timeframe),
        close=100.0,
        trend="sideways",
        trend_score=50,
        market_regime=f"regime_{timeframe}",
        regime_confidence=0.65,
    )
    row.update(values)
    return row


def latest(*rows: Mapping[str, object]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=LATEST_SCHEMA)


def coins(bases: Mapping[int, int]) -> pl.DataFrame:
    return pl.DataFrame(
        {"symbol": [f"C{c}" for c in bases], "coin_id": list(bases), "timeframe": list(bases.values())},
        schema={"symbol": pl.String, "coin_id": pl.Int32, "timeframe": pl.Int16},
    )


def changes_1h(values: Mapping[int, float | None]) -> pl.DataFrame:
    return pl.DataFrame(
        {"coin_id": list(values), "price_change_1h_pct": list(values.values())},
        schema={"coin_id": pl.Int32, "price_change_1h_pct": pl.Float64},
    )


NO_1H = changes_1h({})


def single_coin_metrics(base: int = 60, **values: object) -> dict[str, object]:
    """The one row of a coin that only has its base timeframe."""
    row = latest_row(1, base)
    row.update(values)
    result = coin_metrics_rows(latest(row), coins({1: base}), NO_1H)
    assert result.height == 1
    return result.row(0, named=True)


# --- primary snapshot (reference 3.5) -------------------------------------------------------------------


def test_the_primary_is_the_most_complete_timeframe() -> None:
    frame = latest(
        latest_row(1, 15, filled=11),
        latest_row(1, 60, filled=9),
        latest_row(1, 240, filled=10),
        latest_row(1, 1440, filled=3),
    )

    result = coin_metrics_rows(frame, coins({1: 15}), NO_1H)

    assert result.select("timeframe", "completeness", "is_primary").rows() == [
        (15, 11, True),
        (60, 9, False),
        (240, 10, False),
        (1440, 3, False),
    ]


def test_completeness_ties_go_to_the_larger_timeframe() -> None:
    frame = latest(
        latest_row(1, 15, filled=11),
        latest_row(1, 60, filled=11),
        latest_row(1, 240, filled=11),
        latest_row(1, 1440, filled=4),
        latest_row(2, 15, filled=5),
        latest_row(2, 60, filled=5),
    )

    result = coin_metrics_rows(frame, coins({1: 15, 2: 15}), NO_1H)

    primaries = result.filter("is_primary").select("coin_id", "timeframe").rows()
    assert primaries == [(1, 240), (2, 60)]


def test_completeness_counts_the_eleven_reference_columns_only() -> None:
    frame = latest(latest_row(1, 60, filled=11, bb_upper=1.0, bb_middle=1.0, bb_lower=1.0, ema_200=1.0))

    result = coin_metrics_rows(frame, coins({1: 60}), NO_1H)

    assert len(COMPLETENESS) == 11
    assert result.get_column("completeness").to_list() == [11]
    assert result.schema["completeness"] == pl.Int16


# --- coin-level values from the base timeframe ------------------------------------------------------------


def test_coin_level_values_come_from_the_base_timeframes_row() -> None:
    base = latest_row(
        1,
        15,
        filled=2,
        close=101.0,
        price_change_24h_pct=2.0,
        price_change_7d_pct=-3.0,
        volume_24h=5000.0,
        volume_change_24h_pct=12.0,
        volatility=0.004,
        volatility_annualized=0.75,
        rsi_14=44.0,
    )
    hourly = latest_row(
        1,
        60,
        filled=11,
        close=999.0,
        price_change_24h_pct=90.0,
        price_change_7d_pct=90.0,
        volume_24h=1.0,
        volume_change_24h_pct=-90.0,
        volatility=0.9,
        volatility_annualized=9.0,
        rsi_14=66.0,
        trend="bullish",
        trend_score=80,
        market_regime="bull_trend",
    )

    result = coin_metrics_rows(latest(base, hourly), coins({1: 15}), changes_1h({1: 0.5}))

    coin_level = result.select("price_current", "price_change_1h_pct", *COIN_LEVEL)
    expected = pl.DataFrame(
        {
            "price_current": [101.0] * 2,
            "price_change_1h_pct": [0.5] * 2,
            "price_change_24h_pct": [2.0] * 2,
            "price_change_7d_pct": [-3.0] * 2,
            "volume_24h": [5000.0] * 2,
            "volume_change_24h_pct": [12.0] * 2,
            "volatility": [0.004] * 2,
            "volatility_annualized": [0.75] * 2,
        },
    )
    assert_frame_equal(coin_level, expected)
    # Each timeframe keeps its own indicators, trend and regime.
    assert result.select("timeframe", "rsi_14", "trend", "trend_score", "market_regime").rows() == [
        (15, 44.0, "sideways", 50, "regime_15"),
        (60, 66.0, "bullish", 80, "bull_trend"),
    ]
    assert result.get_column("candle_timestamp").to_list() == [T0 - timedelta(minutes=15), T0 - timedelta(hours=1)]


def test_a_coin_missing_from_the_1h_changes_gets_a_null_1h_change() -> None:
    frame = latest(latest_row(1, 60), latest_row(2, 60))

    result = coin_metrics_rows(frame, coins({1: 60, 2: 60}), changes_1h({2: -1.5}))

    assert result.select("coin_id", "price_change_1h_pct").rows() == [(1, None), (2, -1.5)]


def test_coins_never_borrow_each_others_base_values() -> None:
    frame = latest(
        latest_row(1, 15, close=10.0),
        latest_row(1, 60, close=11.0),
        latest_row(2, 60, close=20.0),
        latest_row(2, 240, close=21.0),
    )

    result = coin_metrics_rows(frame, coins({1: 15, 2: 60}), NO_1H)

    assert result.select("coin_id", "timeframe", "price_current").rows() == [
        (1, 15, 10.0),
        (1, 60, 10.0),
        (2, 60, 20.0),
        (2, 240, 20.0),
    ]


def test_a_coin_without_a_base_timeframe_row_still_gets_metrics() -> None:
    frame = latest(
        latest_row(1, 60, filled=11, close=50.0),
        latest_row(1, 240, filled=11, close=51.0),
        latest_row(1, 1440, filled=4, close=52.0),
    )

    result = coin_metrics_rows(frame, coins({1: 5}), NO_1H)

    # The finest computed timeframe stands in for the missing base row: its close is the newest price.
    assert result.filter("is_primary").select("timeframe", "price_current").rows() == [(240, 50.0)]
    assert result.height == 3


# --- activity score, bucket and priority ------------------------------------------------------------------


def test_the_activity_score_sums_the_24h_change_daily_volatility_and_volume_change() -> None:
    result = single_coin_metrics(60, price_change_24h_pct=-3.0, volatility=0.01, volume_change_24h_pct=-20.0)

    daily_volatility_pct = 0.01 * math.sqrt(24) * 100.0
    assert result["activity_score"] == round(3.0 + daily_volatility_pct + 20.0, 4)
    assert result["activity_score"] == pytest.approx(27.899, abs=1e-4)
    assert (result["activity_bucket"], result["analysis_priority"]) == ("COLD", 30)


@pytest.mark.parametrize(("base", "bars_per_day"), [(15, 96), (60, 24), (240, 6), (1440, 1)])
def test_volatility_is_scaled_to_a_daily_percent_for_the_base_timeframe(base: int, bars_per_day: int) -> None:
    result = single_coin_metrics(base, volatility=0.02)

    assert result["activity_score"] == pytest.approx(round(0.02 * math.sqrt(bars_per_day) * 100.0, 4), abs=1e-9)


def test_missing_activity_inputs_count_as_zero() -> None:
    result = single_coin_metrics(60)

    assert (result["activity_score"], result["activity_bucket"], result["analysis_priority"]) == (0.0, "DEAD", 5)


def test_the_activity_score_is_rounded_to_four_decimals() -> None:
    result = single_coin_metrics(60, price_change_24h_pct=1.234567)

    assert result["activity_score"] == 1.2346


@pytest.mark.parametrize(
    ("score", "bucket", "priority"),
    [
        (100.0, "HOT", 100),
        (70.0001, "HOT", 100),
        (70.0, "WARM", 70),
        (40.0, "WARM", 70),
        (39.9999, "COLD", 30),
        (15.0, "COLD", 30),
        (14.99, "DEAD", 5),
        (0.0, "DEAD", 5),
    ],
)
def test_bucket_thresholds_and_priorities_at_their_boundaries(score: float, bucket: str, priority: int) -> None:
    # A flat coin whose only activity is its 24h change: the score equals |change|, whatever its sign.
    for change in (score, -score):
        result = single_coin_metrics(60, price_change_24h_pct=change, volatility=0.0, volume_change_24h_pct=0.0)
        assert (result["activity_score"], result["activity_bucket"], result["analysis_priority"]) == (
            score,
            bucket,
            priority,
        )


def test_activity_bucket_as_an_expression() -> None:
    scores = pl.DataFrame({"score": [70.01, 70.0, 40.0, 39.99, 15.0, 14.99, None]})

    result = scores.select(activity_bucket(pl.col("score"))).to_series().to_list()

    assert result == ["HOT", "WARM", "WARM", "COLD", "COLD", "DEAD", "DEAD"]


def test_analysis_priority_is_a_small_integer() -> None:
    result = coin_metrics_rows(latest(latest_row(1, 60)), coins({1: 60}), NO_1H)

    assert result.schema["analysis_priority"] == pl.Int16
    assert result.schema["is_primary"] == pl.Boolean


# --- price_change_pct ----------------------------------------------------------------------------------


def closes(*points: tuple[int, float, float], start: datetime = T0) -> pl.DataFrame:
    """(coin_id, minutes after start, close) points."""
    return pl.DataFrame(
        {
            "coin_id": [p[0] for p in points],
            "timestamp": [start + timedelta(minutes=p[1]) for p in points],
            "close": [p[2] for p in points],
        },
        schema={"coin_id": pl.Int32, "timestamp": pl.Datetime("us", "UTC"), "close": pl.Float64},
    )


def as_dict(frame: pl.DataFrame) -> dict[int, float | None]:
    return dict(frame.select("coin_id", "change").rows())


def test_price_change_pct_compares_the_newest_close_with_the_one_an_hour_earlier() -> None:
    frame = closes((1, 0, 80.0), (1, 15, 81.0), (1, 60, 84.0))

    assert as_dict(price_change_pct(frame, 60)) == {1: pytest.approx(5.0)}


def test_price_change_pct_uses_the_newest_close_at_or_before_the_target_across_a_gap() -> None:
    # Newest bar at 120; the target is 60; the bars at 90 and 120 are too recent, so the 30-minute bar is used.
    frame = closes((1, 0, 10.0), (1, 30, 50.0), (1, 90, 70.0), (1, 120, 60.0))

    assert as_dict(price_change_pct(frame, 60)) == {1: pytest.approx(20.0)}


def test_price_change_pct_handles_unsorted_input_and_several_coins() -> None:
    frame = closes((2, 60, 30.0), (1, 60, 99.0), (2, 0, 40.0), (1, 0, 110.0), (3, 45, 5.0), (3, 50, 6.0))

    result = as_dict(price_change_pct(frame, 60))

    assert result == {1: pytest.approx(-10.0), 2: pytest.approx(-25.0), 3: None}


def test_price_change_pct_is_null_when_the_past_close_is_zero() -> None:
    frame = closes((1, 0, 0.0), (1, 60, 5.0))

    assert as_dict(price_change_pct(frame, 60)) == {1: None}
