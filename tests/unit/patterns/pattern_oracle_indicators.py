"""Scalar momentum, volatility and volume rules (reference §2.3) for the oracle comparison."""

from __future__ import annotations

from statistics import fmean

from tests.unit.patterns.pattern_oracle import Result, Window, defined, pct, pivots, rule, vr


def _divergence(w: Window, name: str, confirm: bool) -> Result:
    c = w.c
    lows, highs = pivots(c, "low"), pivots(c, "high")
    if len(lows) >= 2:
        (li, lv), (ri, rv) = lows[-2:]
        a, b = w.at(name, li), w.at(name, ri)
        if a is not None and b is not None and rv < lv and b > a and (not confirm or c[-1] > c[-2]):
            return 1, (0.67 + min((b - a) / 100, 0.2)) if confirm else 0.69
    if len(highs) >= 2:
        (li, lv), (ri, rv) = highs[-2:]
        a, b = w.at(name, li), w.at(name, ri)
        if a is not None and b is not None and rv > lv and b < a and (not confirm or c[-1] < c[-2]):
            return -1, (0.67 + min((a - b) / 100, 0.2)) if confirm else 0.69
    return None


rule("rsi_divergence", 30, 80)(lambda w: _divergence(w, "rsi_14", True))
rule("macd_divergence", 35, 80)(lambda w: _divergence(w, "macd_histogram", False))


@rule("macd_cross", 35, 60)
def _macd_cross(w: Window) -> Result:
    (pm, m), (ps, s) = w.last("macd", 2), w.last("macd_signal", 2)
    if None in (pm, m, ps, s):
        return None
    assert pm is not None and m is not None and ps is not None and s is not None
    conf = 0.62 + min(abs(m - s) * 5, 0.2)
    if pm <= ps < m:
        return 1, conf
    if pm >= ps > m:
        return -1, conf
    return None


@rule("momentum_exhaustion", 30, 50)
def _exhaustion(w: Window) -> Result:
    rsi, hist = w.last("rsi_14", 1)[0], w.last("macd_histogram", 4)
    if rsi is None or None in hist:
        return None
    previous, current = defined(hist[:-1]), hist[-1]
    assert current is not None
    conf = 0.70 + max(vr(w.v[-20:]) - 1, 0) * 0.04
    if rsi > 75 and current < max(previous):
        return -1, conf
    if rsi < 25 and current > min(previous):
        return 1, conf
    return None


def _rsi_cross(w: Window, bull: bool) -> Result:
    prev, cur = w.last("rsi_14", 2)
    if prev is None or cur is None:
        return None
    if bull:
        return (1, 0.64 + min((cur - 50) / 100, 0.2)) if prev < 50 < cur else None
    return (-1, 0.64 + min((50 - cur) / 100, 0.2)) if prev > 50 > cur else None


rule("rsi_reclaim", 20, 50)(lambda w: _rsi_cross(w, True))
rule("rsi_rejection", 20, 50)(lambda w: _rsi_cross(w, False))


def _failure(w: Window, bull: bool) -> Result:
    recent = defined(w.last("rsi_14", 8))
    c = w.c
    if len(recent) < 6:
        return None
    if bull and min(recent[:-1]) < 35 and recent[-3] < recent[-2] < recent[-1] and c[-1] > c[-2]:
        return 1, 0.68 + min((recent[-1] - 50) / 100, 0.15)
    if not bull and max(recent[:-1]) > 65 and recent[-3] > recent[-2] > recent[-1] and c[-1] < c[-2]:
        return -1, 0.68 + min((50 - recent[-1]) / 100, 0.15)
    return None


rule("rsi_failure_swing_bullish", 24, 60)(lambda w: _failure(w, True))
rule("rsi_failure_swing_bearish", 24, 60)(lambda w: _failure(w, False))


def _zero(w: Window, bull: bool) -> Result:
    prev, cur = w.last("macd", 2)
    if prev is None or cur is None:
        return None
    ok = prev <= 0 < cur if bull else prev >= 0 > cur
    return ((1 if bull else -1), 0.64 + min(abs(cur) * 4, 0.2)) if ok else None


rule("macd_zero_cross_bullish", 35, 60)(lambda w: _zero(w, True))
rule("macd_zero_cross_bearish", 35, 60)(lambda w: _zero(w, False))


def _hist(w: Window, bull: bool) -> Result:
    values = w.last("macd_histogram", 5)
    if None in values:
        return None
    full = defined(values)
    cur, prev = full[-1], full[:-1]
    ok = cur > 0 and cur > max(prev) if bull else cur < 0 and cur < min(prev)
    return ((1 if bull else -1), 0.65 + min(abs(cur) * 6, 0.2)) if ok else None


rule("macd_histogram_expansion_bullish", 35, 60)(lambda w: _hist(w, True))
rule("macd_histogram_expansion_bearish", 35, 60)(lambda w: _hist(w, False))


def _velocity(w: Window, bull: bool) -> Result:
    c = w.c
    early, late = pct(c[-10], c[-20]), pct(c[-1], c[-10])
    if bull:
        return (1, 0.66 + late) if early > 0.02 and late > early * 1.2 else None
    return (-1, 0.66 + abs(late)) if early < -0.02 and late < early * 1.2 else None


rule("trend_acceleration", 20, 40)(lambda w: _velocity(w, True))
rule("trend_deceleration", 20, 40)(lambda w: _velocity(w, False))


