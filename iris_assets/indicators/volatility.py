"""Volatility indicators: true range, ATR/NATR (Wilder) and Bollinger Bands, as TA-Lib defines them."""

from __future__ import annotations

import numpy as np

from ._core import ArrayInput, EwmJob, FloatArray, as_float, nan_array, run_ewm, zero_guarded_ratio
from ._sums import running_mean, sequential_sum

# Bollinger variance is recomputed around a fresh reference every BLOCK bars: short blocks keep the
# shifted values small, so the cumulative sums lose nothing to cancellation (see ``rolling_variance``).
_VARIANCE_BLOCK = 256


def true_range(high: ArrayInput, low: ArrayInput, close: ArrayInput) -> FloatArray:
    """``talib.TRANGE``: ``max(H-L, |H-C[-1]|, |L-C[-1]|)`` from bar 1 (bar 0 has no previous close)."""
    h, lo, c = as_float(high), as_float(low), as_float(close)
    out = nan_array(h.shape[0])
    if h.shape[0] > 1:
        previous = c[:-1]
        out[1:] = np.maximum(np.maximum(h[1:] - lo[1:], np.abs(previous - h[1:])), np.abs(previous - lo[1:]))
    return out


def atr_job(tr: FloatArray, period: int) -> EwmJob:
    """Wilder's ATR recursion; TA-Lib seeds it with the mean of TR[1..period] at bar ``period``."""
    seed = sequential_sum(tr[1 : period + 1]) / float(period) if tr.shape[0] > period else 0.0
    return EwmJob(tr, 1.0 / float(period), period, seed)


def atr(high: ArrayInput, low: ArrayInput, close: ArrayInput, period: int = 14) -> FloatArray:
    """``talib.ATR``: first value at bar ``period``; ``period == 1`` is the true range itself."""
    if period < 1:
        raise ValueError(f"period must be >= 1, got {period}")
    tr = true_range(high, low, close)
    if period == 1:
        return tr
    return run_ewm([atr_job(tr, period)])[0]


def natr_from_atr(atr_values: FloatArray, close: FloatArray) -> FloatArray:
    """``talib.NATR`` from an ATR series: ``ATR / close * 100``, 0.0 where the close is exactly 0."""
    return zero_guarded_ratio(atr_values, close, scale=100.0)


def natr(high: ArrayInput, low: ArrayInput, close: ArrayInput, period: int = 14) -> FloatArray:
    """Normalised ATR in percent of the close (``talib.NATR``)."""
    return natr_from_atr(atr(high, low, close, period), as_float(close))


def rolling_variance(values: FloatArray, period: int) -> FloatArray:
    """Population variance of each ``period`` window (NaN for the first ``period - 1`` bars).

    TA-Lib 0.8's ``TA_VAR`` sums values shifted by a reference and re-centres on a data-dependent
    schedule; that schedule is inherently sequential, so its bits cannot be reproduced vectorised.
    This uses the same idea per block of ``_VARIANCE_BLOCK`` outputs: values are shifted by the first
    value of their block, the shifted values and their squares are accumulated together (as one
    complex cumsum) along overlapping rows, and ``E[d^2] - E[d]^2`` is taken on the small shifted
    values. Agreement with TA-Lib is ~1e-13 relative; exactly flat windows give exactly 0 like TA-Lib.
    """
    length = values.shape[0]
    out = nan_array(length)
    if period < 1 or length < period:
        return out
    first, block = period - 1, _VARIANCE_BLOCK
    count = length - first
    blocks = -(-count // block)
    padded = np.concatenate((values, np.full(blocks * block + first - length, values[-1])))
    # Row b: the inputs of outputs [first + b*block, first + (b+1)*block) including their windows.
    rows = np.lib.stride_tricks.as_strided(padded, shape=(blocks, block + first), strides=(block * 8, 8))
    shifted = rows - rows[:, :1]
    moments = np.zeros((blocks, block + first + 1), dtype=np.complex128)
    moments.real[:, 1:] = shifted
    np.multiply(shifted, shifted, out=moments.imag[:, 1:])
    np.cumsum(moments, axis=1, out=moments)
    window = (moments[:, period:] - moments[:, :-period]).reshape(-1)[:count]
    mean = window.real / period
    variance = window.imag / period - mean * mean
    # Flat windows (TA-Lib: exactly 0) leave only rounding residue here, tiny against E[d^2].
    suspects = np.flatnonzero(variance <= 1e-9 * (window.imag / period))
    if suspects.size:
        members = values[suspects[:, None] + np.arange(period)[None, :]]
        flat = (members == members[:, :1]).all(axis=1)
        variance[suspects[flat]] = 0.0
    np.maximum(variance, 0.0, out=variance)
    out[first:] = variance
    return out


def bollinger_bands(
    values: ArrayInput, period: int = 20, deviations: float = 2.0, *, middle: FloatArray | None = None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``talib.BBANDS`` with an SMA middle band: ``(upper, middle, lower)``, population deviation.

    ``middle`` may pass an already computed ``sma(values, period)`` (it is bit-identical to it).
    """
    if period < 2:
        raise ValueError(f"period must be >= 2, got {period}")
    data = as_float(values)
    if middle is None:
        middle = running_mean(data, period)
    spread = np.sqrt(rolling_variance(data, period)) * deviations
    return middle + spread, middle, middle - spread


def bollinger_width(upper: FloatArray, middle: FloatArray, lower: FloatArray) -> FloatArray:
    """The reference's band width ``(upper - lower) / middle``; NaN (null) where the middle band is 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        width: FloatArray = (upper - lower) / middle
    width[middle == 0.0] = np.nan
    return width
