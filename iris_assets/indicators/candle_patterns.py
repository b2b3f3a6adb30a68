"""Candlestick patterns on a shared ``CandleContext``, with TA-Lib's rules and output convention.

+100 bullish, -100 bearish (+-80 for an engulfing whose bodies share an end), 0 none; bars before
a pattern's lookback are 0, as in TA-Lib. The conditions are transcribed from TA-Lib's C sources
term by term (same comparisons, same strictness, same arithmetic). For speed they run in two
steps: the conditions that need no candle-setting average are evaluated on whole arrays (the
``cur``/``prev``/``prev2``/``prev3`` slices are the judged candle and the one, two, three before it),
the averaged conditions only on the few candidates that survive.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._core import BoolArray, IndexArray, IntArray
from .candle_settings import (
    BODY_DOJI,
    BODY_LONG,
    BODY_SHORT,
    FAR,
    NEAR,
    SHADOW_LONG,
    SHADOW_VERY_SHORT,
    CandleContext,
    CandleSetting,
)

STAR_PENETRATION = 0.3
# A vectorised condition over candidate candle indices.
Condition = Callable[[IndexArray], BoolArray]


def _shifted(lookback: int, length: int, back: int) -> slice:
    """Candles ``back`` bars before each judged candle ``lookback..length-1``."""
    return slice(lookback - back, length - back)


def _candidates(ctx: CandleContext, lookback: int, mask: BoolArray) -> IndexArray:
    """Absolute indices of the judged candles whose cheap conditions (``mask`` over ``cur``) hold."""
    if ctx.length <= lookback:
        return np.zeros(0, dtype=np.intp)
    return np.flatnonzero(mask) + lookback


def _emit(ctx: CandleContext, bars: IndexArray, score: int, *conditions: Condition) -> IntArray:
    """``score`` at the ``bars`` passing every condition, each applied only to the survivors so far."""
    for condition in conditions:
        if bars.size == 0:
            break
        bars = bars[condition(bars)]
    out = np.zeros(ctx.length, dtype=np.int32)
    out[bars] = score
    return out


def _slices(ctx: CandleContext, lookback: int, count: int) -> tuple[slice, ...]:
    """``cur, prev, ...`` slices (``count`` of them); empty when the series is within the lookback."""
    length = max(ctx.length, lookback)
    return tuple(_shifted(lookback, length, back) for back in range(count))


def pattern_engulfing(ctx: CandleContext) -> IntArray:
    """CDLENGULFING: +-100 when the body engulfs the prior opposite body, +-80 when one end matches."""
    lookback = 2
    cur, prev = _slices(ctx, lookback, 2)
    o, c, white = ctx.open, ctx.close, ctx.white
    bullish = (c[cur] >= o[prev]) & (o[cur] < c[prev]) | (c[cur] > o[prev]) & (o[cur] <= c[prev])
    bearish = (o[cur] >= c[prev]) & (c[cur] < o[prev]) | (o[cur] > c[prev]) & (c[cur] <= o[prev])
    engulfing = (white[cur] & bullish & ~white[prev]) | (~white[cur] & bearish & white[prev])
    bars = _candidates(ctx, lookback, engulfing)
    strength = np.where((o[bars] != c[bars - 1]) & (c[bars] != o[bars - 1]), 100, 80)
    out = np.zeros(ctx.length, dtype=np.int32)
    out[bars] = np.where(white[bars], strength, -strength)
    return out


def pattern_doji(ctx: CandleContext) -> IntArray:
    """CDLDOJI: real body <= 10% of the average high-low range of the 10 prior candles."""
    lookback = BODY_DOJI.period
    (cur,) = _slices(ctx, lookback, 1)
    out = np.zeros(ctx.length, dtype=np.int32)
    if ctx.length > lookback:
        out[cur] = (ctx.body[cur] <= ctx.average(BODY_DOJI, lookback, cur)).astype(np.int32) * 100
    return out


def pattern_hammer(ctx: CandleContext) -> IntArray:
    """CDLHAMMER: small body, long lower shadow, tiny upper shadow, body near the prior low (+100)."""
    lookback = 11
    (cur,) = _slices(ctx, lookback, 1)
    bars = _candidates(ctx, lookback, ctx.lower_shadow[cur] > ctx.average(SHADOW_LONG, lookback, cur))
    return _emit(
        ctx,
        bars,
        100,
        lambda b: ctx.upper_shadow[b] < ctx.average(SHADOW_VERY_SHORT, lookback, b),
        lambda b: ctx.body[b] < ctx.average(BODY_SHORT, lookback, b),
        lambda b: ctx.body_bottom[b] <= ctx.low[b - 1] + ctx.average(NEAR, lookback - 1, b - 1),
    )


def pattern_shooting_star(ctx: CandleContext) -> IntArray:
    """CDLSHOOTINGSTAR: body gapping up, small body, long upper and tiny lower shadow (-100)."""
    lookback = 11
    cur, prev = _slices(ctx, lookback, 2)
    bars = _candidates(ctx, lookback, ctx.body_bottom[cur] > ctx.body_top[prev])
    return _emit(
        ctx,
        bars,
        -100,
        lambda b: ctx.upper_shadow[b] > ctx.average(SHADOW_LONG, lookback, b),
        lambda b: ctx.lower_shadow[b] < ctx.average(SHADOW_VERY_SHORT, lookback, b),
        lambda b: ctx.body[b] < ctx.average(BODY_SHORT, lookback, b),
    )


def _star_bodies(ctx: CandleContext, lookback: int) -> tuple[Condition, ...]:
    """Shared star conditions: long first body, short star body, third body not short."""
    body = ctx.body
    return (
        lambda b: body[b - 2] > ctx.average(BODY_LONG, lookback - 2, b - 2),
        lambda b: body[b - 1] <= ctx.average(BODY_SHORT, lookback - 1, b - 1),
        lambda b: body[b] > ctx.average(BODY_SHORT, lookback, b),
    )


def pattern_morning_star(ctx: CandleContext, penetration: float = STAR_PENETRATION) -> IntArray:
    """CDLMORNINGSTAR: long black, short star gapping down, white closing well into the first body."""
    lookback = 12
    cur, prev, prev2 = _slices(ctx, lookback, 3)
    c, white = ctx.close, ctx.white
    shape = (
        ~white[prev2]
        & white[cur]
        & (ctx.body_top[prev] < ctx.body_bottom[prev2])
        & (c[cur] > c[prev2] + ctx.body[prev2] * penetration)
    )
    return _emit(ctx, _candidates(ctx, lookback, shape), 100, *_star_bodies(ctx, lookback))


def pattern_evening_star(ctx: CandleContext, penetration: float = STAR_PENETRATION) -> IntArray:
    """CDLEVENINGSTAR: long white, short star gapping up, black closing well into the first body."""
    lookback = 12
    cur, prev, prev2 = _slices(ctx, lookback, 3)
    c, white = ctx.close, ctx.white
    shape = (
        white[prev2]
        & ~white[cur]
        & (ctx.body_bottom[prev] > ctx.body_top[prev2])
        & (c[cur] < c[prev2] - ctx.body[prev2] * penetration)
    )
    return _emit(ctx, _candidates(ctx, lookback, shape), -100, *_star_bodies(ctx, lookback))


def pattern_three_white_soldiers(ctx: CandleContext) -> IntArray:
    """CDL3WHITESOLDIERS: three rising white candles, each opening within/near the prior body (+100)."""
    lookback = 12
    cur, prev, prev2 = _slices(ctx, lookback, 3)
    o, c, white, body, upper = ctx.open, ctx.close, ctx.white, ctx.body, ctx.upper_shadow
    shape = (
        white[prev2]
        & white[prev]
        & white[cur]
        & (c[cur] > c[prev])
        & (c[prev] > c[prev2])
        & (o[prev] > o[prev2])
        & (o[cur] > o[prev])
    )
    return _emit(
        ctx,
        _candidates(ctx, lookback, shape),
        100,
        lambda b: upper[b] < ctx.average(SHADOW_VERY_SHORT, lookback, b),
        lambda b: upper[b - 1] < ctx.average(SHADOW_VERY_SHORT, lookback - 1, b - 1),
        lambda b: upper[b - 2] < ctx.average(SHADOW_VERY_SHORT, lookback - 2, b - 2),
        lambda b: body[b] > ctx.average(BODY_SHORT, lookback, b),
        lambda b: o[b - 1] <= c[b - 2] + ctx.average(NEAR, lookback - 2, b - 2),
        lambda b: o[b] <= c[b - 1] + ctx.average(NEAR, lookback - 1, b - 1),
        lambda b: body[b - 1] > body[b - 2] - ctx.average(FAR, lookback - 2, b - 2),
        lambda b: body[b] > body[b - 1] - ctx.average(FAR, lookback - 1, b - 1),
    )


def pattern_three_black_crows(ctx: CandleContext) -> IntArray:
    """CDL3BLACKCROWS: white candle, then three declining blacks with tiny lower shadows (-100)."""
    lookback = 13
    cur, prev, prev2, prev3 = _slices(ctx, lookback, 4)
    o, c, white, lower = ctx.open, ctx.close, ctx.white, ctx.lower_shadow
    shape = (
        white[prev3]
        & ~white[prev2]
        & ~white[prev]
        & ~white[cur]
        & (o[prev] < o[prev2])
        & (o[prev] > c[prev2])
        & (o[cur] < o[prev])
        & (o[cur] > c[prev])
        & (ctx.high[prev3] > c[prev2])
        & (c[prev2] > c[prev])
        & (c[prev] > c[cur])
    )
    return _emit(
        ctx,
        _candidates(ctx, lookback, shape),
        -100,
        lambda b: lower[b] < ctx.average(SHADOW_VERY_SHORT, lookback, b),
        lambda b: lower[b - 1] < ctx.average(SHADOW_VERY_SHORT, lookback - 1, b - 1),
        lambda b: lower[b - 2] < ctx.average(SHADOW_VERY_SHORT, lookback - 2, b - 2),
    )


# The (setting, seed candle) running totals each pattern reads, so a context can build them together.
PATTERN_TOTALS: dict[str, tuple[tuple[CandleSetting, int], ...]] = {
    "engulfing": (),
    "doji": ((BODY_DOJI, 10),),
    "hammer": ((BODY_SHORT, 11), (SHADOW_VERY_SHORT, 11), (NEAR, 10)),
    "shooting_star": ((BODY_SHORT, 11), (SHADOW_VERY_SHORT, 11)),
    "morning_star": ((BODY_LONG, 10), (BODY_SHORT, 11), (BODY_SHORT, 12)),
    "evening_star": ((BODY_LONG, 10), (BODY_SHORT, 11), (BODY_SHORT, 12)),
    "three_white_soldiers": (
        *((SHADOW_VERY_SHORT, start) for start in (10, 11, 12)),
        *((setting, start) for setting in (NEAR, FAR) for start in (10, 11)),
        (BODY_SHORT, 12),
    ),
    "three_black_crows": tuple((SHADOW_VERY_SHORT, start) for start in (11, 12, 13)),
}
