"""TA-Lib-compatible candlestick functions on OHLC arrays (``talib.CDL*`` equivalents).

Each returns an int32 array: +100 bullish, -100 bearish (+-80 for an engulfing whose bodies share an
end), 0 for no pattern and for the bars before the pattern's lookback, exactly like TA-Lib.
``CANDLE_PATTERNS`` maps the engine's column names to the context-level pattern functions.
"""

from __future__ import annotations

from collections.abc import Callable

from . import candle_patterns as patterns
from ._core import ArrayInput, IntArray
from .candle_settings import CandleContext

# Engine column -> (pattern function on a context, key of its running totals in PATTERN_TOTALS).
CANDLE_PATTERNS: dict[str, tuple[Callable[[CandleContext], IntArray], str]] = {
    "cdl_engulfing": (patterns.pattern_engulfing, "engulfing"),
    "cdl_hammer": (patterns.pattern_hammer, "hammer"),
    "cdl_doji": (patterns.pattern_doji, "doji"),
    "cdl_morning_star": (patterns.pattern_morning_star, "morning_star"),
    "cdl_evening_star": (patterns.pattern_evening_star, "evening_star"),
    "cdl_shooting_star": (patterns.pattern_shooting_star, "shooting_star"),
    "cdl_3_white_soldiers": (patterns.pattern_three_white_soldiers, "three_white_soldiers"),
    "cdl_3_black_crows": (patterns.pattern_three_black_crows, "three_black_crows"),
}


def detect_patterns(context: CandleContext, columns: list[str]) -> dict[str, IntArray]:
    """Run several patterns on one context, building all their running totals in one batch first."""
    keys = [CANDLE_PATTERNS[column][1] for column in columns]
    context.prepare(need for key in keys for need in patterns.PATTERN_TOTALS[key])
    return {column: CANDLE_PATTERNS[column][0](context) for column in columns}


def _single(column: str, open_: ArrayInput, high: ArrayInput, low: ArrayInput, close: ArrayInput) -> IntArray:
    return detect_patterns(CandleContext.from_ohlc(open_, high, low, close), [column])[column]


def cdl_engulfing(open_: ArrayInput, high: ArrayInput, low: ArrayInput, close: ArrayInput) -> IntArray:
    """``talib.CDLENGULFING``."""
    return _single("cdl_engulfing", open_, high, low, close)


def cdl_doji(open_: ArrayInput, high: ArrayInput, low: ArrayInput, close: ArrayInput) -> IntArray:
    """``talib.CDLDOJI``."""
    return _single("cdl_doji", open_, high, low, close)


def cdl_hammer(open_: ArrayInput, high: ArrayInput, low: ArrayInput, close: ArrayInput) -> IntArray:
    """``talib.CDLHAMMER``."""
    return _single("cdl_hammer", open_, high, low, close)


def cdl_shooting_star(open_: ArrayInput, high: ArrayInput, low: ArrayInput, close: ArrayInput) -> IntArray:
    """``talib.CDLSHOOTINGSTAR``."""
    return _single("cdl_shooting_star", open_, high, low, close)


def cdl_morning_star(
    open_: ArrayInput, high: ArrayInput, low: ArrayInput, close: ArrayInput, penetration: float = 0.3
) -> IntArray:
    """``talib.CDLMORNINGSTAR`` (penetration 0.3 by default)."""
    context = CandleContext.from_ohlc(open_, high, low, close)
    context.prepare(patterns.PATTERN_TOTALS["morning_star"])
    return patterns.pattern_morning_star(context, penetration)


def cdl_evening_star(
    open_: ArrayInput, high: ArrayInput, low: ArrayInput, close: ArrayInput, penetration: float = 0.3
) -> IntArray:
    """``talib.CDLEVENINGSTAR`` (penetration 0.3 by default)."""
    context = CandleContext.from_ohlc(open_, high, low, close)
    context.prepare(patterns.PATTERN_TOTALS["evening_star"])
    return patterns.pattern_evening_star(context, penetration)


def cdl_three_white_soldiers(
    open_: ArrayInput,
    high: ArrayInput,
    low: ArrayInput,
    close: ArrayInput,
) -> IntArray:
    """``talib.CDL3WHITESOLDIERS``."""
    return _single("cdl_3_white_soldiers", open_, high, low, close)


def cdl_three_black_crows(
    open_: ArrayInput,
    high: ArrayInput,
    low: ArrayInput,
    close: ArrayInput,
) -> IntArray:
    """``talib.CDL3BLACKCROWS``."""
    return _single("cdl_3_black_crows", open_, high, low, close)
