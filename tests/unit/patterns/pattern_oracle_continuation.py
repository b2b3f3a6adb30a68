"""Scalar continuation rules (reference §2.3, continuation table) for the oracle comparison."""

from __future__ import annotations

from tests.unit.patterns.pattern_oracle import Result, Window, pct, rule, slope, spread, vr


def _flag(w: Window, bull: bool) -> Result:
    c = w.c
    pole, pullback, sl = pct(c[-12], c[-25]), pct(c[-1], c[-12]), slope(c[-10:])
    shallow = abs(pullback) < abs(pole) * 0.5
    if bull and pole > 0.05 and pullback < 0 and shallow and sl < 0 and c[-1] >= max(c[-5:]):
        return 1, 0.68 + pole + vr(w.v) * 0.05
    if not bull and pole < -0.05 and pullback > 0 and shallow and sl > 0 and c[-1] <= min(c[-5:]):
        return -1, 0.68 + abs(pole) + vr(w.v) * 0.05
    return None


rule("bull_flag", 30, 35)(lambda w: _flag(w, True))
rule("bear_flag", 30, 35)(lambda w: _flag(w, False))


@rule("pennant", 28, 30)
def _pennant(w: Window) -> Result:
    c = w.c
    pole = abs(pct(c[-12], c[-25]))
    cons = spread(c[-10:]) / max(c[-10], 1e-9)
    move = pct(c[-1], c[-4])
    if pole < 0.05 or cons > 0.05 or not (slope(w.h[-10:]) < 0 < slope(w.l[-10:])) or abs(move) <= 0.02:
        return None
    return (1 if move > 0 else -1), 0.67 + pole + max(vr(w.v) - 1, 0) * 0.04


@rule("cup_and_handle", 60, 80)
def _cup(w: Window) -> Result:
    c = w.c
    left, right, trough = max(c[:20]), max(c[-20:]), min(c[20:-20])
    if not (left > trough * 1.08 and right > trough * 1.08) or abs(left - right) / max(left, 1e-9) > 0.04:
        return None
    if left - min(c[-12:]) > (left - trough) * 0.4 or c[-1] < right:
        return None
    return 1, 0.70 + (left - trough) / max(left, 1e-9)


@rule("breakout_retest", 30, 40)
def _retest(w: Window) -> Result:
    c = w.c
    res, sup, brk, ret = max(c[-25:-6]), min(c[-25:-6]), max(c[-6:-3]), min(c[-3:])
    conf = 0.66 + max(vr(w.v[-20:]) - 1, 0) * 0.05
    if brk > res and ret >= res * 0.985 and c[-1] >= res:
        return 1, conf
    if brk < sup and ret <= sup * 1.015 and c[-1] <= sup:
        return -1, conf
    return None


@rule("consolidation_breakout", 24, 24)
def _consolidation(w: Window) -> Result:
    c = w.c
    if spread(c[:-1]) / max(c[-2], 1e-9) > 0.06 or not (c[-1] > max(c[:-1]) or c[-1] < min(c[:-1])):
        return None
    conf = 0.65 + max(vr(w.v) - 1, 0) * 0.08 + abs(pct(c[-1], c[-2])) * 0.6
    return (1 if c[-1] > max(c[:-1]) else -1), conf


@rule("high_tight_flag", 30, 32)
def _high_tight(w: Window) -> Result:
    c = w.c
    pole, high, low = pct(c[-12], c[-28]), max(c[-12:-1]), min(c[-12:-1])
    if pole < 0.1 or (high - low) / max(high, 1e-9) > 0.06 or c[-1] <= high:
        return None
    return 1, 0.72 + pole * 0.6 + max(vr(w.v) - 1, 0) * 0.04


def _channel(w: Window, bull: bool) -> Result:
    sh, sl, close = slope(w.h[-16:]), slope(w.l[-16:]), w.c[-1]
    if bull and sh < 0 and sl < 0 and close > max(w.h[-10:-1]):
        return 1, 0.66 + abs(sh) / max(close, 1e-9) * 6
    if not bull and sh > 0 and sl > 0 and close < min(w.l[-10:-1]):
        return -1, 0.66 + abs(sl) / max(close, 1e-9) * 6
    return None


