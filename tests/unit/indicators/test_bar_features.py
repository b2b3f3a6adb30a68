"""Per-bar features (``add_bar_features``): percent changes, volume, volatility, ranges, trend and regime.

Frames are built by hand with the indicator columns given directly, so each rule of reference
3.4–3.8 (with DECISIONS.md 7's percent units and log-return volatility) is checked in isolation.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from iris_assets.indicators.features import add_bar_features

T0 = datetime(2024, 1, 1, tzinfo=UTC)
INDICATORS = (
    "ema_20",
    "ema_50",
    "ema_200",
    "sma_50",
    "sma_200",
    "rsi_14",
    "macd",
    "macd_signal",
    "macd_histogram",
    "atr_14",
    "bb_upper",
    "bb_middle",
    "bb_lower",
    "bb_width",
    "adx_14",
)
FEATURES = (
    "price_change_24h_pct",
    "price_change_7d_pct",
    "volume_24h",
    "volume_change_24h_pct",
    "volatility",
    "volatility_annualized",
    "range_high_20",
    "range_low_20",
    "average_volume_20",
    "trend",
    "trend_score",
    "market_regime",
    "regime_confidence",
)
FLOAT_FEATURES = (
    "price_change_24h_pct",
    "price_change_7d_pct",
    "volume_24h",
    "volume_change_24h_pct",
    "volatility",
    "volatility_annualized",
    "range_high_20",
    "range_low_20",
    "average_volume_20",
    "regime_confidence",
)
SCHEMA: dict[str, pl.DataType] = {
    "coin_id": pl.Int32(),
    "timestamp": pl.Datetime("us", "UTC"),
    **{name: pl.Float64() for name in ("open", "high", "low", "close", "volume", *INDICATORS)},
}


def bars(
    closes: Sequence[float],
    *,
    minutes: int = 60,
    coin_id: int = 1,
    volumes: Sequence[float | None] | None = None,
    steps: Sequence[int] | None = None,
    highs: Sequence[float] | None = None,
    lows: Sequence[float] | None = None,
    indicators: Mapping[str, Sequence[float | None]] | None = None,
) -> pl.DataFrame:
    """One coin's bars; ``steps[i]`` is bar i's offset in bars from T0 (gaps), indicator columns null unless given."""
    count = len(closes)
    offsets = list(range(count)) if steps is None else list(steps)
    given = dict(indicators or {})
    data: dict[str, list[object]] = {
        "coin_id": [coin_id] * count,
        "timestamp": [T0 + timedelta(minutes=minutes * step) for step in offsets],
        "open": list(closes),
        "high": list(highs) if highs is not None else [c + 1.0 for c in closes],
        "low": list(lows) if lows is not None else [c - 1.0 for c in closes],
        "close": list(closes),
        "volume": list(volumes) if volumes is not None else [1.0] * count,
    }
    for name in INDICATORS:
        data[name] = list(given.get(name, [None] * count))
    return pl.DataFrame(data, schema=SCHEMA)


def last(frame: pl.DataFrame, column: str) -> object:
    return frame.get_column(column)[-1]


# --- percent price changes -------------------------------------------------------------------------


@pytest.mark.parametrize("start", [100.0, 40.0, 2500.0])
def test_a_close_rising_10_percent_over_exactly_24h_is_a_change_of_10_not_price_units(start: float) -> None:
    closes = [start] + [start * 1.05] * 23 + [start * 1.1]

    result = add_bar_features(bars(closes, minutes=60), 60)

    assert last(result, "price_change_24h_pct") == pytest.approx(10.0, rel=1e-12)
    assert result.get_column("price_change_24h_pct")[:24].null_count() == 24


@pytest.mark.parametrize("start", [100.0, 40.0, 2500.0])
def test_a_close_falling_10_percent_over_exactly_7d_is_minus_10_not_price_units(start: float) -> None:
    closes = [start * f for f in (1.0, 1.01, 1.02, 1.03, 1.04, 1.05, 1.06, 0.9)]

    result = add_bar_features(bars(closes, minutes=1440), 1440)

    assert last(result, "price_change_7d_pct") == pytest.approx(-10.0, rel=1e-12)
    assert last(result, "price_change_24h_pct") == pytest.approx((0.9 / 1.06 - 1.0) * 100.0, rel=1e-12)
    assert result.get_column("price_change_7d_pct")[:7].null_count() == 7


def test_the_24h_change_looks_back_to_the_newest_bar_at_or_before_t_minus_24h_across_a_gap() -> None:
    # Bars at 0h, 10h and 30h: for 30h the target is 6h, and the newest bar at or before it is 0h (not 10h).
    frame = bars([80.0, 150.0, 96.0], minutes=60, steps=[0, 10, 30])

    result = add_bar_features(frame, 60)

    assert result.get_column("price_change_24h_pct").to_list() == [None, None, pytest.approx(20.0, rel=1e-12)]


def test_the_24h_change_is_null_when_no_bar_is_old_enough() -> None:
    frame = bars([100.0, 200.0], minutes=60, steps=[0, 23])

    result = add_bar_features(frame, 60)

    assert result.get_column("price_change_24h_pct").to_list() == [None, None]


def test_price_changes_never_compare_across_coins() -> None:
    older_coin = bars([50.0] * 25, minutes=60, coin_id=1)
    newer_coin = bars([100.0], minutes=60, coin_id=2, steps=[24])

    result = add_bar_features(pl.concat([older_coin, newer_coin]), 60)

    assert result.filter(pl.col("coin_id") == 2).get_column("price_change_24h_pct").to_list() == [None]
    assert result.filter(pl.col("coin_id") == 1).get_column("price_change_24h_pct")[-1] == pytest.approx(0.0)


# --- volume ------------------------------------------------------------------------------------------


def test_volume_24h_and_its_change_follow_the_reference_example() -> None:
    frame = bars([100.0] * 48, minutes=60, volumes=[100.0] * 24 + [200.0] * 24)

    result = add_bar_features(frame, 60)

    assert last(result, "volume_24h") == pytest.approx(4800.0)
    assert last(result, "volume_change_24h_pct") == pytest.approx(100.0)
    assert result.get_column("volume_24h")[23] == pytest.approx(2400.0)
    assert result.get_column("volume_change_24h_pct")[:24].null_count() == 24


def test_null_volumes_count_as_zero() -> None:
    frame = bars([100.0] * 3, minutes=1440, volumes=[10.0, None, 30.0])

    result = add_bar_features(frame, 1440)

    assert result.get_column("volume_24h").to_list() == [10.0, 0.0, 30.0]
    assert result.get_column("average_volume_20").to_list() == [10.0, 5.0, pytest.approx(40.0 / 3.0)]
    # The day before had no volume: the change is undefined, not infinite.
    assert result.get_column("volume_change_24h_pct").to_list() == [None, pytest.approx(-100.0), None]


def test_zero_volume_everywhere_gives_a_null_volume_change_and_a_zero_average() -> None:
    frame = bars([100.0 + i for i in range(60)], minutes=60, volumes=[0.0] * 60)

    result = add_bar_features(frame, 60)

    assert result.get_column("volume_change_24h_pct").null_count() == 60
    assert result.get_column("average_volume_20").to_list() == [0.0] * 60
    assert result.get_column("volume_24h").to_list() == [0.0] * 60
    assert result.get_column("trend_score").to_list() == [50] * 60


def test_average_volume_20_includes_the_current_bar_and_spans_20_bars() -> None:
    volumes = [float(v) for v in range(1, 26)]
    frame = bars([100.0] * 25, minutes=60, volumes=volumes)

    result = add_bar_features(frame, 60)

    assert result.get_column("average_volume_20")[0] == 1.0
    assert last(result, "average_volume_20") == pytest.approx(sum(range(6, 26)) / 20.0)


# --- ranges ------------------------------------------------------------------------------------------


def test_range_high_and_low_cover_the_20_bars_before_the_current_one() -> None:
    # Falling highs and rising lows put each window's extreme at its oldest bar; the last bar is an outlier.
    highs = [200.0 - i for i in range(24)] + [500.0]
    lows = [50.0 + i for i in range(24)] + [0.0]
    frame = bars([100.0] * 25, minutes=60, highs=highs, lows=lows)

    result = add_bar_features(frame, 60)

    assert result.get_column("range_high_20")[0] is None
    assert result.get_column("range_low_20")[0] is None
    assert result.get_column("range_high_20")[1] == highs[0]
    assert result.get_column("range_high_20")[20] == highs[0]
    assert result.get_column("range_high_20")[21] == highs[1]
    # Bar 24 looks at bars 4..23: its own extreme is excluded and bar 3's has left the window.
    assert last(result, "range_high_20") == highs[4]
    assert last(result, "range_low_20") == lows[4]


# --- volatility --------------------------------------------------------------------------------------


def test_constant_prices_have_zero_volatility_without_nan_or_errors() -> None:
    result = add_bar_features(bars([42.0] * 50, minutes=60), 60)

    volatility = result.get_column("volatility")
    assert volatility[:2].null_count() == 2
    assert volatility[2:].to_list() == [0.0] * 48
    assert result.get_column("volatility_annualized")[2:].to_list() == [0.0] * 48


def test_volatility_returns_to_exactly_zero_after_a_volatile_stretch_goes_flat() -> None:
    rng = np.random.default_rng(7)
    moving = (100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.05, 60)))).tolist()
    frame = bars([*moving, *[123.456] * 60], minutes=60)

    result = add_bar_features(frame, 60)

    tail = result.get_column("volatility").tail(30)
    assert tail.is_nan().sum() == 0
    assert tail.to_list() == pytest.approx([0.0] * 30, abs=1e-15)


def test_volatility_is_the_population_std_of_log_returns_on_a_small_window() -> None:
    closes = [100.0, 110.0, 99.0, 108.9]
    log_returns = np.diff(np.log(closes))

    result = add_bar_features(bars(closes, minutes=60), 60)

    volatility = result.get_column("volatility").to_list()
    assert volatility[:2] == [None, None]
    assert volatility[2] == pytest.approx(float(np.std(log_returns[:2])), rel=1e-12)
    assert volatility[3] == pytest.approx(float(np.std(log_returns)), rel=1e-12)
    # By hand: returns ln 1.1, ln 0.9, ln 1.1 → mean ln(1.1)/3·2 + ln(0.9)/3, population std ≈ 0.0945971.
    assert volatility[3] == pytest.approx(0.0945970730311386, rel=1e-12)


@pytest.mark.parametrize(("timeframe", "window"), [(60, 24), (15, 96), (240, 20), (1440, 20)])
def test_the_volatility_window_is_one_day_of_bars_but_at_least_20(timeframe: int, window: int) -> None:
    rng = np.random.default_rng(timeframe)
    closes = (100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.02, window + 15)))).tolist()
    log_returns = np.diff(np.log(closes))

    result = add_bar_features(bars(closes, minutes=timeframe), timeframe)

    assert last(result, "volatility") == pytest.approx(float(np.std(log_returns[-window:])), rel=1e-9)
    assert last(result, "volatility") != pytest.approx(float(np.std(log_returns[-window - 1 :])), rel=1e-6)


@pytest.mark.parametrize("timeframe", [15, 60, 240, 1440])
def test_annualised_volatility_scales_by_the_square_root_of_bars_per_year(timeframe: int) -> None:
    closes = [100.0, 103.0, 99.0, 104.0, 101.0]

    result = add_bar_features(bars(closes, minutes=timeframe), timeframe).filter(pl.col("volatility").is_not_null())

    factor = math.sqrt(365 * 1440 / timeframe)
    assert result.height == 3
    ratios = (result.get_column("volatility_annualized") / result.get_column("volatility")).to_list()
    assert ratios == pytest.approx([factor] * 3, rel=1e-12)


# --- short and empty series ---------------------------------------------------------------------------


@pytest.mark.parametrize("length", [0, 1, 2, 5])
def test_a_series_shorter_than_any_warm_up_gives_nulls_and_no_nan(length: int) -> None:
    frame = bars([100.0 + i for i in range(length)], minutes=60)

    result = add_bar_features(frame, 60)

    assert result.height == length
    assert set(FEATURES) <= set(result.columns)
    assert_frame_equal(result.select(frame.columns), frame)
    for name in FLOAT_FEATURES:
        column = result.get_column(name)
        assert not column.fill_null(0.0).is_nan().any(), name
        assert column.fill_null(0.0).is_finite().all(), name
    for name in ("price_change_24h_pct", "price_change_7d_pct", "volume_change_24h_pct", "market_regime"):
        assert result.get_column(name).null_count() == length, name
    assert result.get_column("trend").to_list() == ["sideways"] * length
    assert result.get_column("trend_score").to_list() == [50] * length


def test_rows_keep_their_order_and_no_helper_columns_leak() -> None:
    frame = pl.concat([bars([100.0 + i for i in range(30)], coin_id=c) for c in (1, 2, 3)])

    result = add_bar_features(frame, 60)

    assert_frame_equal(result.select(frame.columns), frame)
    assert set(result.columns) == set(frame.columns) | set(FEATURES)


# --- trend and trend score (reference 3.7) -------------------------------------------------------------


def one_row(close: float = 100.0, **values: float | None) -> pl.DataFrame:
    """A single daily bar whose indicator columns are given directly."""
    return add_bar_features(bars([close], minutes=1440, indicators={k: [v] for k, v in values.items()}), 1440)


@pytest.mark.parametrize(
    ("close", "values", "expected"),
    [
        (110.0, {"sma_200": 100.0, "ema_50": 105.0, "macd_histogram": 1.0}, "bullish"),
        (90.0, {"sma_200": 100.0, "ema_50": 105.0, "macd_histogram": 1.0}, "bearish"),
        (90.0, {"sma_200": 100.0, "ema_50": 95.0, "macd_histogram": -1.0}, "bearish"),
        (110.0, {"sma_200": 100.0, "ema_50": 95.0, "macd_histogram": 1.0}, "sideways"),
        (110.0, {"sma_200": 100.0, "ema_50": 105.0, "macd_histogram": 0.0}, "sideways"),
        (100.0, {"sma_200": 100.0, "ema_50": 105.0, "macd_histogram": 1.0}, "sideways"),
        (90.0, {"sma_200": None, "ema_50": 105.0, "macd_histogram": 1.0}, "sideways"),
        (90.0, {"sma_200": 100.0, "ema_50": None, "macd_histogram": 1.0}, "sideways"),
        (90.0, {"sma_200": 100.0, "ema_50": 105.0, "macd_histogram": None}, "sideways"),
    ],
)
def test_trend_labels_follow_the_reference(close: float, values: dict[str, float | None], expected: str) -> None:
    assert one_row(close, **values).get_column("trend").to_list() == [expected]


def test_the_trend_score_is_clamped_at_100_when_everything_is_bullish() -> None:
    result = one_row(110.0, ema_20=106.0, ema_50=105.0, sma_200=100.0, macd_histogram=1.0, rsi_14=60.0, adx_14=30.0)

    assert result.get_column("trend_score").to_list() == [100]
    assert result.schema["trend_score"] == pl.Int16


def test_the_trend_score_is_clamped_at_0_when_everything_is_bearish() -> None:
    result = one_row(90.0, ema_20=104.0, ema_50=105.0, sma_200=100.0, macd_histogram=-1.0, rsi_14=30.0, adx_14=10.0)

    assert result.get_column("trend_score").to_list() == [0]


def test_the_trend_score_stays_at_50_with_no_inputs() -> None:
    assert one_row(100.0).get_column("trend_score").to_list() == [50]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"ema_20": 106.0, "ema_50": 105.0}, 65),
        ({"ema_20": 105.0, "ema_50": 105.0}, 35),
        ({"ema_20": 106.0}, 50),
        ({"sma_200": 99.0}, 70),
        ({"sma_200": 100.0}, 30),
        ({"macd_histogram": 0.0}, 35),
        ({"rsi_14": 55.0}, 60),
        ({"rsi_14": 70.0}, 60),
        ({"rsi_14": 70.5}, 50),
        ({"rsi_14": 40.0}, 50),
        ({"rsi_14": 39.9}, 40),
        ({"adx_14": 25.0}, 60),
        ({"adx_14": 15.0}, 50),
        ({"adx_14": 14.9}, 45),
        ({"ema_20": 106.0, "ema_50": 105.0, "sma_200": 99.0, "macd_histogram": -1.0}, 70),
    ],
)
def test_each_trend_score_term_adds_its_weight(values: dict[str, float], expected: int) -> None:
    assert one_row(100.0, **values).get_column("trend_score").to_list() == [expected]


@pytest.mark.parametrize(("volumes", "expected"), [((100.0, 111.0), 60), ((100.0, 89.0), 40), ((100.0, 110.0), 50)])
def test_the_trend_score_counts_the_24h_volume_change(volumes: tuple[float, float], expected: int) -> None:
    # Daily bars: one bar per day, so the volume change compares the two bars directly.
    result = add_bar_features(bars([100.0, 100.0], minutes=1440, volumes=list(volumes)), 1440)

    assert result.get_column("trend_score").to_list() == [50, expected]


# --- market regime (reference 3.8) ----------------------------------------------------------------------


def regime(
    now: Mapping[str, float | None],
    before: Mapping[str, float | None] | None = None,
    *,
    change_7d_pct: float = 0.0,
) -> tuple[str | None, float | None]:
    """The regime of the last of eight daily bars, the 7-day change being ``change_7d_pct``."""
    closes = [100.0] * 7 + [100.0 * (1.0 + change_7d_pct / 100.0)]
    previous = dict(before or {})
    names = set(now) | set(previous)
    warm_up: list[float | None] = [None] * 6
    columns = {name: [*warm_up, previous.get(name), now.get(name)] for name in names}
    result = add_bar_features(bars(closes, minutes=1440, indicators=columns), 1440)
    assert last(result, "price_change_7d_pct") == pytest.approx(change_7d_pct)
    label, confidence = result.select("market_regime", "regime_confidence").row(-1)
    return label, confidence


QUIET_BASE = {"atr_14": 2.0, "bb_width": 0.06, "adx_14": 22.0}


def test_bull_trend_with_the_adx_confidence_formula() -> None:
    values = {**QUIET_BASE, "ema_50": 105.0, "ema_200": 100.0, "adx_14": 25.2}

    label, confidence = regime(values)

    assert label == "bull_trend"
    assert confidence == pytest.approx(0.65 + 25.2 / 120.0)


def test_the_bull_trend_confidence_is_capped_by_the_adx_term() -> None:
    values = {**QUIET_BASE, "ema_50": 105.0, "ema_200": 100.0, "adx_14": 60.0}

    assert regime(values, change_7d_pct=5.0) == ("bull_trend", pytest.approx(0.87))


def test_bear_trend_when_ema_50_is_below_the_reference_average_and_the_week_is_down() -> None:
    values = {**QUIET_BASE, "ema_50": 95.0, "ema_200": 100.0, "adx_14": 30.0}

    assert regime(values, change_7d_pct=-4.0) == ("bear_trend", pytest.approx(0.87))


def test_a_trend_against_the_weekly_change_falls_through_to_the_other_rules() -> None:
    bull_setup_falling_week = {**QUIET_BASE, "ema_50": 105.0, "ema_200": 100.0, "adx_14": 30.0}
    bear_setup_rising_week = {**QUIET_BASE, "ema_50": 95.0, "ema_200": 100.0, "adx_14": 30.0}

    assert regime(bull_setup_falling_week, change_7d_pct=-1.0) == ("sideways_range", pytest.approx(0.65))
    assert regime(bear_setup_rising_week, change_7d_pct=1.0) == ("sideways_range", pytest.approx(0.65))


def test_no_trend_at_adx_25_exactly() -> None:
    values = {**QUIET_BASE, "ema_50": 105.0, "ema_200": 100.0, "adx_14": 25.0}

    assert regime(values) == ("sideways_range", pytest.approx(0.65))


def test_the_reference_average_is_ema_200_when_present_else_sma_200() -> None:
    above_ema_below_sma = {**QUIET_BASE, "ema_50": 95.0, "ema_200": 90.0, "sma_200": 100.0, "adx_14": 30.0}
    sma_only = {**QUIET_BASE, "ema_50": 95.0, "sma_200": 100.0, "adx_14": 30.0}

    assert regime(above_ema_below_sma)[0] == "bull_trend"
    assert regime(sma_only)[0] == "bear_trend"


def test_high_volatility_when_atr_and_band_width_both_expand() -> None:
    before = {"atr_14": 1.0, "bb_width": 0.10}
    now = {"atr_14": 1.04, "bb_width": 0.106, "adx_14": 22.0}

    assert regime(now, before) == ("high_volatility", pytest.approx(0.80))


def test_no_expansion_when_atr_grows_by_exactly_3_percent() -> None:
    before = {"atr_14": 1.0, "bb_width": 0.10}
    now = {"atr_14": 1.03, "bb_width": 0.106, "adx_14": 22.0}

    assert regime(now, before) == ("sideways_range", pytest.approx(0.65))


def test_low_volatility_at_the_atr_ratio_and_band_width_limits() -> None:
    assert regime({"atr_14": 1.5, "bb_width": 0.04, "adx_14": 22.0}) == ("low_volatility", pytest.approx(0.78))
    assert regime({"atr_14": 1.5, "bb_width": 0.041, "adx_14": 22.0}) == ("sideways_range", pytest.approx(0.65))


def test_sideways_range_by_low_adx_and_by_missing_adx() -> None:
    assert regime({"atr_14": 2.0, "bb_width": 0.06, "adx_14": 19.9}) == ("sideways_range", pytest.approx(0.72))
    assert regime({"atr_14": 2.0, "bb_width": 0.06}) == ("sideways_range", pytest.approx(0.72))


def test_high_volatility_by_a_wide_range() -> None:
    assert regime({"atr_14": 3.0, "bb_width": 0.08, "adx_14": 22.0}) == ("high_volatility", pytest.approx(0.74))
    assert regime({"atr_14": 2.9, "bb_width": 0.08, "adx_14": 22.0}) == ("sideways_range", pytest.approx(0.65))


def test_the_default_regime_is_sideways_range_at_065() -> None:
    assert regime(QUIET_BASE) == ("sideways_range", pytest.approx(0.65))


def test_the_regime_is_null_while_atr_is_null() -> None:
    values = {"ema_50": 105.0, "ema_200": 100.0, "adx_14": 40.0, "bb_width": 0.01}

    assert regime(values) == (None, None)


def test_regime_expansion_never_compares_with_another_coins_previous_bar() -> None:
    first = bars([100.0], coin_id=1, minutes=1440, indicators={"atr_14": [1.0], "bb_width": [0.10]})
    second = bars([100.0], coin_id=2, minutes=1440, indicators={"atr_14": [2.0], "bb_width": [0.20], "adx_14": [22.0]})

    result = add_bar_features(pl.concat([first, second]), 1440)

    assert result.filter(pl.col("coin_id") == 2).get_column("market_regime").to_list() == ["sideways_range"]


def test_a_missing_7d_change_counts_as_zero_for_the_trend_rule() -> None:
    frame = bars(
        [100.0],
        minutes=15,
        indicators={"ema_50": [105.0], "ema_200": [100.0], "adx_14": [30.0], "atr_14": [2.0], "bb_width": [0.06]},
    )

    result = add_bar_features(frame, 15)

    assert result.get_column("price_change_7d_pct").to_list() == [None]
    assert result.select("market_regime", "regime_confidence").row(0) == ("bull_trend", pytest.approx(0.87))
