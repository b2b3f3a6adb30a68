"""Pivot-based structural detectors (reference §2.3): head & shoulders, double/triple tops and
bottoms, triangles and the expanding triangle, evaluated at every bar.

Each bar ``t`` sees the window of the last ``lookback`` bars, exactly like the reference's slice;
the pivots of that window are the whole-history pivots between ``s + span`` and ``t - span`` (see
``_pivots``), so no bar after ``t`` is ever read.

Calibration (head & shoulders, double tops/bottoms, ascending/descending triangles). The reference
rule is kept and a scale-aware variant is OR-ed in where it is silent, so every reference detection
survives. Why: on hourly candles single-bar noise makes span-2 pivots inside every leg, so "the last
three pivot highs" are rarely the shoulders and head; the 60-bar triangle window is shorter than
many triangles; and absolute thresholds (2 % head prominence, 8 % triangle height, 0.2 %/step flat
resistance) mean different things on a quiet 1h chart and a volatile 1d one. The variant uses
span-4 pivots (``COARSE_SPAN``), a 90-bar triangle window, ATR-relative prominence
(``min(2 %, HEAD_ATR × ATR)``) and height (``max(8 %, TRIANGLE_ATR × ATR)``), a flat side at most
``TRIANGLE_FLAT`` × as steep as the converging side, and fires only on the breakout bar itself
(previous close still on the other side of the level), so it adds events, not persistent states.
"""

from __future__ import annotations

import numpy as np

from ._arrays import BoolArray, FloatArray, lag, pct, within
from ._pivots import Pivots, RangeExtrema
from .bars import BEARISH, BULLISH, Bars, Detector, Hits

# Calibration of the variants (module docstring); tuned on the synthetic market's planted formations.
COARSE_SPAN = 4
HEAD_ATR = 1.0
TRIANGLE_ATR = 8.0
TRIANGLE_FLAT = 0.25


def pivots(bars: Bars, series: str, kind: str, span: int = 2) -> Pivots:
    """Cached pivots of ``series`` (``close``, ``high`` or ``low``)."""
    return bars.memo(f"pivots:{series}:{kind}:{span}", lambda: Pivots.find(getattr(bars, series), kind, span))


def _crossing(close: FloatArray, level: FloatArray, down: bool) -> BoolArray:
    """The previous close was still on the other side of ``level`` (the breakout bar itself)."""
    previous = lag(close, 1)
    return previous > level if down else previous < level


def _close_extrema(bars: Bars) -> RangeExtrema:
    return bars.memo("extrema:close", lambda: RangeExtrema(bars.close, 128))


def _head_shoulders(bars: Bars, top: bool, span: int = 2, scaled: bool = False) -> Hits:
    """Three pivots (shoulder, head, shoulder) with a neckline from two opposite pivots between them."""
    close, t = bars.close, bars.t
    s = bars.start(90)
    peaks, troughs = pivots(bars, "close", "high", span), pivots(bars, "close", "low", span)
    main, other = (peaks, troughs) if top else (troughs, peaks)
    picks, ok = main.last(s, t, 3)
    left, head, right = (main.value(picks[:, k]) for k in range(3))
    sign = 1.0 if top else -1.0
    rise_left, rise_right = sign * (head - left), sign * (head - right)
    if scaled:
        atr = bars.col("atr_14") * HEAD_ATR
        ok &= (rise_left > np.minimum(0.02 * left, atr)) & (rise_right > np.minimum(0.02 * right, atr))
        ok &= within(left, right, 0.035) | (np.abs(left - right) < 0.5 * np.minimum(rise_left, rise_right))
    else:
        ok &= (rise_left > 0.02 * left) & (rise_right > 0.02 * right)
        ok &= within(left, right, 0.035)
    # Opposite pivots strictly between the two shoulders; the neckline is the mean of the last two.
    first_between = other.count_upto(picks[:, 0])
    after_last = other.count_before(picks[:, 2])
    ok &= after_last - first_between >= 2
    neckline = (close[other.at(after_last - 2)] + close[other.at(after_last - 1)]) / 2
    if scaled:
        ok &= _crossing(close, neckline, down=top)
    if top:
        fired = ok & (close <= neckline)
        confidence = 0.68 + (np.minimum(left, right) / head - 0.75) * 0.4
        return Hits.one_sided(fired, BEARISH, confidence)
    fired = ok & (close >= neckline)
    confidence = 0.68 + (1 - head / np.maximum(left, right)) * 0.8
    return Hits.one_sided(fired, BULLISH, confidence)


def _multi_touch(bars: Bars, top: bool, touches: int, span: int = 2, scaled: bool = False) -> Hits:
    """Double/triple top or bottom: the last ``touches`` pivots level, then a close through the span."""
    close, t = bars.close, bars.t
    s = bars.start(90)
    main = pivots(bars, "close", "high" if top else "low", span)
    picks, ok = main.last(s, t, touches)
    values = [main.value(picks[:, k]) for k in range(touches)]
    reference = sum(values[1:], values[0]) / touches
    for value in values:
        ok &= within(value, reference, 0.025)
    extrema = _close_extrema(bars)
    support = extrema.min(picks[:, 0], picks[:, -1])
    resistance = extrema.max(picks[:, 0], picks[:, -1])
    ok &= resistance > support  # a plateau (flat closes) is not a formation
    if scaled:
        ok &= _crossing(close, support if top else resistance, down=top)
    fired = ok & ((close <= support) if top else (close >= resistance))
    depth = np.abs(resistance - support) / np.maximum(reference, 1e-9)
    confidence = 0.62 + depth * 1.8 + (touches - 2) * 0.04
    return Hits.one_sided(fired, BEARISH if top else BULLISH, confidence)


