"""Momentum detectors (reference §2.3) on the RSI/MACD columns of the indicator engine.

The reference recomputed RSI and MACD on each detector's own window; here they come from the
full-history columns (DECISIONS 6: the window was a shortcut, not the definition). Indicator nulls
are a warm-up prefix, so "the last k defined values" are the last k bars once k bars are defined.
Two-sided rules take the reference's branch order (bullish first for divergences).
"""

from __future__ import annotations

import numpy as np

from ._arrays import BoolArray, FloatArray, lag, pct, rolling_max, rolling_min, rolling_sum, volume_ratio
from .bars import BEARISH, BULLISH, Bars, Detector, Hits
from .structural_pivots import pivots


def _divergence(
    bars: Bars, oscillator: FloatArray, bull_confirm: BoolArray, bear_confirm: BoolArray
) -> tuple[BoolArray, BoolArray, FloatArray, FloatArray]:
    """Price/oscillator divergence on the last two close pivots of the 80-bar window.

    Returns (bullish, bearish, bullish oscillator gain, bearish oscillator drop); the bearish branch
    is only considered where the whole bullish branch did not fire, as in the reference.
    """
    close, t, s = bars.close, bars.t, bars.start(80)
    lows, ok_low = pivots(bars, "close", "low").last(s, t, 2)
    highs, ok_high = pivots(bars, "close", "high").last(s, t, 2)
    low_gain = oscillator[lows[:, 1]] - oscillator[lows[:, 0]]
    high_drop = oscillator[highs[:, 0]] - oscillator[highs[:, 1]]
    bullish = ok_low & (close[lows[:, 1]] < close[lows[:, 0]]) & (low_gain > 0) & bull_confirm
    bearish = ok_high & (close[highs[:, 1]] > close[highs[:, 0]]) & (high_drop > 0) & bear_confirm & ~bullish
    return bullish, bearish, low_gain, high_drop


def rsi_divergence(bars: Bars) -> Hits:
    """Lower price low with higher RSI and an up close, else higher high with lower RSI and a down close."""
    close = bars.close
    previous = lag(close, 1)
    bullish, bearish, gain, drop = _divergence(bars, bars.col("rsi_14"), close > previous, close < previous)
    return Hits.two_sided(bullish, bearish, 0.67 + np.minimum(gain / 100, 0.2), 0.67 + np.minimum(drop / 100, 0.2))


def macd_divergence(bars: Bars) -> Hits:
    """The same divergence test on the MACD histogram (no confirming close)."""
    always = np.ones(bars.n, dtype=bool)
    bullish, bearish, _, _ = _divergence(bars, bars.col("macd_histogram"), always, always)
    return Hits.two_sided(bullish, bearish, 0.69)


def macd_cross(bars: Bars) -> Hits:
    """MACD crossing the previous bar's signal value (reference quirk kept: absolute-price confidence)."""
    macd, signal = bars.col("macd"), bars.col("macd_signal")
    prev_macd, prev_signal = lag(macd, 1), lag(signal, 1)
    up = (prev_macd <= prev_signal) & (prev_signal < macd)
    down = (prev_macd >= prev_signal) & (prev_signal > macd)
    return Hits.two_sided(up, down, 0.62 + np.minimum(np.abs(macd - signal) * 5, 0.2))


def momentum_exhaustion(bars: Bars) -> Hits:
    """RSI > 75 with the histogram below its 3-bar high (bearish), or RSI < 25 above its 3-bar low (bullish)."""
    rsi, hist = bars.col("rsi_14"), bars.col("macd_histogram")
    bonus = 0.70 + np.maximum(volume_ratio(bars.volume, 20) - 1, 0) * 0.04
    overbought = (rsi > 75) & (hist < rolling_max(hist, 3, 1))
    oversold = (rsi < 25) & (hist > rolling_min(hist, 3, 1))
    return Hits.two_sided(oversold, overbought, bonus)


