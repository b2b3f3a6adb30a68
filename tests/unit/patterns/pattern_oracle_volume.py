"""Scalar volume rules (reference §2.3, volume table) for the oracle comparison."""

from __future__ import annotations

from tests.unit.patterns.pattern_oracle import Result, Window, pct, rule, vr


def _body_share(w: Window) -> float:
    return abs(w.c[-1] - w.o[-1]) / max(w.h[-1] - w.l[-1], 1e-9)


@rule("volume_spike", 0, 25)
def _spike(w: Window) -> Result:
    ratio = vr(w.v)
    return (0, 0.64 + min((ratio - 2) * 0.08, 0.2)) if ratio >= 2.0 else None


@rule("volume_climax", 20, 25)
def _climax(w: Window) -> Result:
    ratio, move = vr(w.v), pct(w.c[-1], w.c[-10])
    if ratio < 2.5 or _body_share(w) > 0.4 or abs(move) < 0.05:
        return None
    return (-1 if move > 0 else 1), 0.68 + min((ratio - 2.5) * 0.05, 0.15)


@rule("volume_divergence", 40, 40)
def _divergence(w: Window) -> Result:
    c, v = w.c, w.v
    high, low = max(c[-30:-10]), min(c[-30:-10])
    recent, previous = sum(v[-10:]) / 10, sum(v[-20:-10]) / 10
    if previous <= 0 or recent >= previous * 0.85 or not (c[-1] > high or c[-1] < low):
        return None
    return (-1 if c[-1] > high else 1), 0.66 + max((previous - recent) / previous, 0) * 0.2


@rule("volume_dry_up", 25, 25)
def _dry(w: Window) -> Result:
    c, ratio = w.c, vr(w.v)
    if max(w.v[-21:-1]) <= 0:  # engine guard: no volume at all is missing data
        return None
    if ratio > 0.65 or (max(c[-10:-1]) - min(c[-10:-1])) / max(c[-2], 1e-9) > 0.04 or c[-1] < max(c[-15:-5]) * 0.98:
        return None
    return 1, 0.64 + max(0.65 - ratio, 0)


@rule("volume_breakout_confirmation", 25, 25)
def _confirmation(w: Window) -> Result:
    ratio = vr(w.v)
    return (1, 0.67 + min((ratio - 1.8) * 0.06, 0.18)) if ratio >= 1.8 and w.c[-1] > max(w.c[-12:-1]) else None


def _flow(w: Window, bull: bool) -> Result:
    up = sum(v for v, o, c in zip(w.v, w.o, w.c, strict=True) if c >= o)
    down = sum(v for v, o, c in zip(w.v, w.o, w.c, strict=True) if c < o)
    if bull and up > down * 1.25 and w.c[-1] > w.c[0]:
        return 1, 0.66 + min((up - down) / max(up, 1e-9), 0.2)
    if not bull and down > up * 1.25 and w.c[-1] < w.c[0]:
        return -1, 0.66 + min((down - up) / max(down, 1e-9), 0.2)
    return None


rule("accumulation_volume", 20, 20)(lambda w: _flow(w, True))
rule("distribution_volume", 20, 20)(lambda w: _flow(w, False))


@rule("churn_bar", 0, 20)
def _churn(w: Window) -> Result:
    ratio = vr(w.v)
    return (0, 0.66 + min((ratio - 2.2) * 0.05, 0.14)) if ratio >= 2.2 and _body_share(w) <= 0.25 else None


def _effort(w: Window, bull: bool) -> Result:
    ratio, c = vr(w.v), w.c[-1]
    ret = pct(c, w.o[-1])
    if bull and ratio >= 1.8 and ret > 0 and (w.h[-1] - c) / max(c, 1e-9) <= 0.02:
        return 1, 0.67 + min(ret * 4, 0.15)
    if not bull and ratio >= 1.8 and ret < 0 and (c - w.l[-1]) / max(c, 1e-9) <= 0.02:
        return -1, 0.67 + min(abs(ret) * 4, 0.15)
    return None


rule("effort_result_divergence_bullish", 18, 18)(lambda w: _effort(w, True))
rule("effort_result_divergence_bearish", 18, 18)(lambda w: _effort(w, False))


@rule("relative_volume_breakout", 20, 20)
def _relative(w: Window) -> Result:
    ratio = vr(w.v)
    return (1, 0.67 + min((ratio - 2.0) * 0.06, 0.18)) if ratio >= 2.0 and w.c[-1] > max(w.c[-8:-1]) else None


def _follow(w: Window, bull: bool) -> Result:
    heavy = vr(w.v) > 1.4
    if bull and w.c[-2] > w.o[-2] and w.c[-1] > w.h[-2] and heavy:
        return 1, 0.66
    if not bull and w.c[-2] < w.o[-2] and w.c[-1] < w.l[-2] and heavy:
        return -1, 0.66
    return None


rule("volume_follow_through_bullish", 12, 12)(lambda w: _follow(w, True))
rule("volume_follow_through_bearish", 12, 12)(lambda w: _follow(w, False))


def _turn(w: Window, top: bool) -> Result:
    ratio, trend = vr(w.v), pct(w.c[-2], w.c[-10])
    conf = 0.69 + min((ratio - 2.5) * 0.04, 0.12)
    if top and ratio >= 2.5 and trend >= 0.06 and w.c[-1] < w.o[-1]:
        return -1, conf
    if not top and ratio >= 2.5 and trend <= -0.06 and w.c[-1] > w.o[-1]:
        return 1, conf
    return None


rule("buying_climax", 16, 16)(lambda w: _turn(w, True))
rule("selling_climax", 16, 16)(lambda w: _turn(w, False))


def _trend(w: Window, bull: bool) -> Result:
    ratio, trend = vr(w.v), pct(w.c[-1], w.c[-10])
    if ratio >= 1.3 and (trend > 0.03 if bull else trend < -0.03):
        return (1 if bull else -1), 0.65 + min(abs(trend), 0.2)
    return None


rule("volume_trend_confirmation_bullish", 25, 25)(lambda w: _trend(w, True))
rule("volume_trend_confirmation_bearish", 25, 25)(lambda w: _trend(w, False))
