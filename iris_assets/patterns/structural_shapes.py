"""Window-shape structural detectors (reference §2.3): wedges, rectangles, broadening formations,
channel breaks, rounded turns, diamonds and the flat base.

Fixed (DECISIONS 11): the reference compared the close with the lowest low (highest high) of the
last N bars *including the current bar*, which valid OHLC can only meet when the close sits exactly
on the bar's extreme (wedges) or never (broadening: close < own low). The breakout is now measured
against the N - 1 bars *before* the current one, keeping the span of the reference's window.
"""

from __future__ import annotations

import numpy as np

from ._arrays import head_segment, lag, pct, rolling_max, rolling_mean, rolling_min, rolling_slope, tail_from, within
from .bars import BEARISH, BULLISH, Bars, Detector, Hits
from .structural_pivots import pivots


def _wedge(bars: Bars, rising: bool) -> Hits:
    """Converging trend lines over the last 15 bars, range narrower than the window's first 15 bars."""
    high, low, close = bars.high, bars.low, bars.close
    high_slope, low_slope = rolling_slope(high, 15), rolling_slope(low, 15)
    range_start = head_segment(high, 45, 0, 15, "max") - head_segment(low, 45, 0, 15, "min")
    range_end = rolling_max(high, 15) - rolling_min(low, 15)
    ok = (range_start > 0) & (range_end < range_start)
    confidence = 0.64 + (range_start - range_end) / np.where(range_start > 0, range_start, 1.0)
    if rising:
        ok &= (high_slope > 0) & (low_slope > 0) & (low_slope > high_slope)
        return Hits.one_sided(ok & (close <= rolling_min(low, 4, 1)), BEARISH, confidence)
    ok &= (high_slope < 0) & (low_slope < 0) & (high_slope < low_slope)
    return Hits.one_sided(ok & (close >= rolling_max(high, 4, 1)), BULLISH, confidence)


def _rectangle(bars: Bars, top: bool) -> Hits:
    """A box of closes (≤ 8 % tall) with two pivot highs and lows, then a close outside it."""
    close, t = bars.close, bars.t
    resistance = tail_from(close, 45, 0, 1, "max")
    support = tail_from(close, 45, 0, 1, "min")
    compression = (resistance - support) / np.maximum(close, 1e-9)
    # Pivots of the box (the window without its last bar): positions s + 2 .. t - 3.
    s = bars.start(45)
    highs = pivots(bars, "close", "high").in_window(s, t - 1)
    lows = pivots(bars, "close", "low").in_window(s, t - 1)
    ok = (compression <= 0.08) & (highs >= 2) & (lows >= 2)
    if top:
        return Hits.one_sided(ok & (close < support), BEARISH, 0.64 + compression + highs * 0.02)
    return Hits.one_sided(ok & (close > resistance), BULLISH, 0.64 + compression + lows * 0.02)


def _broadening(bars: Bars, top: bool) -> Hits:
    """Range of the last 20 bars 20 % wider than the window's first 20, then a break of recent extremes."""
    high, low, close = bars.high, bars.low, bars.close
    range_start = head_segment(high, 50, 0, 20, "max") - head_segment(low, 50, 0, 20, "min")
    range_end = rolling_max(high, 20) - rolling_min(low, 20)
    ok = (range_start > 0) & (range_end > range_start * 1.2)
    confidence = 0.63 + (range_end - range_start) / np.where(range_start > 0, range_start, 1.0)
    if top:
        return Hits.one_sided(ok & (close < rolling_min(low, 7, 1)), BEARISH, confidence)
    return Hits.one_sided(ok & (close > rolling_max(high, 7, 1)), BULLISH, confidence)


def _channel_break(bars: Bars, bullish: bool) -> Hits:
    """Parallel 18-bar channel (slopes within 35 %) broken against its direction."""
    high, low, close = bars.high, bars.low, bars.close
    high_slope, low_slope = rolling_slope(high, 18), rolling_slope(low, 18)
    ok = within(np.abs(high_slope), np.abs(low_slope), 0.35)
    if bullish:
        fired = ok & (high_slope < 0) & (low_slope < 0) & (close > rolling_max(high, 7, 1))
        return Hits.one_sided(fired, BULLISH, 0.66 + np.abs(high_slope) / np.maximum(close, 1e-9) * 8)
    fired = ok & (high_slope > 0) & (low_slope > 0) & (close < rolling_min(low, 7, 1))
    return Hits.one_sided(fired, BEARISH, 0.66 + np.abs(low_slope) / np.maximum(close, 1e-9) * 8)


