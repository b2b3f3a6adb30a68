"""Classic indicator signals (reference 3.10) with explicit direction (DECISIONS.md 10), keyed on open time (4)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from iris_assets.indicators.classic_signals import SIGNAL_TYPES, detect_classic_signals
from iris_assets.indicators.features import add_bar_features

T0 = datetime(2024, 5, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)
# Neutral values under which nothing fires: no cross, no breakout, no spike, no RSI or MACD crossing.
NEUTRAL: dict[str, float | None] = {
    "close": 100.0,
    "volume": 100.0,
    "sma_50": 90.0,
    "sma_200": 100.0,
    "macd_histogram": 1.0,
    "rsi_14": 50.0,
    "range_high_20": 120.0,
    "range_low_20": 80.0,
    "average_volume_20": 100.0,
}
SCHEMA: dict[str, pl.DataType] = {
    "coin_id": pl.Int32(),
    "timestamp": pl.Datetime("us", "UTC"),
    **{name: pl.Float64() for name in NEUTRAL},
    "market_regime": pl.String(),
}
RESULT_SCHEMA: dict[str, pl.DataType] = {
    "coin_id": pl.Int32(),
    "timestamp": pl.Datetime("us", "UTC"),
    "signal_type": pl.String(),
    "direction": pl.String(),
    "confidence": pl.Float64(),
    "market_regime": pl.String(),
}


def rows(*overrides: Mapping[str, float | None], coin_id: int = 1, start: datetime = T0) -> pl.DataFrame:
    """Consecutive hourly bars of one coin: each bar is NEUTRAL updated with its overrides."""
    data = [
        {"coin_id": coin_id, "timestamp": start + i * HOUR, **NEUTRAL, **bar, "market_regime": "sideways_range"}
        for i, bar in enumerate(overrides)
    ]
    return pl.DataFrame(data, schema=SCHEMA)


def fired(frame: pl.DataFrame) -> list[tuple[str, str, float]]:
    """(signal_type, direction, confidence) of every firing, in output order."""
    return [
        (row["signal_type"], row["direction"], row["confidence"])
        for row in detect_classic_signals(frame).iter_rows(named=True)
    ]


def expected_frame(entries: Sequence[tuple[int, datetime, str, str, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "coin_id": c,
                "timestamp": t,
                "signal_type": s,
                "direction": d,
                "confidence": conf,
                "market_regime": "sideways_range",
            }
            for c, t, s, d, conf in entries
        ],
        schema=RESULT_SCHEMA,
    )


def test_neutral_bars_fire_nothing() -> None:
    assert fired(rows({}, {}, {})) == []


def test_signal_types_are_the_reference_eight() -> None:
    assert set(SIGNAL_TYPES) == {
        "golden_cross",
        "death_cross",
        "bullish_breakout",
        "bearish_breakdown",
        "trend_reversal",
        "volume_spike",
        "rsi_oversold",
        "rsi_overbought",
    }


@pytest.mark.parametrize(
    ("before", "now", "expected"),
    [
        ({"sma_50": 100.0, "sma_200": 100.0}, {"sma_50": 101.0}, ("golden_cross", "bullish", 0.92)),
        ({"sma_50": 99.0}, {"sma_50": 100.5}, ("golden_cross", "bullish", 0.92)),
        ({"sma_50": 100.0}, {"sma_50": 99.0}, ("death_cross", "bearish", 0.92)),
        ({"sma_50": 101.0}, {"sma_50": 99.5}, ("death_cross", "bearish", 0.92)),
        ({"close": 110.0}, {"close": 121.0, "volume": 151.0}, ("bullish_breakout", "bullish", 0.85)),
        ({"close": 90.0}, {"close": 79.0, "volume": 151.0}, ("bearish_breakdown", "bearish", 0.85)),
        ({"macd_histogram": -0.5}, {"macd_histogram": 0.5}, ("trend_reversal", "bullish", 0.74)),
        ({"macd_histogram": 0.0}, {"macd_histogram": 0.1}, ("trend_reversal", "bullish", 0.74)),
        ({"macd_histogram": 0.5}, {"macd_histogram": -0.5}, ("trend_reversal", "bearish", 0.74)),
        ({"macd_histogram": 0.0}, {"macd_histogram": -0.1}, ("trend_reversal", "bearish", 0.74)),
        ({"close": 99.0}, {"close": 101.0, "volume": 201.0}, ("volume_spike", "bullish", 0.70)),
        ({"close": 101.0}, {"close": 101.0, "volume": 201.0}, ("volume_spike", "bullish", 0.70)),
        ({"close": 101.0}, {"close": 99.0, "volume": 201.0}, ("volume_spike", "bearish", 0.70)),
        ({"rsi_14": 30.0}, {"rsi_14": 29.9}, ("rsi_oversold", "bullish", 0.68)),
        ({"rsi_14": 45.0}, {"rsi_14": 20.0}, ("rsi_oversold", "bullish", 0.68)),
        ({"rsi_14": 70.0}, {"rsi_14": 70.1}, ("rsi_overbought", "bearish", 0.68)),
        ({"rsi_14": 55.0}, {"rsi_14": 80.0}, ("rsi_overbought", "bearish", 0.68)),
    ],
)
def test_each_signal_fires_alone_with_its_direction_and_confidence(
    before: dict[str, float], now: dict[str, float], expected: tuple[str, str, float]
) -> None:
    result = detect_classic_signals(rows(before, now))

    assert result.select("signal_type", "direction", "confidence").rows() == [expected]
    assert result.get_column("timestamp").to_list() == [T0 + HOUR]


@pytest.mark.parametrize(
    ("before", "now"),
    [
        ({"sma_50": 99.0}, {"sma_50": 100.0}),  # touches sma_200 without crossing it
        ({"sma_50": 101.0}, {"sma_50": 102.0}),  # already above
        ({"sma_50": 101.0}, {"sma_50": 100.0}),  # falls back to sma_200 without crossing below
        ({"sma_50": 99.0}, {"sma_50": 98.0}),  # already below
        ({}, {"close": 120.0, "volume": 151.0}),  # at the range high, not above it
        ({}, {"close": 121.0, "volume": 150.0}),  # volume exactly 1.5 × average
        ({}, {"close": 80.0, "volume": 151.0}),  # at the range low
        ({}, {"close": 79.0, "volume": 150.0}),
        ({"macd_histogram": 0.5}, {"macd_histogram": 0.2}),
        ({"macd_histogram": -0.1}, {"macd_histogram": 0.0}),  # reaching zero is not a crossing
        ({"macd_histogram": -0.5}, {"macd_histogram": -0.2}),
        ({}, {"volume": 200.0}),  # exactly 2 × average
        ({"rsi_14": 29.0}, {"rsi_14": 28.0}),  # already oversold
        ({"rsi_14": 31.0}, {"rsi_14": 30.0}),  # reaches 30 without going below
        ({"rsi_14": 29.0}, {"rsi_14": 31.0}),  # the mirror: leaving oversold
        ({"rsi_14": 71.0}, {"rsi_14": 72.0}),  # already overbought
        ({"rsi_14": 69.0}, {"rsi_14": 70.0}),
        ({"rsi_14": 71.0}, {"rsi_14": 69.0}),  # the mirror: leaving overbought
    ],
)
def test_near_misses_and_mirrored_moves_fire_nothing(before: dict[str, float], now: dict[str, float]) -> None:
    assert fired(rows(before, now)) == []


def test_a_strong_breakout_also_counts_as_a_volume_spike() -> None:
    result = fired(rows({"close": 110.0}, {"close": 130.0, "volume": 250.0}))

    assert result == [("bullish_breakout", "bullish", 0.85), ("volume_spike", "bullish", 0.70)]


def test_signals_are_keyed_on_the_bars_open_times_with_coin_and_regime() -> None:
    frame = rows({}, {"sma_50": 101.0}, {}, {"rsi_14": 75.0}).with_columns(
        pl.Series("market_regime", ["a", "bull_trend", "c", "high_volatility"])
    )

    result = detect_classic_signals(frame)

    expected = pl.DataFrame(
        [
            {
                "coin_id": 1,
                "timestamp": T0 + HOUR,
                "signal_type": "golden_cross",
                "direction": "bullish",
                "confidence": 0.92,
                "market_regime": "bull_trend",
            },
            {
                "coin_id": 1,
                "timestamp": T0 + 2 * HOUR,
                "signal_type": "death_cross",
                "direction": "bearish",
                "confidence": 0.92,
                "market_regime": "c",
            },
            {
                "coin_id": 1,
                "timestamp": T0 + 3 * HOUR,
                "signal_type": "rsi_overbought",
                "direction": "bearish",
                "confidence": 0.68,
                "market_regime": "high_volatility",
            },
        ],
        schema=RESULT_SCHEMA,
    )
    assert_frame_equal(result, expected)


def test_the_first_bar_of_a_coin_never_fires_a_crossing() -> None:
    # On its own, this bar sits past every crossing threshold: only a previous bar could make it a crossing.
    first = {"sma_50": 110.0, "macd_histogram": 2.0, "rsi_14": 85.0}

    assert fired(rows(first)) == []
    assert fired(rows(first, {**first, "rsi_14": 20.0, "macd_histogram": -1.0})) == [
        ("rsi_oversold", "bullish", 0.68),
        ("trend_reversal", "bearish", 0.74),
    ]


def test_signals_never_cross_coins() -> None:
    coin_1 = rows({"sma_50": 90.0, "macd_histogram": -1.0, "rsi_14": 50.0, "close": 100.0}, coin_id=1)
    # Coin 2's first bar would be a golden cross, a MACD flip and an RSI crossing if compared with coin 1.
    coin_2 = rows(
        {"sma_50": 110.0, "macd_histogram": 1.0, "rsi_14": 75.0, "close": 50.0},
        {"sma_50": 90.0, "macd_histogram": 1.0, "rsi_14": 75.0, "close": 50.0},
        coin_id=2,
        start=T0 + HOUR,
    )

    result = detect_classic_signals(pl.concat([coin_1, coin_2]))

    assert_frame_equal(result, expected_frame([(2, T0 + 2 * HOUR, "death_cross", "bearish", 0.92)]))


def test_coins_are_independent_when_their_bars_interleave_in_time() -> None:
    coin_1 = rows({"rsi_14": 35.0}, {"rsi_14": 25.0}, coin_id=1)
    coin_2 = rows({"rsi_14": 65.0}, {"rsi_14": 75.0}, coin_id=2)

    result = detect_classic_signals(pl.concat([coin_1, coin_2]))

    expected = expected_frame(
        [
            (1, T0 + HOUR, "rsi_oversold", "bullish", 0.68),
            (2, T0 + HOUR, "rsi_overbought", "bearish", 0.68),
        ]
    )
    assert_frame_equal(result, expected)


def test_null_inputs_fire_nothing_and_raise_nothing() -> None:
    blank = dict.fromkeys(NEUTRAL)
    frame = rows(blank, blank, {**blank, "close": 100.0}, {"sma_50": 120.0})

    assert fired(frame) == []


def test_null_volume_counts_as_zero_and_fires_no_volume_signal() -> None:
    assert fired(rows({}, {"close": 130.0, "volume": None})) == []


def test_zero_volume_fires_no_breakout_or_spike() -> None:
    zero = {"volume": 0.0, "average_volume_20": 0.0}

    assert fired(rows(zero, {**zero, "close": 130.0})) == []
    assert fired(rows(zero, {**zero, "close": 70.0})) == []


def test_zero_volume_candles_through_the_feature_pipeline_fire_no_volume_signal() -> None:
    count = 30
    closes = [100.0] * (count - 1) + [150.0]  # the last close breaks far above the 20-bar range

    def candles(volume: float) -> pl.DataFrame:
        frame = pl.DataFrame(
            {
                "coin_id": [7] * count,
                "timestamp": [T0 + i * HOUR for i in range(count)],
                "open": closes,
                "high": [c + 1.0 for c in closes],
                "low": [c - 1.0 for c in closes],
                "close": closes,
                "volume": [volume] * (count - 1) + [volume * 10.0],
            },
            schema_overrides={"coin_id": pl.Int32, "timestamp": pl.Datetime("us", "UTC")},
        )
        indicators = (
            "ema_20",
            "ema_50",
            "ema_200",
            "sma_50",
            "sma_200",
            "rsi_14",
            "macd_histogram",
            "atr_14",
            "bb_width",
            "adx_14",
        )
        return frame.with_columns(pl.lit(None, dtype=pl.Float64).alias(name) for name in indicators)

    silent = detect_classic_signals(add_bar_features(candles(0.0), 60))
    loud = detect_classic_signals(add_bar_features(candles(1.0), 60))

    assert silent.is_empty()
    assert loud.select("timestamp", "signal_type").rows() == [
        (T0 + (count - 1) * HOUR, "bullish_breakout"),
        (T0 + (count - 1) * HOUR, "volume_spike"),
    ]


def test_an_empty_result_keeps_the_output_schema() -> None:
    result = detect_classic_signals(rows({}, {}))

    assert result.schema == pl.Schema(RESULT_SCHEMA)
