"""Volatility detectors (reference §2.3) on the Bollinger and ATR columns of the indicator engine.

"Mean of the defined values" follows the reference's ``average`` over non-null values (0 when none,
which then fails the ``baseline > 0`` tests). Bands and ATR come from the full history (DECISIONS 6).
"""

from __future__ import annotations

import numpy as np

from ._arrays import (
    BoolArray,
    FloatArray,
    lag,
    rolling_defined_mean,
    rolling_max,
    rolling_mean,
    rolling_min,
    rolling_sum,
    volume_ratio,
)
from .bars import BEARISH, BULLISH, NEUTRAL, Bars, Detector, Hits


def _bonus(bars: Bars, weight: float) -> FloatArray:
    return np.maximum(volume_ratio(bars.volume, 20) - 1, 0) * weight


def _ratio(value: FloatArray, baseline: FloatArray) -> FloatArray:
    return value / np.where(baseline > 0, baseline, 1.0)


def _outside_closes(close: FloatArray, bars_back: int) -> tuple[BoolArray, BoolArray]:
    """Close above / below every one of the previous ``bars_back`` closes."""
    return close > rolling_max(close, bars_back, 1), close < rolling_min(close, bars_back, 1)


def bollinger_squeeze(bars: Bars) -> Hits:
    """Band width below every previous width of the last 29 (≥ 10 defined) and a > 1.5 % move."""
    width, close = bars.col("bb_width"), bars.close
    defined = ~np.isnan(width)
    enough = rolling_sum(defined.astype(np.float64), 29, 1) >= 10
    lowest = rolling_min(np.where(defined, width, np.inf), 29, 1)
    move = (close - lag(close, 1)) / np.maximum(lag(close, 1), 1e-9)
    ok = enough & (width < lowest)
    confidence = 0.66 + _bonus(bars, 0.06)
    return Hits.two_sided(ok & (move > 0.015), ok & (move < -0.015), confidence)


def bollinger_expansion(bars: Bars) -> Hits:
    """Band width ≥ 1.4 × the mean of the previous 9 widths (≥ 5 defined)."""
    width = bars.col("bb_width")
    baseline, count = rolling_defined_mean(width, 9, 1)
    ok = (count >= 5) & (baseline > 0) & (width >= baseline * 1.4)
    return Hits.one_sided(ok, BULLISH, 0.64 + np.minimum(_ratio(width, baseline) / 10, 0.2))


def atr_spike(bars: Bars) -> Hits:
    """ATR ≥ 1.5 × the mean of the previous 19 ATR values."""
    atr = bars.col("atr_14")
    baseline, _ = rolling_defined_mean(atr, 19, 1)
    ok = (baseline > 0) & (atr >= baseline * 1.5)
    return Hits.one_sided(ok, BEARISH, 0.64 + np.minimum(_ratio(atr, baseline) / 10, 0.2))


def _compression(values: FloatArray, recent: tuple[int, int], prior: tuple[int, int, int], factor: float) -> Hits:
    """Mean of the last ``recent[0]`` values (≥ ``recent[1]`` defined) under ``factor`` × an older mean."""
    recent_mean, recent_count = rolling_defined_mean(values, recent[0], 0)
    prior_mean, prior_count = rolling_defined_mean(values, prior[0], prior[1])
    ok = (recent_count >= recent[1]) & (prior_count >= prior[2]) & (recent_mean < prior_mean * factor)
    drop = np.maximum((prior_mean - recent_mean) / np.maximum(prior_mean, 1e-9), 0.0)
    return Hits.one_sided(ok, NEUTRAL, 0.64 + drop)


def volatility_expansion_breakout(bars: Bars) -> Hits:
    """Band width ≥ 1.5 × the mean of the previous 9 and a close outside the previous 9 closes."""
    width, close = bars.col("bb_width"), bars.close
    baseline, _ = rolling_defined_mean(width, 9, 1)
    ok = (baseline > 0) & (width >= baseline * 1.5)
    above, below = _outside_closes(close, 9)
    confidence = 0.65 + np.minimum(_ratio(width, baseline) / 10, 0.2)
    return Hits.two_sided(ok & above, ok & below, confidence)


