"""Momentum oscillators with TA-Lib's formulas and warm-up: RSI, STOCH, STOCHRSI, CCI, WILLR, ROC, MOM."""

from __future__ import annotations

import numpy as np

from ._core import (
    ArrayInput,
    EwmJob,
    FloatArray,
    as_float,
    is_zero_scaled,
    nan_array,
    run_ewm,
    zero_guarded_ratio,
)
from ._sums import running_mean, sequential_sum


def _check_period(period: int, minimum: int = 2) -> None:
    if period < minimum:
        raise ValueError(f"period must be >= {minimum}, got {period}")


def rsi_jobs(values: FloatArray, period: int) -> tuple[EwmJob, EwmJob]:
    """Wilder's average gain and loss, seeded with the plain means of the first ``period`` changes."""
    change = nan_array(values.shape[0])
    change[1:] = values[1:] - values[:-1]
    gains = np.maximum(change, 0.0)  # TA-Lib adds non-negative changes to the gains...
    losses = np.maximum(-change, 0.0)  # ...and subtracts negative ones from the losses
    enough = values.shape[0] > period
    gain_seed = sequential_sum(gains[1 : period + 1]) / float(period) if enough else 0.0
    loss_seed = sequential_sum(losses[1 : period + 1]) / float(period) if enough else 0.0
    alpha = 1.0 / float(period)
    return EwmJob(gains, alpha, period, gain_seed), EwmJob(losses, alpha, period, loss_seed)


def rsi_from_averages(average_gain: FloatArray, average_loss: FloatArray) -> FloatArray:
    """``100 * gain / (gain + loss)``; TA-Lib returns 0.0 when both averages are 0 (a flat series)."""
    return zero_guarded_ratio(average_gain, average_gain + average_loss, scale=100.0)


def rsi(values: ArrayInput, period: int = 14) -> FloatArray:
    """``talib.RSI``: first value at bar ``period``; a constant series gives 0.0, not 100."""
    _check_period(period)
    gain, loss = run_ewm(rsi_jobs(as_float(values), period))
    return rsi_from_averages(gain, loss)


def rolling_extreme(values: FloatArray, period: int, *, highest: bool) -> FloatArray:
    """Max (or min) over each ``period`` window ending at a bar; NaN for the first ``period - 1`` bars."""
    pick = np.maximum if highest else np.minimum
    length = values.shape[0]
    out = nan_array(length)
    if length < period:
        return out
    # Doubling: level[i] is the extreme of values[i : i + span]; two overlapping spans cover a window.
    level, span = values, 1
    while span * 2 <= period:
        level = pick(level[:-span], level[span:])
        span *= 2
    count = length - period + 1
    out[period - 1 :] = pick(level[:count], level[period - span : period - span + count])
    return out


def _range_position(
    value: FloatArray, highest: FloatArray, lowest: FloatArray, anchor: FloatArray, scale: float
) -> FloatArray:
    """``((value - anchor) / (HH - LL)) * scale``, 0.0 for a flat window.

    TA-Lib 0.8 calls a window flat when ``|HH - LL| <= 1e-14 * (|HH| + |LL|)`` (a relative test, so
    instruments quoted far below 1.0 are not zeroed).
    """
    spread = highest - lowest
    flat = is_zero_scaled(spread, np.abs(highest) + np.abs(lowest))
    ratio = ((value - anchor) / np.where(flat, 1.0, spread)) * scale
    ratio[flat] = 0.0
    return ratio


def fast_k(high: FloatArray, low: FloatArray, close: FloatArray, period: int) -> FloatArray:
    """Stochastic %K ``((C - LL) / (HH - LL)) * 100`` over ``period`` bars, as in ``TA_STOCH``."""
    highest = rolling_extreme(high, period, highest=True)
    lowest = rolling_extreme(low, period, highest=False)
    return _range_position(close, highest, lowest, lowest, 100.0)


def _sma_from(values: FloatArray, start: int, period: int) -> FloatArray:
    """TA-Lib's SMA of a derived series whose first defined value is at ``start``."""
    out = nan_array(values.shape[0])
    if values.shape[0] > start:
        out[start:] = running_mean(values[start:], period)
    return out


