"""Volume detectors (reference §2.3). ``vr(k)`` is the reference's volume ratio on a ``k``-bar slice:
the latest volume over the mean of the (up to 20) volumes before it inside the slice.
"""

from __future__ import annotations

import numpy as np

from ._arrays import FloatArray, lag, pct, rolling_max, rolling_min, rolling_sum, volume_ratio
from .bars import BEARISH, BULLISH, NEUTRAL, Bars, Detector, Hits


def _body_share(bars: Bars) -> FloatArray:
    """Body over the bar's range (range floored at 1e-9)."""
    return np.abs(bars.close - bars.open) / np.maximum(bars.high - bars.low, 1e-9)


def volume_spike(bars: Bars) -> Hits:
    """vr(25) ≥ 2."""
    ratio = volume_ratio(bars.volume, 25)
    return Hits.one_sided(ratio >= 2.0, NEUTRAL, 0.64 + np.minimum((ratio - 2) * 0.08, 0.2))


def volume_climax(bars: Bars) -> Hits:
    """vr(25) ≥ 2.5 on a small-bodied bar after a ≥ 5 % move over 10 bars; the direction opposes the move."""
    close = bars.close
    ratio = volume_ratio(bars.volume, 25)
    trend = pct(close, lag(close, 9))
    ok = (ratio >= 2.5) & (_body_share(bars) <= 0.4) & (np.abs(trend) >= 0.05)
    confidence = 0.68 + np.minimum((ratio - 2.5) * 0.05, 0.15)
    return Hits.two_sided(ok & (trend < 0), ok & (trend > 0), confidence)


def volume_divergence(bars: Bars) -> Hits:
    """Close beyond the c[-30:-10] range while the last 10 bars trade < 85 % of the 10 before.

    A new high on fading volume is bearish, a new low on fading volume bullish (reversal reading).
    """
    close, volume = bars.close, bars.volume
    old_high, old_low = rolling_max(close, 20, 10), rolling_min(close, 20, 10)
    recent = rolling_sum(volume, 10) / 10
    previous = rolling_sum(volume, 10, 10) / 10
    ok = (previous > 0) & (recent < previous * 0.85)
    confidence = 0.66 + np.maximum((previous - recent) / np.where(previous > 0, previous, 1.0), 0) * 0.2
    return Hits.two_sided(ok & (close < old_low), ok & (close > old_high), confidence)


def volume_dry_up(bars: Bars) -> Hits:
    """vr(25) ≤ 0.65 in a 9-close range ≤ 4 %, the close within 2 % of the c[-15:-5] high."""
    close = bars.close
    ratio = volume_ratio(bars.volume, 25)
    spread = (rolling_max(close, 9, 1) - rolling_min(close, 9, 1)) / np.maximum(lag(close, 1), 1e-9)
    ok = (ratio <= 0.65) & (spread <= 0.04) & (close >= rolling_max(close, 10, 5) * 0.98)
    ok &= rolling_max(bars.volume, 20, 1) > 0  # no volume at all is missing data, not a dry-up
    return Hits.one_sided(ok, BULLISH, 0.64 + np.maximum(0.65 - ratio, 0))


def _ratio_breakout(bars: Bars, slice_bars: int, threshold: float, bars_back: int, base: float) -> Hits:
    """vr(slice) ≥ threshold and a close above the previous ``bars_back`` closes."""
    close = bars.close
    ratio = volume_ratio(bars.volume, slice_bars)
    ok = (ratio >= threshold) & (close > rolling_max(close, bars_back, 1))
    return Hits.one_sided(ok, BULLISH, base + np.minimum((ratio - threshold) * 0.06, 0.18))


def _flow(bars: Bars, bull: bool) -> Hits:
    """Volume of up bars vs down bars over 20 bars (> 1.25×) with the close beyond the first close."""
    close, volume = bars.close, bars.volume
    up_bar = close >= bars.open
    up = rolling_sum(np.where(up_bar, volume, 0.0), 20)
    down = rolling_sum(np.where(up_bar, 0.0, volume), 20)
    first = lag(close, 19)
    if bull:
        ok = (up > down * 1.25) & (close > first)
        return Hits.one_sided(ok, BULLISH, 0.66 + np.minimum((up - down) / np.maximum(up, 1e-9), 0.2))
    ok = (down > up * 1.25) & (close < first)
    return Hits.one_sided(ok, BEARISH, 0.66 + np.minimum((down - up) / np.maximum(down, 1e-9), 0.2))


