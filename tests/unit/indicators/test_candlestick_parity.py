"""Candlestick functions return exactly what ``talib.CDL*`` returns on the same candles."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import talib

from iris_assets.indicators import candlesticks
from iris_assets.indicators.candle_settings import CandleContext

Candles = dict[str, np.ndarray]
OHLC = ("open", "high", "low", "close")

FUNCTIONS: dict[str, tuple[Callable[..., np.ndarray], Callable[..., np.ndarray]]] = {
    "engulfing": (candlesticks.cdl_engulfing, talib.CDLENGULFING),
    "hammer": (candlesticks.cdl_hammer, talib.CDLHAMMER),
    "doji": (candlesticks.cdl_doji, talib.CDLDOJI),
    "morning_star": (candlesticks.cdl_morning_star, talib.CDLMORNINGSTAR),
    "evening_star": (candlesticks.cdl_evening_star, talib.CDLEVENINGSTAR),
    "shooting_star": (candlesticks.cdl_shooting_star, talib.CDLSHOOTINGSTAR),
    "three_white_soldiers": (candlesticks.cdl_three_white_soldiers, talib.CDL3WHITESOLDIERS),
    "three_black_crows": (candlesticks.cdl_three_black_crows, talib.CDL3BLACKCROWS),
}
LOOKBACKS = {
    "engulfing": 2,
    "hammer": 11,
    "doji": 10,
    "morning_star": 12,
    "evening_star": 12,
    "shooting_star": 11,
    "three_white_soldiers": 12,
    "three_black_crows": 13,
}


def _ohlc(candles: Candles) -> list[np.ndarray]:
    return [candles[name] for name in OHLC]


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_each_pattern_equals_talib_on_synthetic_candles(name: str, synthetic: Candles) -> None:
    ours, theirs = FUNCTIONS[name]
    result = ours(*_ohlc(synthetic))
    assert result.dtype == np.int32
    assert np.array_equal(result, theirs(*_ohlc(synthetic)))


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_each_pattern_equals_talib_on_real_btc_candles(name: str, btc: Candles) -> None:
    ours, theirs = FUNCTIONS[name]
    assert np.array_equal(ours(*_ohlc(btc)), theirs(*_ohlc(btc)))


def test_the_synthetic_data_actually_triggers_every_pattern(synthetic: Candles) -> None:
    # Parity on all-zero outputs would prove nothing: make sure each pattern fires somewhere.
    hits = {name: int(np.count_nonzero(ours(*_ohlc(synthetic)))) for name, (ours, _) in FUNCTIONS.items()}
    stars = ("morning_star", "evening_star", "three_white_soldiers", "three_black_crows")
    assert all(hits[name] > 0 for name in FUNCTIONS if name not in stars), hits
    assert sum(hits[name] for name in stars) > 0, hits


def test_star_penetration_is_passed_through_like_talib(btc: Candles) -> None:
    o, h, lo, c = _ohlc(btc)
    for penetration in (0.0, 0.3, 0.8):
        assert np.array_equal(
            candlesticks.cdl_morning_star(o, h, lo, c, penetration=penetration),
            talib.CDLMORNINGSTAR(o, h, lo, c, penetration=penetration),
        )
        assert np.array_equal(
            candlesticks.cdl_evening_star(o, h, lo, c, penetration=penetration),
            talib.CDLEVENINGSTAR(o, h, lo, c, penetration=penetration),
        )


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_bars_inside_the_lookback_are_zero_and_short_series_do_not_fail(
    name: str,
    synthetic: Candles,
) -> None:
    ours, theirs = FUNCTIONS[name]
    lookback = LOOKBACKS[name]
    for length in (0, 1, lookback, lookback + 1):
        short = [values[:length] for values in _ohlc(synthetic)]
        result = ours(*short)
        assert result.shape == (length,)
        assert np.array_equal(result, theirs(*short))
    assert not ours(*_ohlc(synthetic))[:lookback].any()


def test_engulfing_reports_80_when_the_bodies_share_an_end() -> None:
    open_ = np.array([10.0, 9.0, 8.0, 10.0])
    close = np.array([9.0, 8.0, 9.5, 7.0])
    high = np.maximum(open_, close) + 0.5
    low = np.minimum(open_, close) - 0.5
    ours = candlesticks.cdl_engulfing(open_, high, low, close)
    assert ours.tolist() == talib.CDLENGULFING(open_, high, low, close).tolist()
    assert ours.tolist() == [0, 0, 80, -100]


def test_a_shared_context_gives_the_same_answers_as_separate_calls(btc: Candles) -> None:
    context = CandleContext.from_ohlc(*_ohlc(btc))
    combined = candlesticks.detect_patterns(context, list(candlesticks.CANDLE_PATTERNS))
    for column, values in combined.items():
        name = candlesticks.CANDLE_PATTERNS[column][1]
        assert np.array_equal(values, FUNCTIONS[name][1](*_ohlc(btc))), column