rule("falling_channel_breakout", 35, 45)(lambda w: _channel(w, True))
rule("rising_channel_breakdown", 35, 45)(lambda w: _channel(w, False))


def _measured(w: Window, bull: bool) -> Result:
    c, s = w.c, 1 if bull else -1
    one, back, two = pct(c[-24], c[-36]), pct(c[-12], c[-24]), pct(c[-1], c[-12])
    if not (s * one > 0.04 and s * back < 0 and abs(back) < abs(one) * 0.7 and s * two > 0.03):
        return None
    return s, 0.67 + min(abs(two - one), abs(one)) + max(vr(w.v[-20:]) - 1, 0) * 0.03


rule("measured_move_bullish", 36, 40)(lambda w: _measured(w, True))
rule("measured_move_bearish", 36, 40)(lambda w: _measured(w, False))


@rule("base_breakout", 30, 34)
def _base(w: Window) -> Result:
    c = w.c
    advance, high, low = pct(c[-15], c[0]), max(c[-15:-1]), min(c[-15:-1])
    if advance < 0.05 or (high - low) / max(high, 1e-9) > 0.05 or c[-1] <= high:
        return None
    return 1, 0.68 + advance + max(vr(w.v) - 1, 0) * 0.05


def _vcb(w: Window, bull: bool) -> Result:
    c = w.c
    early, late = spread(c[-24:-12]) / max(c[-13], 1e-9), spread(c[-12:-1]) / max(c[-2], 1e-9)
    if late >= early * 0.75:
        return None
    conf = 0.67 + max(early - late, 0)
    if bull:
        return (1, conf) if c[-1] > max(c[-12:-1]) else None
    return (-1, conf) if c[-1] < min(c[-12:-1]) else None


rule("volatility_contraction_breakout", 32, 36)(lambda w: _vcb(w, True))
rule("volatility_contraction_breakdown", 32, 36)(lambda w: _vcb(w, False))


def _pullback(w: Window, bull: bool) -> Result:
    c, s = w.c, 1 if bull else -1
    trend, back, resume = pct(c[-10], c[-24]), pct(c[-4], c[-10]), pct(c[-1], c[-4])
    if s * trend > 0.04 and s * back < 0 and abs(back) < abs(trend) * 0.5 and s * resume > 0.015:
        return s, 0.66 + abs(trend) + abs(resume)
    return None


rule("pullback_continuation_bullish", 28, 30)(lambda w: _pullback(w, True))
rule("pullback_continuation_bearish", 28, 30)(lambda w: _pullback(w, False))


@rule("squeeze_breakout", 25, 25)
def _squeeze(w: Window) -> Result:
    c = w.c
    if spread(c[-12:-1]) / max(c[-2], 1e-9) > 0.04 or c[-1] <= max(c[-12:-1]):
        return None
    return 1, 0.67 + max(vr(w.v) - 1, 0) * 0.08


@rule("trend_pause_breakout", 26, 28)
def _pause(w: Window) -> Result:
    c = w.c
    advance = pct(c[-8], c[0])
    if advance < 0.05 or spread(c[-8:-1]) / max(c[-2], 1e-9) > 0.04 or c[-1] <= max(c[-8:-1]):
        return None
    return 1, 0.66 + advance


@rule("handle_breakout", 45, 50)
def _handle(w: Window) -> Result:
    c = w.c
    cup = max(c[:-10])
    if min(c[-10:-1]) < cup * 0.92 or c[-1] <= cup:
        return None
    return 1, 0.68 + max(vr(w.v) - 1, 0) * 0.05


@rule("stair_step_continuation", 30, 30)
def _stairs(w: Window) -> Result:
    c = w.c
    steps = c[-20] < c[-14] < c[-8]
    holds = min(c[-17:-14]) > c[-22] and min(c[-11:-8]) > c[-16]
    if not (steps and holds and c[-1] > max(c[-8:-1])):
        return None
    return 1, 0.67 + max(vr(w.v[-20:]) - 1, 0) * 0.05