def churn_bar(bars: Bars) -> Hits:
    """vr(20) ≥ 2.2 on a bar whose body is ≤ 25 % of its range."""
    ratio = volume_ratio(bars.volume, 20)
    ok = (ratio >= 2.2) & (_body_share(bars) <= 0.25)
    return Hits.one_sided(ok, NEUTRAL, 0.66 + np.minimum((ratio - 2.2) * 0.05, 0.14))


def _effort(bars: Bars, bull: bool) -> Hits:
    """vr(18) ≥ 1.8 on a bar closing its way with a wick ≤ 2 % against it."""
    close = bars.close
    ratio = volume_ratio(bars.volume, 18)
    bar_return = pct(close, bars.open)
    confidence = 0.67 + np.minimum(np.abs(bar_return) * 4, 0.15)
    if bull:
        ok = (ratio >= 1.8) & (bar_return > 0) & ((bars.high - close) / np.maximum(close, 1e-9) <= 0.02)
        return Hits.one_sided(ok, BULLISH, confidence)
    ok = (ratio >= 1.8) & (bar_return < 0) & ((close - bars.low) / np.maximum(close, 1e-9) <= 0.02)
    return Hits.one_sided(ok, BEARISH, confidence)


def _follow_through(bars: Bars, bull: bool) -> Hits:
    """Previous bar up (down), close beyond its high (low), vr(12) > 1.4."""
    close = bars.close
    previous_close, previous_open = lag(close, 1), lag(bars.open, 1)
    heavy = volume_ratio(bars.volume, 12) > 1.4
    if bull:
        ok = (previous_close > previous_open) & (close > lag(bars.high, 1)) & heavy
        return Hits.one_sided(ok, BULLISH, 0.66)
    ok = (previous_close < previous_open) & (close < lag(bars.low, 1)) & heavy
    return Hits.one_sided(ok, BEARISH, 0.66)


def _climax_turn(bars: Bars, top: bool) -> Hits:
    """vr(16) ≥ 2.5 after a ≥ 6 % run c[-10] → c[-2], on a bar turning against the run."""
    close = bars.close
    ratio = volume_ratio(bars.volume, 16)
    trend = pct(lag(close, 1), lag(close, 9))
    confidence = 0.69 + np.minimum((ratio - 2.5) * 0.04, 0.12)
    if top:
        return Hits.one_sided((ratio >= 2.5) & (trend >= 0.06) & (close < bars.open), BEARISH, confidence)
    return Hits.one_sided((ratio >= 2.5) & (trend <= -0.06) & (close > bars.open), BULLISH, confidence)


def _trend_confirmation(bars: Bars, bull: bool) -> Hits:
    """vr(25) ≥ 1.3 with a > 3 % move over 10 bars."""
    close = bars.close
    ratio = volume_ratio(bars.volume, 25)
    trend = pct(close, lag(close, 9))
    confidence = 0.65 + np.minimum(np.abs(trend), 0.2)
    if bull:
        return Hits.one_sided((ratio >= 1.3) & (trend > 0.03), BULLISH, confidence)
    return Hits.one_sided((ratio >= 1.3) & (trend < -0.03), BEARISH, confidence)


DETECTORS: dict[str, Detector] = {
    "volume_spike": volume_spike,
    "volume_climax": volume_climax,
    "volume_divergence": volume_divergence,
    "volume_dry_up": volume_dry_up,
    "volume_breakout_confirmation": lambda bars: _ratio_breakout(bars, 25, 1.8, 11, 0.67),
    "accumulation_volume": lambda bars: _flow(bars, True),
    "distribution_volume": lambda bars: _flow(bars, False),
    "churn_bar": churn_bar,
    "effort_result_divergence_bullish": lambda bars: _effort(bars, True),
    "effort_result_divergence_bearish": lambda bars: _effort(bars, False),
    "relative_volume_breakout": lambda bars: _ratio_breakout(bars, 20, 2.0, 7, 0.67),
    "volume_follow_through_bullish": lambda bars: _follow_through(bars, True),
    "volume_follow_through_bearish": lambda bars: _follow_through(bars, False),
    "buying_climax": lambda bars: _climax_turn(bars, True),
    "selling_climax": lambda bars: _climax_turn(bars, False),
    "volume_trend_confirmation_bullish": lambda bars: _trend_confirmation(bars, True),
    "volume_trend_confirmation_bearish": lambda bars: _trend_confirmation(bars, False),
}