def _rounded(bars: Bars, bottom: bool) -> Hits:
    """Rims (first 12 closes, 11 closes before now) within 5 %, a middle 8 % beyond them, a close past the rim."""
    close = bars.close
    left = head_segment(close, 70, 0, 12, "mean")
    right = rolling_mean(close, 11, 1)
    ok = within(left, right, 0.05)
    if bottom:
        trough = tail_from(close, 70, 20, 20, "min")
        rim = np.minimum(left, right)
        fired = ok & (trough < rim * 0.92) & (close > right)
        return Hits.one_sided(fired, BULLISH, 0.67 + (rim - trough) / np.maximum(left, 1e-9))
    peak = tail_from(close, 70, 20, 20, "max")
    rim = np.maximum(left, right)
    fired = ok & (peak > rim * 1.08) & (close < right)
    return Hits.one_sided(fired, BEARISH, 0.67 + (peak - rim) / np.maximum(peak, 1e-9))


def _diamond(bars: Bars, bottom: bool) -> Hits:
    """Closes widening then narrowing (segments 0–18, 18–42, 42–end) with the extreme in the middle."""
    close = bars.close
    seg = {
        name: (head_segment(close, 60, a, b, "max"), head_segment(close, 60, a, b, "min"))
        for name, (a, b) in {"left": (0, 18), "middle": (18, 42)}.items()
    }
    seg["right"] = (tail_from(close, 60, 42, 0, "max"), tail_from(close, 60, 42, 0, "min"))
    left_range, middle_range, right_range = (hi - lo for hi, lo in seg.values())
    ok = (left_range > 0) & (middle_range > left_range * 1.1) & (right_range < middle_range * 0.8)
    confidence = 0.66 + (middle_range - right_range) / np.where(middle_range > 0, middle_range, 1.0)
    if bottom:
        lowest = seg["middle"][1]
        ok &= (lowest <= seg["left"][1]) & (lowest <= seg["right"][1])
        return Hits.one_sided(ok & (close > rolling_max(close, 9, 1)), BULLISH, confidence)
    highest = seg["middle"][0]
    ok &= (highest >= seg["left"][0]) & (highest >= seg["right"][0])
    return Hits.one_sided(ok & (close < rolling_min(close, 9, 1)), BEARISH, confidence)


def flat_base(bars: Bars) -> Hits:
    """A ≥ 6 % advance into a 14-close base ≤ 5 % tall, then a close above the base."""
    close = bars.close
    first = head_segment(close, 35, 0, 1, "max")
    advance = pct(lag(close, 14), first)
    base_high, base_low = rolling_max(close, 14, 1), rolling_min(close, 14, 1)
    ok = (advance >= 0.06) & ((base_high - base_low) / np.maximum(base_high, 1e-9) <= 0.05)
    return Hits.one_sided(ok & (close > base_high), BULLISH, 0.68 + advance)


DETECTORS: dict[str, Detector] = {
    "rising_wedge": lambda bars: _wedge(bars, True),
    "falling_wedge": lambda bars: _wedge(bars, False),
    "rectangle_top": lambda bars: _rectangle(bars, True),
    "rectangle_bottom": lambda bars: _rectangle(bars, False),
    "broadening_top": lambda bars: _broadening(bars, True),
    "broadening_bottom": lambda bars: _broadening(bars, False),
    "descending_channel_breakout": lambda bars: _channel_break(bars, True),
    "ascending_channel_breakdown": lambda bars: _channel_break(bars, False),
    "rounded_bottom": lambda bars: _rounded(bars, True),
    "rounded_top": lambda bars: _rounded(bars, False),
    "diamond_bottom": lambda bars: _diamond(bars, True),
    "diamond_top": lambda bars: _diamond(bars, False),
    "flat_base": flat_base,
}
