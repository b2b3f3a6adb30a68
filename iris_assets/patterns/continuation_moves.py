"""Continuation detectors built on legs and pauses (reference §2.3): measured moves, base breakout,
volatility-contraction breaks, pullback continuations, squeeze, trend-pause and handle breakouts,
stair steps. Lags as in ``continuation_flags`` (``c[-k]`` is lag ``k - 1``).
"""

from __future__ import annotations

import numpy as np

from ._arrays import FloatArray, head_segment, lag, pct, rolling_max, rolling_min, tail_from, volume_ratio
from .bars import BEARISH, BULLISH, Bars, Detector, Hits


def _vr_bonus(bars: Bars, slice_bars: int, weight: float) -> FloatArray:
    return np.maximum(volume_ratio(bars.volume, slice_bars) - 1, 0) * weight


def _relative_range(close: FloatArray, width: int, lag_: int, base_lag: int) -> FloatArray:
    """Range of ``width`` closes ending ``lag_`` bars back, over the close ``base_lag`` bars back."""
    spread = rolling_max(close, width, lag_) - rolling_min(close, width, lag_)
    return spread / np.maximum(lag(close, base_lag), 1e-9)


def _measured_move(bars: Bars, bull: bool) -> Hits:
    """Leg 1 (c[-36] → c[-24]) > 4 %, a < 70 % retrace to c[-12], leg 2 > 3 % the same way."""
    close = bars.close
    leg_one = pct(lag(close, 23), lag(close, 35))
    retrace = pct(lag(close, 11), lag(close, 23))
    leg_two = pct(close, lag(close, 11))
    sign = 1.0 if bull else -1.0
    fired = (
        (sign * leg_one > 0.04)
        & (sign * retrace < 0)
        & (np.abs(retrace) < np.abs(leg_one) * 0.7)
        & (sign * leg_two > 0.03)
    )
    confidence = 0.67 + np.minimum(np.abs(leg_two - leg_one), np.abs(leg_one)) + _vr_bonus(bars, 20, 0.03)
    return Hits.one_sided(fired, BULLISH if bull else BEARISH, confidence)


def base_breakout(bars: Bars) -> Hits:
    """A ≥ 5 % advance from the window's first close to c[-15], a 14-close base within 5 %, a breakout."""
    close = bars.close
    advance = pct(lag(close, 14), head_segment(close, 34, 0, 1, "max"))
    high, low = rolling_max(close, 14, 1), rolling_min(close, 14, 1)
    ok = (advance >= 0.05) & ((high - low) / np.maximum(high, 1e-9) <= 0.05) & (close > high)
    return Hits.one_sided(ok, BULLISH, 0.68 + advance + _vr_bonus(bars, 34, 0.05))


def _contraction(bars: Bars, bull: bool) -> Hits:
    """Range of c[-12:-1] under 75 % of the range of c[-24:-12] (each relative), then a break of it."""
    close = bars.close
    early = _relative_range(close, 12, 12, 12)
    late = _relative_range(close, 11, 1, 1)
    ok = late < early * 0.75
    confidence = 0.67 + np.maximum(early - late, 0)
    if bull:
        return Hits.one_sided(ok & (close > rolling_max(close, 11, 1)), BULLISH, confidence)
    return Hits.one_sided(ok & (close < rolling_min(close, 11, 1)), BEARISH, confidence)


def _pullback(bars: Bars, bull: bool) -> Hits:
    """Trend c[-24] → c[-10] > 4 %, a < 50 % retrace to c[-4], a > 1.5 % resumption to the close."""
    close = bars.close
    trend = pct(lag(close, 9), lag(close, 23))
    retrace = pct(lag(close, 3), lag(close, 9))
    resumption = pct(close, lag(close, 3))
    sign = 1.0 if bull else -1.0
    fired = (
        (sign * trend > 0.04)
        & (sign * retrace < 0)
        & (np.abs(retrace) < np.abs(trend) * 0.5)
        & (sign * resumption > 0.015)
    )
    return Hits.one_sided(fired, BULLISH if bull else BEARISH, 0.66 + np.abs(trend) + np.abs(resumption))


def squeeze_breakout(bars: Bars) -> Hits:
    """11 closes within 4 % of the previous close, then a close above all of them."""
    close = bars.close
    ok = (_relative_range(close, 11, 1, 1) <= 0.04) & (close > rolling_max(close, 11, 1))
    return Hits.one_sided(ok, BULLISH, 0.67 + _vr_bonus(bars, 25, 0.08))


def trend_pause_breakout(bars: Bars) -> Hits:
    """A ≥ 5 % advance from the window's first close to c[-8], 7 closes within 4 %, a breakout."""
    close = bars.close
    advance = pct(lag(close, 7), head_segment(close, 28, 0, 1, "max"))
    ok = (advance >= 0.05) & (_relative_range(close, 7, 1, 1) <= 0.04) & (close > rolling_max(close, 7, 1))
    return Hits.one_sided(ok, BULLISH, 0.66 + advance)


def handle_breakout(bars: Bars) -> Hits:
    """A handle (c[-10:-1]) holding within 8 % of the cup high (all closes before it), then a close above."""
    close = bars.close
    cup_high = tail_from(close, 50, 0, 10, "max")
    ok = (rolling_min(close, 9, 1) >= cup_high * 0.92) & (close > cup_high)
    return Hits.one_sided(ok, BULLISH, 0.68 + _vr_bonus(bars, 50, 0.05))


def stair_step_continuation(bars: Bars) -> Hits:
    """Rising steps c[-20] < c[-14] < c[-8] whose pullbacks hold the prior step, then a new high."""
    close = bars.close
    steps = (lag(close, 19) < lag(close, 13)) & (lag(close, 13) < lag(close, 7))
    holds = (rolling_min(close, 3, 14) > lag(close, 21)) & (rolling_min(close, 3, 8) > lag(close, 15))
    ok = steps & holds & (close > rolling_max(close, 7, 1))
    return Hits.one_sided(ok, BULLISH, 0.67 + _vr_bonus(bars, 20, 0.05))


DETECTORS: dict[str, Detector] = {
    "measured_move_bullish": lambda bars: _measured_move(bars, True),
    "measured_move_bearish": lambda bars: _measured_move(bars, False),
    "base_breakout": base_breakout,
    "volatility_contraction_breakout": lambda bars: _contraction(bars, True),
    "volatility_contraction_breakdown": lambda bars: _contraction(bars, False),
    "pullback_continuation_bullish": lambda bars: _pullback(bars, True),
    "pullback_continuation_bearish": lambda bars: _pullback(bars, False),
    "squeeze_breakout": squeeze_breakout,
    "trend_pause_breakout": trend_pause_breakout,
    "handle_breakout": handle_breakout,
    "stair_step_continuation": stair_step_continuation,
}