def _triangle_legs(
    bars: Bars, window: int, span: int = 2
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, np.ndarray]:
    """(last three pivot highs of highs, last three pivot lows of lows, …) as value matrices + validity."""
    t, s = bars.t, bars.start(window)
    hp, ok_h = pivots(bars, "high", "high", span).last(s, t, 3)
    lp, ok_l = pivots(bars, "low", "low", span).last(s, t, 3)
    highs = bars.high[hp]
    lows = bars.low[lp]
    # Slope of three equally spaced values against 0, 1, 2 (reference linear_slope).
    high_slope = (highs[:, 2] - highs[:, 0]) / 2
    low_slope = (lows[:, 2] - lows[:, 0]) / 2
    return highs, lows, high_slope, low_slope, ok_h & ok_l


def _triangle(bars: Bars, kind: str, scaled: bool = False) -> Hits:
    """Ascending, descending or symmetrical triangle: compressed pivots and a close beyond the range."""
    close = bars.close
    highs, lows, high_slope, low_slope, ok = _triangle_legs(bars, 90 if scaled else 60, 4 if scaled else 2)
    resistance, support = highs.max(axis=1), lows.min(axis=1)
    flat = close * 0.002
    if scaled:
        height = np.maximum(close * 0.08, bars.col("atr_14") * TRIANGLE_ATR)
        ok &= resistance - support < height
    else:
        ok &= (resistance - support) / np.maximum(close, 1e-9) < 0.08
    if kind == "ascending":
        if scaled:
            flat = np.maximum(flat, TRIANGLE_FLAT * low_slope)
            ok &= _crossing(close, resistance, down=False)
        fired = ok & (np.abs(high_slope) < flat) & (low_slope > 0) & (close >= resistance)
        return Hits.one_sided(fired, BULLISH, 0.68 + pct(close, support) * 0.8)
    if kind == "descending":
        if scaled:
            flat = np.maximum(flat, -TRIANGLE_FLAT * high_slope)
            ok &= _crossing(close, support, down=True)
        fired = ok & (np.abs(low_slope) < flat) & (high_slope < 0) & (close <= support)
        return Hits.one_sided(fired, BEARISH, 0.68 + np.abs(pct(close, resistance)) * 0.8)
    ok &= (high_slope < 0) & (low_slope > 0)
    confidence = 0.66 + np.abs(high_slope - low_slope) / np.maximum(close, 1e-9) * 5
    return Hits.two_sided(ok & (close > resistance), ok & (close < support), confidence)


def expanding_triangle(bars: Bars) -> Hits:
    """Rising pivot highs, falling pivot lows, a range grown by 15 %, and a close beyond the last pivot."""
    close = bars.close
    highs, lows, _, _, ok = _triangle_legs(bars, 55)
    ok &= (highs[:, 0] < highs[:, 2]) & (lows[:, 0] > lows[:, 2])
    start = highs[:, 0] - lows[:, 0]
    end = highs[:, 2] - lows[:, 2]
    ok &= (start > 0) & (end > start * 1.15)
    confidence = 0.64 + (end - start) / np.maximum(np.abs(start), 1e-9)
    return Hits.two_sided(ok & (close > highs[:, 2]), ok & (close < lows[:, 2]), confidence)


def _calibrated(reference: Detector, variant: Detector) -> Detector:
    """The reference rule, plus the scale-aware variant where the reference is silent (a superset)."""
    return lambda bars: Hits.either(reference(bars), variant(bars))


DETECTORS: dict[str, Detector] = {
    "head_shoulders": _calibrated(
        lambda bars: _head_shoulders(bars, True), lambda bars: _head_shoulders(bars, True, COARSE_SPAN, True)
    ),
    "inverse_head_shoulders": _calibrated(
        lambda bars: _head_shoulders(bars, False), lambda bars: _head_shoulders(bars, False, COARSE_SPAN, True)
    ),
    "double_top": _calibrated(
        lambda bars: _multi_touch(bars, True, 2), lambda bars: _multi_touch(bars, True, 2, COARSE_SPAN, True)
    ),
    "triple_top": lambda bars: _multi_touch(bars, True, 3),
    "double_bottom": _calibrated(
        lambda bars: _multi_touch(bars, False, 2), lambda bars: _multi_touch(bars, False, 2, COARSE_SPAN, True)
    ),
    "triple_bottom": lambda bars: _multi_touch(bars, False, 3),
    "ascending_triangle": _calibrated(
        lambda bars: _triangle(bars, "ascending"), lambda bars: _triangle(bars, "ascending", True)
    ),
    "descending_triangle": _calibrated(
        lambda bars: _triangle(bars, "descending"), lambda bars: _triangle(bars, "descending", True)
    ),
    "symmetrical_triangle": lambda bars: _triangle(bars, "symmetrical"),
    "expanding_triangle": expanding_triangle,
}
