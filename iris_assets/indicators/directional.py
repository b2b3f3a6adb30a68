"""Wilder's directional movement system: +DI, -DI, DX and ADX exactly as TA-Lib formulates them.

TA-Lib keeps Wilder *sums* (``S = S - S/n + x``) seeded with the first ``n - 1`` one-bar values.
Dividing every sum by ``n`` turns that into an ordinary recursion ``A = A + (x - A)/n`` seeded with
``sum/n``, which ``run_ewm`` evaluates; the DI ratios are unchanged because both legs share the scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._core import ArrayInput, EwmJob, FloatArray, add_decaying_term, as_float, nan_array, run_ewm
from ._sums import sequential_sum
from .volatility import true_range


def directional_movement(high: FloatArray, low: FloatArray) -> tuple[FloatArray, FloatArray]:
    """One-bar ``(+DM, -DM)``: TA-Lib's cases (the larger positive move wins; ties give 0 to both)."""
    plus = nan_array(high.shape[0])
    minus = nan_array(high.shape[0])
    if high.shape[0] > 1:
        up = high[1:] - high[:-1]
        down = low[:-1] - low[1:]
        # Multiplying by the condition keeps the move exactly (x * 1.0) or gives 0, without a branchy where().
        np.multiply(down, (down > 0) & (up < down), out=minus[1:])
        np.multiply(up, (up > 0) & (up > down), out=plus[1:])
    return plus, minus


def wilder_sum_job(one_bar: FloatArray, period: int) -> EwmJob:
    """The scaled Wilder sum ``S/n``: seeded at bar ``period - 1`` with the bars ``1..period-1``."""
    seed = sequential_sum(one_bar[1:period]) / float(period) if one_bar.shape[0] >= period else 0.0
    return EwmJob(one_bar, 1.0 / float(period), period - 1, seed)


def wilder_sum_from_atr(atr_values: FloatArray, tr: FloatArray, period: int) -> FloatArray:
    """The scaled TR sum of ADX/DI derived from an ATR series instead of a second recursion.

    Both run ``A = A + (TR - A)/n``; ATR starts at bar ``n`` from mean(TR[1..n]) while the DI sum
    starts one bar earlier from sum(TR[1..n-1])/n, so at bar ``n`` the DI sum is lower by
    ``sum(TR[1..n-1])/n**2`` and that gap then shrinks by ``(1 - 1/n)`` per bar.
    """
    out = atr_values.copy()
    if tr.shape[0] > period:
        partial = sequential_sum(tr[1:period]) / float(period)
        out[period - 1] = partial
        add_decaying_term(out, period, -partial / float(period), 1.0 - 1.0 / float(period))
    return out


@dataclass(frozen=True, slots=True)
class DirectionalLines:
    """+DI and -DI (TA-Lib ``PLUS_DI``/``MINUS_DI``) and DX (NaN where TA-Lib leaves DX undefined)."""

    plus_di: FloatArray
    minus_di: FloatArray
    dx: FloatArray


def directional_lines(
    plus_sum: FloatArray,
    minus_sum: FloatArray,
    tr_sum: FloatArray,
    period: int,
) -> DirectionalLines:
    """DI and DX from the scaled Wilder sums; DI is 0.0 where the TR sum is 0 (flat market)."""
    length = tr_sum.shape[0]
    flat = tr_sum == 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        plus_di = 100.0 * (plus_sum / tr_sum)
        minus_di = 100.0 * (minus_sum / tr_sum)
        total = minus_di + plus_di
        dx = 100.0 * (np.abs(minus_di - plus_di) / total)
    dx[flat | (total == 0.0)] = np.nan
    plus_di[flat] = 0.0
    minus_di[flat] = 0.0
    warmup = min(period, length)
    for line in (plus_di, minus_di, dx):
        line[:warmup] = np.nan
    return DirectionalLines(plus_di, minus_di, dx)


def adx_job(dx: FloatArray, period: int) -> EwmJob:
    """ADX recursion: seeded at ``2n - 1`` with sum(DX[n..2n-1]) / n (undefined DX add nothing)."""
    seed_index = 2 * period - 1
    window = dx[period : seed_index + 1]
    seed = sequential_sum(np.nan_to_num(window, nan=0.0)) / float(period) if dx.shape[0] > seed_index else 0.0
    return EwmJob(dx, 1.0 / float(period), seed_index, seed, skip_nan=True)


def directional_sums(
    high: FloatArray, low: FloatArray, tr: FloatArray, period: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The three scaled Wilder sums ``(+DM, -DM, TR)`` that every directional indicator starts from."""
    plus_dm, minus_dm = directional_movement(high, low)
    plus, minus, tr_sum = run_ewm(
        [wilder_sum_job(plus_dm, period), wilder_sum_job(minus_dm, period), wilder_sum_job(tr, period)]
    )
    return plus, minus, tr_sum


def _lines(high: ArrayInput, low: ArrayInput, close: ArrayInput, period: int) -> DirectionalLines:
    if period < 2:
        raise ValueError(f"period must be >= 2, got {period}")
    h, lo, c = as_float(high), as_float(low), as_float(close)
    plus, minus, tr_sum = directional_sums(h, lo, true_range(h, lo, c), period)
    return directional_lines(plus, minus, tr_sum, period)


def plus_di(high: ArrayInput, low: ArrayInput, close: ArrayInput, period: int = 14) -> FloatArray:
    """``talib.PLUS_DI``: first value at bar ``period``."""
    return _lines(high, low, close, period).plus_di


def minus_di(high: ArrayInput, low: ArrayInput, close: ArrayInput, period: int = 14) -> FloatArray:
    """``talib.MINUS_DI``: first value at bar ``period``."""
    return _lines(high, low, close, period).minus_di


def adx_from_dx(dx: FloatArray, period: int) -> FloatArray:
    """ADX from a DX series; bars with undefined DX keep the previous ADX, as in TA-Lib."""
    return run_ewm([adx_job(dx, period)])[0]


def adx(high: ArrayInput, low: ArrayInput, close: ArrayInput, period: int = 14) -> FloatArray:
    """``talib.ADX``: first value at bar ``2 * period - 1``."""
    return adx_from_dx(_lines(high, low, close, period).dx, period)
