"""Continuation detectors built on a pole or a range (reference §2.3): flags, pennant, cup and
handle, breakout-retest, consolidation breakout, high tight flag and channel breaks.

Offsets follow the reference's ``c[-k]`` notation as lags ``k - 1``; ``c[-a:-b]`` is the window of
``a - b`` bars ending ``b`` bars before the current one.

Calibration (bull/bear flag): the reference rule is kept and ``_flag_breakout`` is OR-ed in, so
every reference detection survives and breakouts of longer flags are added (see its docstring).
"""

from __future__ import annotations

import numpy as np

from ._arrays import (
    FloatArray,
    head_segment,
    lag,
    pct,
    rolling_max,
    rolling_min,
    rolling_slope,
    tail_from,
    volume_ratio,
)
from .bars import BEARISH, BULLISH, Bars, Detector, Hits


def _vr_bonus(bars: Bars, slice_bars: int, weight: float) -> FloatArray:
    """``max(vr - 1, 0) * weight``: the reference's volume bonus on a ``slice_bars``-bar slice."""
    return np.maximum(volume_ratio(bars.volume, slice_bars) - 1, 0) * weight


def _flag(bars: Bars, bull: bool) -> Hits:
    """A > 5 % pole (c[-25] → c[-12]), a shallow counter-slope pullback, the close at a 5-bar extreme."""
    close = bars.close
    pole = pct(lag(close, 11), lag(close, 24))
    pullback = pct(close, lag(close, 11))
    slope = rolling_slope(close, 10)
    shallow = np.abs(pullback) < np.abs(pole) * 0.5
    bonus = volume_ratio(bars.volume, 35) * 0.05
    if bull:
        fired = (pole > 0.05) & (pullback < 0) & shallow & (slope < 0) & (close >= rolling_max(close, 5))
        return Hits.one_sided(fired, BULLISH, 0.68 + pole + bonus)
    fired = (pole < -0.05) & (pullback > 0) & shallow & (slope > 0) & (close <= rolling_min(close, 5))
    return Hits.one_sided(fired, BEARISH, 0.68 + np.abs(pole) + bonus)


# Calibration: flag lengths (bars) tried by the breakout variant; the pole is looked for in the
# max(6, F // 2) bars before the flag, and must exceed min(5 %, FLAG_POLE_ATR x ATR / close).
FLAG_LENGTHS = (8, 10, 12, 14, 17, 20, 24, 28, 33, 39, 46, 56)
FLAG_POLE_ATR = 4.0


