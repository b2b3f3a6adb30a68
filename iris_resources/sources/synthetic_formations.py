"""Textbook chart formations as shape templates, drawn into a coin's synthetic log-price path.

A template is a piecewise-linear body over the formation's candles except the last, plus the level
the last (breakout) candle closes at. Levels are in units of the formation's amplitude on a log
scale, relative to the price where the formation starts; bearish twins are mirror images, so
"double_bottom" is exactly an upside-down "double_top".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class FormationTemplate:
    """A formation's shape: body key points ``(u in [0, 1], level)`` and the breakout close."""

    pattern: str
    direction: str  # "bullish" or "bearish"
    body: tuple[tuple[float, float], ...]
    breakout: float

    def mirrored(self, pattern: str) -> FormationTemplate:
        """The upside-down twin (double top → double bottom) with the opposite direction."""
        direction = "bullish" if self.direction == "bearish" else "bearish"
        return FormationTemplate(pattern, direction, tuple((u, -y) for u, y in self.body), -self.breakout)


# Neckline 0.5; the last candle closes through it.
_DOUBLE_TOP = FormationTemplate(
    "double_top", "bearish", ((0.0, 0.0), (0.25, 1.0), (0.5, 0.5), (0.75, 1.0), (1.0, 0.6)), 0.3
)
# Shoulders at 0.6, head at 1.0, neckline 0.3.
_HEAD_AND_SHOULDERS = FormationTemplate(
    "head_and_shoulders",
    "bearish",
    ((0.0, 0.0), (0.14, 0.6), (0.28, 0.3), (0.5, 1.0), (0.72, 0.3), (0.86, 0.6), (1.0, 0.38)),
    0.1,
)
# Flat resistance at 1.0 with rising lows, closing above the resistance.
_ASCENDING_TRIANGLE = FormationTemplate(
    "ascending_triangle",
    "bullish",
    ((0.0, 0.0), (0.15, 1.0), (0.3, 0.35), (0.45, 1.0), (0.6, 0.55), (0.75, 1.0), (0.88, 0.75), (1.0, 0.95)),
    1.3,
)
# A steep pole, then a small downward-sloping channel, then a close above the channel.
_BULL_FLAG = FormationTemplate(
    "bull_flag",
    "bullish",
    (
        (0.0, 0.0),
        (0.3, 1.0),
        (0.42, 0.82),
        (0.52, 0.92),
        (0.64, 0.74),
        (0.74, 0.84),
        (0.86, 0.68),
        (1.0, 0.8),
    ),
    1.1,
)

TEMPLATES: tuple[FormationTemplate, ...] = (
    _DOUBLE_TOP,
    _DOUBLE_TOP.mirrored("double_bottom"),
    _HEAD_AND_SHOULDERS,
    _HEAD_AND_SHOULDERS.mirrored("inverse_head_and_shoulders"),
    _ASCENDING_TRIANGLE,
    _ASCENDING_TRIANGLE.mirrored("descending_triangle"),
    _BULL_FLAG,
    _BULL_FLAG.mirrored("bear_flag"),
)

PATTERNS: tuple[str, ...] = tuple(template.pattern for template in TEMPLATES)


def formation_returns(
    template: FormationTemplate,
    candles: int,
    bars_per_candle: int,
    amplitude: float,
    noise: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Base-bar log returns that draw ``template`` over ``candles`` candles of ``bars_per_candle`` bars.

    The level path is the template (linear between key points, evaluated at every base bar) plus
    white noise of ``noise`` (log units) on the level, not on the returns, so the shape never
    drifts away from the template. The final bar lands exactly on the breakout level, which makes
    the completion candle's close deterministic.
    """
    if candles < 2:
        raise ValueError("a formation needs at least two candles")
    n_bars = candles * bars_per_candle
    body_bars = (candles - 1) * bars_per_candle
    xs = np.array([u for u, _ in template.body])
    ys = np.array([y for _, y in template.body])
    # Body over the first candles - 1 candles, then one candle from the body's end to the breakout.
    u_body = np.arange(1, body_bars + 1) / body_bars
    body = np.interp(u_body, xs, ys)
    u_last = np.arange(1, bars_per_candle + 1) / bars_per_candle
    last = ys[-1] + (template.breakout - ys[-1]) * u_last
    level = amplitude * np.concatenate([body, last])
    level += noise * rng.standard_normal(n_bars)
    level[-1] = amplitude * template.breakout
    # Returns relative to the level the formation starts from (0): the first return is level[0].
    return np.diff(level, prepend=0.0)