def stoch(
    high: ArrayInput,
    low: ArrayInput,
    close: ArrayInput,
    fastk_period: int = 5,
    slowk_period: int = 3,
    slowd_period: int = 3,
) -> tuple[FloatArray, FloatArray]:
    """``talib.STOCH`` with SMA smoothing: ``(slowk, slowd)``, both from bar ``fastk+slowk+slowd-3``."""
    _check_period(fastk_period, 1)
    _check_period(slowk_period, 1)
    _check_period(slowd_period, 1)
    raw = fast_k(as_float(high), as_float(low), as_float(close), fastk_period)
    slow_k = _sma_from(raw, fastk_period - 1, slowk_period)
    slow_d = _sma_from(slow_k, fastk_period + slowk_period - 2, slowd_period)
    slow_k[: min(fastk_period + slowk_period + slowd_period - 3, slow_k.shape[0])] = np.nan
    return slow_k, slow_d


def stochrsi(
    values: ArrayInput, period: int = 14, fastk_period: int = 5, fastd_period: int = 3
) -> tuple[FloatArray, FloatArray]:
    """``talib.STOCHRSI`` (SMA %D): the fast stochastic of RSI, ``(fastk, fastd)``."""
    _check_period(period)
    _check_period(fastk_period, 1)
    _check_period(fastd_period, 1)
    line = rsi(values, period)
    k = fast_k(line, line, line, fastk_period)
    k[: min(period + fastk_period - 1, k.shape[0])] = np.nan
    d = _sma_from(k, period + fastk_period - 1, fastd_period)
    k[: min(period + fastk_period + fastd_period - 2, k.shape[0])] = np.nan
    return k, d


def cci(high: ArrayInput, low: ArrayInput, close: ArrayInput, period: int = 14) -> FloatArray:
    """``talib.CCI``: ``(TP - SMA(TP)) / (0.015 * mean |TP - SMA(TP)|)`` over the window.

    TA-Lib sums its circular buffer slot by slot, so each window is added in slot order: first the
    bars from the last multiple of ``period`` up to the current bar, then the older rest of the
    window. Grouping the bars by ``index mod period`` turns every term into a strided slice.
    """
    _check_period(period)
    typical = (as_float(high) + as_float(low) + as_float(close)) / 3.0
    length = typical.shape[0]
    out = nan_array(length)
    if length < period:
        return out
    average = np.empty(length)
    deviation = np.empty(length)
    for residue in range(period):
        first = period - 1 + (residue - period + 1) % period  # first bar >= period-1 with this residue
        count = len(range(first, length, period))
        if count == 0:
            continue
        # Slot j holds bar (t - residue + j) for j <= residue, else (t - residue + j - period).
        offsets = [j if j <= residue else j - period for j in range(period)]
        terms = [typical[first - residue + offset :: period][:count] for offset in offsets]
        total = np.zeros(count)
        for term in terms:
            total += term
        mean = total / float(period)
        spread = np.zeros(count)
        for term in terms:
            spread += np.abs(term - mean)
        average[first::period] = mean
        deviation[first::period] = spread / float(period)
    distance = typical[period - 1 :] - average[period - 1 :]
    dispersion = deviation[period - 1 :]
    # TA-Lib 0.8 treats both as zero within 1e-14 of the window's price level (a flat window).
    level = np.abs(average[period - 1 :])
    flat = is_zero_scaled(distance, level) | is_zero_scaled(dispersion, level)
    with np.errstate(divide="ignore", invalid="ignore"):
        out[period - 1 :] = distance / (0.015 * dispersion)
    out[period - 1 :][flat] = 0.0
    return out


def willr(high: ArrayInput, low: ArrayInput, close: ArrayInput, period: int = 14) -> FloatArray:
    """``talib.WILLR``: ``((HH - C) / (HH - LL)) * -100``, 0.0 for a flat window."""
    _check_period(period)
    highest = rolling_extreme(as_float(high), period, highest=True)
    lowest = rolling_extreme(as_float(low), period, highest=False)
    return _range_position(highest, highest, lowest, as_float(close), -100.0)


def mom(values: ArrayInput, period: int = 10) -> FloatArray:
    """``talib.MOM``: ``x[t] - x[t - period]``."""
    _check_period(period, 1)
    data = as_float(values)
    out = nan_array(data.shape[0])
    out[period:] = data[period:] - data[:-period]
    return out


def roc(values: ArrayInput, period: int = 10) -> FloatArray:
    """``talib.ROC``: ``(x[t] / x[t - period] - 1) * 100``, 0.0 where the older value is 0."""
    _check_period(period, 1)
    data = as_float(values)
    out = nan_array(data.shape[0])
    if data.shape[0] > period:
        previous = data[:-period]
        safe = np.where(previous == 0.0, 1.0, previous)
        out[period:] = np.where(previous == 0.0, 0.0, ((data[period:] / safe) - 1.0) * 100.0)
    return out