def _flag_breakout(bars: Bars, bull: bool) -> Hits:
    """Scale-aware variant: a pole, a shallow counter-sloping flag of ``F`` bars, a close out of the flag.

    The reference's flag is a fixed 13-bar pole + 11-bar flag evaluated *inside* the flag (the
    close must still be below the pole's top); textbook flags are longer and complete at the
    breakout candle, which the reference cannot see. Each ``F`` of ``FLAG_LENGTHS`` is tried.
    """
    close = bars.close
    level = close if bull else -close  # bear flags are bull flags of the mirrored series
    threshold = np.minimum(0.05, FLAG_POLE_ATR * bars.col("atr_14") / np.maximum(close, 1e-9))
    fired = np.zeros(bars.n, dtype=bool)
    best = np.full(bars.n, np.nan)
    for flag in FLAG_LENGTHS:
        top = lag(level, flag)  # the bar before the flag: the pole's end
        pole = top - rolling_min(level, max(6, flag // 2), flag + 1)
        depth = top - rolling_min(level, flag - 1, 1)
        relative = pole / np.maximum(np.abs(top - pole), 1e-9)  # like pct(top, start)
        ok = (relative > threshold) & (depth > 0) & (depth < 0.5 * pole)
        ok &= rolling_slope(level, flag - 1, 1) < 0
        ok &= level > rolling_max(level, flag - 1, 1)
        ok &= lag(level, 1) <= rolling_max(level, flag - 2, 2)  # the first close out of the flag
        best = np.where(ok & ~fired, relative, best)
        fired |= ok
    bonus = volume_ratio(bars.volume, 35) * 0.05
    return Hits.one_sided(fired, BULLISH if bull else BEARISH, 0.68 + best + bonus)


def pennant(bars: Bars) -> Hits:
    """A ≥ 5 % pole, 10 converging bars within 5 %, then a > 2 % move over three bars (either way)."""
    close = bars.close
    pole = np.abs(pct(lag(close, 11), lag(close, 24)))
    consolidation = (rolling_max(close, 10) - rolling_min(close, 10)) / np.maximum(lag(close, 9), 1e-9)
    converging = (rolling_slope(bars.high, 10) < 0) & (rolling_slope(bars.low, 10) > 0)
    move = pct(close, lag(close, 3))
    ok = (pole >= 0.05) & (consolidation <= 0.05) & converging
    confidence = 0.67 + pole + _vr_bonus(bars, 30, 0.04)
    return Hits.two_sided(ok & (move > 0.02), ok & (move < -0.02), confidence)


def cup_and_handle(bars: Bars) -> Hits:
    """Rims (max of first / last 20 closes) 8 % above the trough and within 4 %; a shallow handle; close at the rim."""
    close = bars.close
    left = head_segment(close, 80, 0, 20, "max")
    right = rolling_max(close, 20)
    trough = tail_from(close, 80, 20, 20, "min")
    ok = (left > trough * 1.08) & (right > trough * 1.08)
    ok &= np.abs(left - right) / np.maximum(left, 1e-9) <= 0.04
    depth = left - trough
    ok &= left - rolling_min(close, 12) <= depth * 0.4
    return Hits.one_sided(ok & (close >= right), BULLISH, 0.70 + depth / np.maximum(left, 1e-9))


def breakout_retest(bars: Bars) -> Hits:
    """Break of the c[-25:-6] range by c[-6:-3], a retest that holds, the close beyond the level."""
    close = bars.close
    resistance, support = rolling_max(close, 19, 6), rolling_min(close, 19, 6)
    breakout = rolling_max(close, 3, 3)
    retest = rolling_min(close, 3)
    bull = (breakout > resistance) & (retest >= resistance * 0.985) & (close >= resistance)
    bear = (breakout < support) & (retest <= support * 1.015) & (close <= support)
    return Hits.two_sided(bull, bear, 0.66 + _vr_bonus(bars, 20, 0.05))


def consolidation_breakout(bars: Bars) -> Hits:
    """23 closes within 6 %, then a close outside their range (either way)."""
    close = bars.close
    high, low = rolling_max(close, 23, 1), rolling_min(close, 23, 1)
    previous = lag(close, 1)
    ok = (high - low) / np.maximum(previous, 1e-9) <= 0.06
    confidence = 0.65 + _vr_bonus(bars, 24, 0.08) + np.abs(pct(close, previous)) * 0.6
    return Hits.two_sided(ok & (close > high), ok & (close < low), confidence)


def high_tight_flag(bars: Bars) -> Hits:
    """A ≥ 10 % pole (c[-28] → c[-12]), 11 closes within 6 %, then a close above them."""
    close = bars.close
    pole = pct(lag(close, 11), lag(close, 27))
    high, low = rolling_max(close, 11, 1), rolling_min(close, 11, 1)
    ok = (pole >= 0.1) & ((high - low) / np.maximum(high, 1e-9) <= 0.06) & (close > high)
    return Hits.one_sided(ok, BULLISH, 0.72 + pole * 0.6 + _vr_bonus(bars, 32, 0.04))


def _channel(bars: Bars, bull: bool) -> Hits:
    """16-bar channel of highs and lows sloping one way, broken against it past the last 9 bars."""
    close = bars.close
    high_slope, low_slope = rolling_slope(bars.high, 16), rolling_slope(bars.low, 16)
    if bull:
        fired = (high_slope < 0) & (low_slope < 0) & (close > rolling_max(bars.high, 9, 1))
        return Hits.one_sided(fired, BULLISH, 0.66 + np.abs(high_slope) / np.maximum(close, 1e-9) * 6)
    fired = (high_slope > 0) & (low_slope > 0) & (close < rolling_min(bars.low, 9, 1))
    return Hits.one_sided(fired, BEARISH, 0.66 + np.abs(low_slope) / np.maximum(close, 1e-9) * 6)


DETECTORS: dict[str, Detector] = {
    "bull_flag": lambda bars: Hits.either(_flag(bars, True), _flag_breakout(bars, True)),
    "bear_flag": lambda bars: Hits.either(_flag(bars, False), _flag_breakout(bars, False)),
    "pennant": pennant,
    "cup_and_handle": cup_and_handle,
    "breakout_retest": breakout_retest,
    "consolidation_breakout": consolidation_breakout,
    "high_tight_flag": high_tight_flag,
    "falling_channel_breakout": lambda bars: _channel(bars, True),
    "rising_channel_breakdown": lambda bars: _channel(bars, False),
}