def atr_release(bars: Bars) -> Hits:
    """Mean of the last 5 ATR values (≥ 3 defined) ≥ 1.4 × the mean of the 15 before."""
    atr = bars.col("atr_14")
    recent, count = rolling_defined_mean(atr, 5, 0)
    baseline, _ = rolling_defined_mean(atr, 15, 5)
    ok = (count >= 3) & (baseline > 0) & (recent >= baseline * 1.4)
    return Hits.one_sided(ok, NEUTRAL, 0.65 + np.minimum(_ratio(recent, baseline) / 10, 0.2))


def narrow_range_breakout(bars: Bars) -> Hits:
    """Previous bar's range ≤ 70 % of the mean range of the 10 bars before it, then a close beyond 11 closes."""
    spread = bars.high - bars.low
    previous = np.maximum(lag(spread, 1), 1e-9)
    baseline = rolling_mean(spread, 10, 2)
    ok = (baseline > 0) & (previous <= baseline * 0.7)
    above, below = _outside_closes(bars.close, 11)
    return Hits.two_sided(ok & above, ok & below, 0.66 + _bonus(bars, 0.05))


def _band_walk(bars: Bars, bull: bool) -> Hits:
    """The last 4 closes hugging the upper (lower) band within 1.5 %."""
    close = bars.close
    near = close >= bars.col("bb_upper") * 0.985 if bull else close <= bars.col("bb_lower") * 1.015
    near &= bars.col("bb_width") > 0  # a zero-width band (flat closes) cannot be walked
    walk = rolling_sum(near.astype(np.float64), 4) == 4
    return Hits.one_sided(walk, BULLISH if bull else BEARISH, 0.67)


def mean_reversion_snap(bars: Bars) -> Hits:
    """Previous close outside a band, current close back across the middle band."""
    close, middle = bars.close, bars.col("bb_middle")
    previous = lag(close, 1)
    from_above = (previous > lag(bars.col("bb_upper"), 1)) & (close < middle)
    from_below = (previous < lag(bars.col("bb_lower"), 1)) & (close > middle)
    return Hits.two_sided(from_below, from_above, 0.65 + _bonus(bars, 0.03))


def _volatility_reversal(bars: Bars, bull: bool) -> Hits:
    """Band width widening (mean of 5 ≥ 1.25 × mean of the 10 before) and a one-bar turn."""
    width, close = bars.col("bb_width"), bars.close
    recent, _ = rolling_defined_mean(width, 5, 1)
    prior, _ = rolling_defined_mean(width, 10, 6)
    ok = (prior > 0) & (recent >= prior * 1.25)
    one, two = lag(close, 1), lag(close, 2)
    if bull:
        return Hits.one_sided(ok & (one < two) & (close > one), BULLISH, 0.66)
    return Hits.one_sided(ok & (one > two) & (close < one), BEARISH, 0.66)


DETECTORS: dict[str, Detector] = {
    "bollinger_squeeze": bollinger_squeeze,
    "bollinger_expansion": bollinger_expansion,
    "atr_spike": atr_spike,
    "volatility_compression": lambda bars: _compression(bars.col("bb_width"), (10, 5), (20, 10, 10), 0.7),
    "volatility_expansion_breakout": volatility_expansion_breakout,
    "atr_compression": lambda bars: _compression(bars.col("atr_14"), (10, 5), (15, 10, 8), 0.75),
    "atr_release": atr_release,
    "narrow_range_breakout": narrow_range_breakout,
    "band_walk_bullish": lambda bars: _band_walk(bars, True),
    "band_walk_bearish": lambda bars: _band_walk(bars, False),
    "mean_reversion_snap": mean_reversion_snap,
    "volatility_reversal_bullish": lambda bars: _volatility_reversal(bars, True),
    "volatility_reversal_bearish": lambda bars: _volatility_reversal(bars, False),
}