def _mean(values: list[float | None]) -> float:
    found = defined(values)
    return fmean(found) if found else 0.0


@rule("bollinger_squeeze", 25, 60)
def _squeeze(w: Window) -> Result:
    widths = w.last("bb_width", 30)
    past, cur = defined(widths[:-1]), widths[-1]
    if cur is None or len(past) < 10 or cur >= min(past):
        return None
    move = (w.c[-1] - w.c[-2]) / max(w.c[-2], 1e-9)
    if abs(move) <= 0.015:
        return None
    return (1 if move > 0 else -1), 0.66 + max(vr(w.v[-20:]) - 1, 0) * 0.06


@rule("bollinger_expansion", 25, 60)
def _bb_expansion(w: Window) -> Result:
    widths = w.last("bb_width", 10)
    cur, prev = widths[-1], defined(widths[:-1])
    if cur is None or len(prev) < 5 or fmean(prev) <= 0 or cur < fmean(prev) * 1.4:
        return None
    return 1, 0.64 + min(cur / fmean(prev) / 10, 0.2)


@rule("atr_spike", 0, 60)
def _atr_spike(w: Window) -> Result:
    atr = w.last("atr_14", 20)
    cur, base = atr[-1], _mean(atr[:-1])
    if cur is None or base <= 0 or cur < base * 1.5:
        return None
    return -1, 0.64 + min(cur / base / 10, 0.2)


def _compression(
    w: Window, name: str, recent_n: int, prior: tuple[int, int], need: tuple[int, int], k: float
) -> Result:
    values = w.last(name, prior[0])
    recent, older = defined(values[-recent_n:]), defined(values[: prior[0] - prior[1]])
    if len(recent) < need[0] or len(older) < need[1] or fmean(recent) >= fmean(older) * k:
        return None
    return 0, 0.64 + max((fmean(older) - fmean(recent)) / max(fmean(older), 1e-9), 0.0)


rule("volatility_compression", 25, 50)(lambda w: _compression(w, "bb_width", 10, (30, 10), (5, 10), 0.7))
rule("atr_compression", 0, 50)(lambda w: _compression(w, "atr_14", 10, (25, 10), (5, 8), 0.75))


@rule("volatility_expansion_breakout", 25, 50)
def _vol_breakout(w: Window) -> Result:
    widths, c = w.last("bb_width", 10), w.c
    cur, base = widths[-1], _mean(widths[:-1])
    up, down = c[-1] > max(c[-10:-1]), c[-1] < min(c[-10:-1])
    if cur is None or base <= 0 or cur < base * 1.5 or not (up or down):
        return None
    return (1 if up else -1), 0.65 + min(cur / base / 10, 0.2)


@rule("atr_release", 0, 50)
def _atr_release(w: Window) -> Result:
    atr = w.last("atr_14", 20)
    recent, base = defined(atr[-5:]), _mean(atr[:-5])
    if len(recent) < 3 or base <= 0 or fmean(recent) < base * 1.4:
        return None
    return 0, 0.65 + min(fmean(recent) / base / 10, 0.2)


@rule("narrow_range_breakout", 8, 20)
def _narrow(w: Window) -> Result:
    c = w.c[-12:]  # the 12-bar pattern window; the volume ratio reads the last 20 candles
    day = max(w.h[-2] - w.l[-2], 1e-9)
    base = fmean([h - lo for h, lo in zip(w.h[-12:-2], w.l[-12:-2], strict=True)])
    up, down = c[-1] > max(c[:-1]), c[-1] < min(c[:-1])
    if base <= 0 or day > base * 0.7 or not (up or down):
        return None
    return (1 if up else -1), 0.66 + max(vr(w.v[-20:]) - 1, 0) * 0.05


def _band_walk(w: Window, bull: bool) -> Result:
    band = w.last("bb_upper" if bull else "bb_lower", 4)
    widths = w.last("bb_width", 4)
    for close, level, width in zip(w.c[-4:], band, widths, strict=True):
        if level is None or not width or (bull and close < level * 0.985) or (not bull and close > level * 1.015):
            return None
    return (1 if bull else -1), 0.67


rule("band_walk_bullish", 25, 40)(lambda w: _band_walk(w, True))
rule("band_walk_bearish", 25, 40)(lambda w: _band_walk(w, False))


@rule("mean_reversion_snap", 25, 40)
def _snap(w: Window) -> Result:
    upper, lower, middle = w.last("bb_upper", 2)[0], w.last("bb_lower", 2)[0], w.last("bb_middle", 1)[0]
    if upper is None or lower is None or middle is None:
        return None
    conf = 0.65 + max(vr(w.v[-20:]) - 1, 0) * 0.03
    if w.c[-2] > upper and w.c[-1] < middle:
        return -1, conf
    if w.c[-2] < lower and w.c[-1] > middle:
        return 1, conf
    return None


def _reversal(w: Window, bull: bool) -> Result:
    widths, c = w.last("bb_width", 16), w.c
    recent, prior = _mean(widths[-6:-1]), _mean(widths[:-6])
    if prior <= 0 or recent < prior * 1.25:
        return None
    if bull:
        return (1, 0.66) if c[-2] < c[-3] and c[-1] > c[-2] else None
    return (-1, 0.66) if c[-2] > c[-3] and c[-1] < c[-2] else None


rule("volatility_reversal_bullish", 25, 50)(lambda w: _reversal(w, True))
rule("volatility_reversal_bearish", 25, 50)(lambda w: _reversal(w, False))
