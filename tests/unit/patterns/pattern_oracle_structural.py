"""Scalar structural rules (reference §2.3, structural table) for the oracle comparison."""

from __future__ import annotations

from statistics import fmean

from tests.unit.patterns.pattern_oracle import Result, Window, pct, pivots, rule, slope, spread, within


def _head_shoulders(w: Window, top: bool) -> Result:
    c = w.c
    main, other = (pivots(c, "high"), pivots(c, "low")) if top else (pivots(c, "low"), pivots(c, "high"))
    if len(main) < 3 or len(other) < 2:
        return None
    (li, lv), (_, hv), (ri, rv) = main[-3:]
    if top and not (hv > lv * 1.02 and hv > rv * 1.02):
        return None
    if not top and not (hv < lv * 0.98 and hv < rv * 0.98):
        return None
    if not within(lv, rv, 0.035):
        return None
    neck = [v for i, v in other if li < i < ri]
    if len(neck) < 2:
        return None
    neckline = (neck[-2] + neck[-1]) / 2
    if top:
        return (-1, 0.68 + (min(lv, rv) / hv - 0.75) * 0.4) if c[-1] <= neckline else None
    return (1, 0.68 + (1 - hv / max(lv, rv)) * 0.8) if c[-1] >= neckline else None


rule("head_shoulders", 40, 90)(lambda w: _head_shoulders(w, True))
rule("inverse_head_shoulders", 40, 90)(lambda w: _head_shoulders(w, False))


def _touches(w: Window, top: bool, n: int) -> Result:
    c = w.c
    found = pivots(c, "high" if top else "low")
    if len(found) < n:
        return None
    picks = found[-n:]
    mean = sum(v for _, v in picks) / n
    if not all(within(v, mean, 0.025) for _, v in picks):
        return None
    span = c[picks[0][0] : picks[-1][0] + 1]
    support, resistance = min(span), max(span)
    if resistance <= support:  # engine guard: a plateau is not a formation
        return None
    if (top and c[-1] > support) or (not top and c[-1] < resistance):
        return None
    return (-1 if top else 1, 0.62 + abs(resistance - support) / max(mean, 1e-9) * 1.8 + (n - 2) * 0.04)


rule("double_top", 30, 90)(lambda w: _touches(w, True, 2))
rule("triple_top", 30, 90)(lambda w: _touches(w, True, 3))
rule("double_bottom", 30, 90)(lambda w: _touches(w, False, 2))
rule("triple_bottom", 30, 90)(lambda w: _touches(w, False, 3))


def _triangle_parts(w: Window) -> tuple[list[float], list[float]] | None:
    ph, pl_ = pivots(w.h, "high"), pivots(w.l, "low")
    if len(ph) < 3 or len(pl_) < 3:
        return None
    return [v for _, v in ph[-3:]], [v for _, v in pl_[-3:]]


def _triangle(w: Window, kind: str) -> Result:
    parts = _triangle_parts(w)
    if parts is None:
        return None
    hs, ls = parts
    sh, sl, close = slope(hs), slope(ls), w.c[-1]
    res, sup = max(hs), min(ls)
    if not (res - sup) / max(close, 1e-9) < 0.08:
        return None
    if kind == "asc":
        ok = abs(sh) < close * 0.002 and sl > 0 and close >= res
        return (1, 0.68 + pct(close, sup) * 0.8) if ok else None
    if kind == "desc":
        ok = abs(sl) < close * 0.002 and sh < 0 and close <= sup
        return (-1, 0.68 + abs(pct(close, res)) * 0.8) if ok else None
    if not (sh < 0 < sl) or not (close > res or close < sup):
        return None
    return (1 if close > res else -1, 0.66 + abs(sh - sl) / max(close, 1e-9) * 5)


rule("ascending_triangle", 35, 60)(lambda w: _triangle(w, "asc"))
rule("descending_triangle", 35, 60)(lambda w: _triangle(w, "desc"))
rule("symmetrical_triangle", 35, 60)(lambda w: _triangle(w, "sym"))


@rule("expanding_triangle", 40, 55)
def _expanding(w: Window) -> Result:
    parts = _triangle_parts(w)
    if parts is None:
        return None
    hs, ls = parts
    if not (hs[0] < hs[-1] and ls[0] > ls[-1]):
        return None
    start, end = hs[0] - ls[0], hs[-1] - ls[-1]
    if start <= 0 or end <= start * 1.15 or not (w.c[-1] > hs[-1] or w.c[-1] < ls[-1]):
        return None
    return (1 if w.c[-1] > hs[-1] else -1, 0.64 + (end - start) / max(abs(start), 1e-9))