def _rsi_cross(bars: Bars, bull: bool) -> Hits:
    """RSI crossing 50 (reclaim upward, rejection downward)."""
    rsi = bars.col("rsi_14")
    previous = lag(rsi, 1)
    if bull:
        return Hits.one_sided((previous < 50) & (rsi > 50), BULLISH, 0.64 + np.minimum((rsi - 50) / 100, 0.2))
    return Hits.one_sided((previous > 50) & (rsi < 50), BEARISH, 0.64 + np.minimum((50 - rsi) / 100, 0.2))


def _failure_swing(bars: Bars, bull: bool) -> Hits:
    """Within the last 8 RSI values (≥ 6 defined): an extreme before, two steps back, a confirming close."""
    rsi, close = bars.col("rsi_14"), bars.close
    defined = rolling_sum((~np.isnan(rsi)).astype(np.float64), 8) >= 6
    one, two = lag(rsi, 1), lag(rsi, 2)
    previous_close = lag(close, 1)
    if bull:
        extreme = rolling_min(np.where(np.isnan(rsi), np.inf, rsi), 7, 1) < 35
        fired = defined & extreme & (one > two) & (rsi > one) & (close > previous_close)
        return Hits.one_sided(fired, BULLISH, 0.68 + np.minimum((rsi - 50) / 100, 0.15))
    extreme = rolling_max(np.where(np.isnan(rsi), -np.inf, rsi), 7, 1) > 65
    fired = defined & extreme & (one < two) & (rsi < one) & (close < previous_close)
    return Hits.one_sided(fired, BEARISH, 0.68 + np.minimum((50 - rsi) / 100, 0.15))


def _zero_cross(bars: Bars, bull: bool) -> Hits:
    """MACD crossing zero."""
    macd = bars.col("macd")
    previous = lag(macd, 1)
    confidence = 0.64 + np.minimum(np.abs(macd) * 4, 0.2)
    if bull:
        return Hits.one_sided((previous <= 0) & (macd > 0), BULLISH, confidence)
    return Hits.one_sided((previous >= 0) & (macd < 0), BEARISH, confidence)


def _histogram_expansion(bars: Bars, bull: bool) -> Hits:
    """Histogram beyond zero and beyond its previous 4 values (all 5 defined)."""
    hist = bars.col("macd_histogram")
    confidence = 0.65 + np.minimum(np.abs(hist) * 6, 0.2)
    if bull:
        return Hits.one_sided((hist > 0) & (hist > rolling_max(hist, 4, 1)), BULLISH, confidence)
    return Hits.one_sided((hist < 0) & (hist < rolling_min(hist, 4, 1)), BEARISH, confidence)


def _velocity(bars: Bars, bull: bool) -> Hits:
    """Early move c[-20] → c[-10] beyond 2 %, late move c[-10] → close 1.2× larger the same way."""
    close = bars.close
    early = pct(lag(close, 9), lag(close, 19))
    late = pct(close, lag(close, 9))
    if bull:
        return Hits.one_sided((early > 0.02) & (late > early * 1.2), BULLISH, 0.66 + late)
    return Hits.one_sided((early < -0.02) & (late < early * 1.2), BEARISH, 0.66 + np.abs(late))


DETECTORS: dict[str, Detector] = {
    "rsi_divergence": rsi_divergence,
    "macd_cross": macd_cross,
    "macd_divergence": macd_divergence,
    "momentum_exhaustion": momentum_exhaustion,
    "rsi_reclaim": lambda bars: _rsi_cross(bars, True),
    "rsi_rejection": lambda bars: _rsi_cross(bars, False),
    "rsi_failure_swing_bullish": lambda bars: _failure_swing(bars, True),
    "rsi_failure_swing_bearish": lambda bars: _failure_swing(bars, False),
    "macd_zero_cross_bullish": lambda bars: _zero_cross(bars, True),
    "macd_zero_cross_bearish": lambda bars: _zero_cross(bars, False),
    "macd_histogram_expansion_bullish": lambda bars: _histogram_expansion(bars, True),
    "macd_histogram_expansion_bearish": lambda bars: _histogram_expansion(bars, False),
    "trend_acceleration": lambda bars: _velocity(bars, True),
    "trend_deceleration": lambda bars: _velocity(bars, False),
}
