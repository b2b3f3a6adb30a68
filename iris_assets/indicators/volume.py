"""Volume indicators: OBV, volume SMA, relative volume (the reference's ``vr``), MFI and VWAP."""

from __future__ import annotations

import numpy as np

from ._core import ArrayInput, BoolArray, FloatArray, as_float, is_zero_scaled, nan_array, zero_guarded_ratio
from ._sums import running_mean, segmented_cumsum, window_operations


def obv(close: ArrayInput, volume: ArrayInput) -> FloatArray:
    """``talib.OBV``: starts at the first volume; adds (subtracts) volume on up (down) closes.

    TA-Lib accumulates the signed volumes one by one, which ``cumsum`` reproduces bit for bit.
    """
    c, v = as_float(close), as_float(volume)
    signed = np.empty_like(v)
    if v.shape[0]:
        signed[0] = v[0]
        # sign() is exactly +-1 or 0, so the product is exactly +v, -v or 0 as TA-Lib adds them.
        np.multiply(v[1:], np.sign(c[1:] - c[:-1]), out=signed[1:])
    out: FloatArray = np.cumsum(signed, out=signed)
    return out


def volume_sma(volume: ArrayInput, period: int = 20) -> FloatArray:
    """TA-Lib SMA of volume (``average_volume_20`` in the reference, with TA-Lib's warm-up)."""
    return running_mean(as_float(volume), period)


def relative_volume(volume: ArrayInput, period: int = 20) -> FloatArray:
    """``talib.RVOL``, the reference's ``vr``: volume / mean of the ``period`` volumes before it.

    First value at bar ``period``. Where the prior volumes are all 0 TA-Lib returns inf or NaN; this
    returns NaN (null) there instead of a non-finite ratio.
    """
    if period < 1:
        raise ValueError(f"period must be >= 1, got {period}")
    v = as_float(volume)
    out = nan_array(v.shape[0])
    if v.shape[0] > period:
        prior_mean = running_mean(v, period)[period - 1 : -1]
        with np.errstate(divide="ignore", invalid="ignore"):
            out[period:] = v[period:] / prior_mean
        out[~np.isfinite(out)] = np.nan
    return out


def mfi(
    high: ArrayInput,
    low: ArrayInput,
    close: ArrayInput,
    volume: ArrayInput,
    period: int = 14,
) -> FloatArray:
    """``talib.MFI``: money-flow index from bar ``period``, 0.0 when the window carries no flow.

    As TA-Lib 0.8 computes it: the money flow ``volume * typical`` counts as positive (negative) when
    the typical price rose (fell) by more than 1e-14 of the two prices' size, otherwise as none. Both
    window sums are running totals (subtract the oldest entry, add the new one), which restart from
    exactly 0 once ``period`` consecutive bars carried no flow; the ratio uses the positive sum
    clamped to ``[0, total]``.
    """
    if period < 2:
        raise ValueError(f"period must be >= 2, got {period}")
    typical = (as_float(high) + as_float(low) + as_float(close)) / 3.0
    out = nan_array(typical.shape[0])
    if typical.shape[0] <= period:
        return out
    current, previous = typical[1:], typical[:-1]
    change = current - previous
    unchanged = is_zero_scaled(change, np.abs(current) + np.abs(previous))
    flow = as_float(volume)[1:] * current
    positive = np.where(~unchanged & (change > 0.0), flow, 0.0)
    negative = np.where(~unchanged & (change < 0.0), flow, 0.0)
    # Length of the run of flow-less bars ending at each bar (bar 0 only seeds the typical price).
    empty = unchanged | (flow == 0.0)
    bars = np.arange(1, typical.shape[0])
    run = bars - np.maximum.accumulate(np.where(empty, 0, bars))
    reset = run >= period
    positive_sum = _flow_sums(positive, period, reset)
    negative_sum = _flow_sums(negative, period, reset)
    total = positive_sum + negative_sum
    numerator = np.where(positive_sum < 0.0, 0.0, np.minimum(total, positive_sum))
    ratio = np.where(total > 0.0, numerator / np.where(total > 0.0, total, 1.0) * 100.0, 0.0)
    out[period:] = ratio[period - 1 :]
    return out


def _flow_sums(entries: FloatArray, period: int, reset: BoolArray) -> FloatArray:
    """MFI's running window sum per bar (entries from bar 1), restarted at TA-Lib's reset bars."""
    operations = window_operations(entries, period)
    # Bar k+1's total is read after its addition: operation k in the seed part, then every other one.
    full_windows = period - 1 + 2 * np.arange(entries.shape[0] - period + 1)
    read_at = np.concatenate((np.arange(period - 1), full_windows))
    starts = reset & ~np.concatenate(([False], reset[:-1]))
    restart = np.zeros(operations.shape[0] + 1, dtype=np.bool_)
    restart[read_at[starts] + 1] = True
    totals = segmented_cumsum(operations, restart[: operations.shape[0]])[read_at]
    totals[reset] = 0.0
    return totals


def vwap(high: ArrayInput, low: ArrayInput, close: ArrayInput, volume: ArrayInput) -> FloatArray:
    """``talib.VWAP``: cumulative typical-price VWAP from the first bar; 0.0 until volume appears."""
    typical = (as_float(high) + as_float(low) + as_float(close)) / 3.0
    v = as_float(volume)
    return zero_guarded_ratio(np.cumsum(typical * v), np.cumsum(v))