def _wedge(w: Window, rising: bool) -> Result:
    h, lo, close = w.h, w.l, w.c[-1]
    sh, sl = slope(h[-15:]), slope(lo[-15:])
    start, end = max(h[:15]) - min(lo[:15]), max(h[-15:]) - min(lo[-15:])
    if start <= 0 or end >= start:
        return None
    conf = 0.64 + (start - end) / start
    if rising:  # fixed: the 4 lows before the current bar
        return (-1, conf) if sh > 0 and sl > 0 and sl > sh and close <= min(lo[-5:-1]) else None
    return (1, conf) if sh < 0 and sl < 0 and sh < sl and close >= max(h[-5:-1]) else None


rule("rising_wedge", 30, 45)(lambda w: _wedge(w, True))
rule("falling_wedge", 30, 45)(lambda w: _wedge(w, False))


def _rectangle(w: Window, top: bool) -> Result:
    ref = w.c[:-1]
    res, sup = max(ref), min(ref)
    comp = (res - sup) / max(w.c[-1], 1e-9)
    highs, lows = pivots(ref, "high"), pivots(ref, "low")
    if comp > 0.08 or len(highs) < 2 or len(lows) < 2:
        return None
    if top:
        return (-1, 0.64 + comp + len(highs) * 0.02) if w.c[-1] < sup else None
    return (1, 0.64 + comp + len(lows) * 0.02) if w.c[-1] > res else None


rule("rectangle_top", 35, 45)(lambda w: _rectangle(w, True))
rule("rectangle_bottom", 35, 45)(lambda w: _rectangle(w, False))


def _broadening(w: Window, top: bool) -> Result:
    h, lo, close = w.h, w.l, w.c[-1]
    start, end = max(h[:20]) - min(lo[:20]), max(h[-20:]) - min(lo[-20:])
    if start <= 0 or end <= start * 1.2:
        return None
    conf = 0.63 + (end - start) / start
    if top:  # fixed: the 7 lows before the current bar
        return (-1, conf) if close < min(lo[-8:-1]) else None
    return (1, conf) if close > max(h[-8:-1]) else None


rule("broadening_top", 40, 50)(lambda w: _broadening(w, True))
rule("broadening_bottom", 40, 50)(lambda w: _broadening(w, False))


def _channel(w: Window, bull: bool) -> Result:
    sh, sl, close = slope(w.h[-18:]), slope(w.l[-18:]), w.c[-1]
    if not within(abs(sh), abs(sl), 0.35):
        return None
    if bull:
        return (1, 0.66 + abs(sh) / max(close, 1e-9) * 8) if sh < 0 and sl < 0 and close > max(w.h[-8:-1]) else None
    return (-1, 0.66 + abs(sl) / max(close, 1e-9) * 8) if sh > 0 and sl > 0 and close < min(w.l[-8:-1]) else None


rule("descending_channel_breakout", 35, 45)(lambda w: _channel(w, True))
rule("ascending_channel_breakdown", 35, 45)(lambda w: _channel(w, False))


def _rounded(w: Window, bottom: bool) -> Result:
    c = w.c
    left, right, mid = fmean(c[:12]), fmean(c[-12:-1]), c[20:-20]
    if not mid or not within(left, right, 0.05):
        return None
    if bottom:
        trough = min(mid)
        ok = trough < min(left, right) * 0.92 and c[-1] > right
        return (1, 0.67 + (min(left, right) - trough) / max(left, 1e-9)) if ok else None
    peak = max(mid)
    ok = peak > max(left, right) * 1.08 and c[-1] < right
    return (-1, 0.67 + (peak - max(left, right)) / max(peak, 1e-9)) if ok else None


rule("rounded_bottom", 55, 70)(lambda w: _rounded(w, True))
rule("rounded_top", 55, 70)(lambda w: _rounded(w, False))


def _diamond(w: Window, bottom: bool) -> Result:
    c = w.c
    lr, mr, rr = spread(c[:18]), spread(c[18:42]), spread(c[42:])
    if lr <= 0 or mr <= lr * 1.1 or rr >= mr * 0.8:
        return None
    conf = 0.66 + (mr - rr) / mr
    if bottom:
        return (1, conf) if min(c[18:42]) == min(c) and c[-1] > max(c[-10:-1]) else None
    return (-1, conf) if max(c[18:42]) == max(c) and c[-1] < min(c[-10:-1]) else None


rule("diamond_bottom", 45, 60)(lambda w: _diamond(w, True))
rule("diamond_top", 45, 60)(lambda w: _diamond(w, False))


@rule("flat_base", 30, 35)
def _flat_base(w: Window) -> Result:
    c = w.c
    advance = pct(c[-15], c[0])
    high, low = max(c[-15:-1]), min(c[-15:-1])
    if advance < 0.06 or (high - low) / max(high, 1e-9) > 0.05 or c[-1] <= high:
        return None
    return 1, 0.68 + advance
