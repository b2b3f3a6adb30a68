"""Causal array helpers for the detectors: every output at bar ``t`` reads only bars ``<= t``.

Conventions: ``lag`` counts bars back from ``t`` (lag 0 is ``t`` itself, so the reference's ``c[-k]``
is lag ``k - 1``); windows that would reach before the first bar give NaN, and every comparison with
NaN is False, so an undefined input never fires a detector.

Sums are accumulated lag by lag in a fixed order, never through a cumulative sum over the whole
history: a bar's value then depends only on the bars in its window, so evaluating the newest bar on
a short tail (the incremental path) gives bit-identical results to evaluating the whole history.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
Reducer = Callable[..., FloatArray]


def lag(x: FloatArray, k: int) -> FloatArray:
    """``x[t - k]`` for every ``t`` (NaN for the first ``k`` bars)."""
    if k == 0:
        return x
    out = np.full(x.shape[0], np.nan)
    if k < x.shape[0]:
        out[k:] = x[:-k]
    return out


def windows(x: FloatArray, width: int, lag_: int = 0) -> FloatArray:
    """Row ``t`` holds ``x[t - lag_ - width + 1 .. t - lag_]`` oldest first (NaN-padded at the start).

    A read-only strided view over one padded copy: O(n) memory whatever the width.
    """
    pad = np.full(width - 1 + lag_, np.nan)
    padded = np.concatenate((pad, x))
    return sliding_window_view(padded, width)[: x.shape[0]]


def _block_extreme(x: FloatArray, width: int, lag_: int, pick: np.ufunc) -> FloatArray:
    """Rolling max/min in O(n) whatever the width (van Herk / Gil-Werman).

    The padded series is cut into blocks of ``width``; a window spans the tail of one block and the
    head of the next, so its extreme is ``pick(suffix[start], prefix[end])`` of within-block running
    extremes. ``np.maximum``/``np.minimum`` propagate NaN, so a window with a missing value is NaN, as
    with the direct reduction; both read only the window's own bars, so results are bit-identical.
    """
    n = x.shape[0]
    padded = np.concatenate((np.full(width - 1 + lag_, np.nan), x))
    blocks = -(-padded.shape[0] // width)
    grid = np.concatenate((padded, np.full(blocks * width - padded.shape[0], np.nan))).reshape(blocks, width)
    prefix = pick.accumulate(grid, axis=1).ravel()
    suffix = pick.accumulate(grid[:, ::-1], axis=1)[:, ::-1].ravel()
    start = np.arange(n)
    result: FloatArray = pick(suffix[start], prefix[start + width - 1])
    return result


def rolling_max(x: FloatArray, width: int, lag_: int = 0) -> FloatArray:
    """Maximum over ``width`` bars ending ``lag_`` bars before ``t`` (NaN if any is missing)."""
    return _block_extreme(x, width, lag_, np.maximum)


def rolling_min(x: FloatArray, width: int, lag_: int = 0) -> FloatArray:
    """Minimum over ``width`` bars ending ``lag_`` bars before ``t`` (NaN if any is missing)."""
    return _block_extreme(x, width, lag_, np.minimum)


def rolling_sum(x: FloatArray, width: int, lag_: int = 0) -> FloatArray:
    """Sum over ``width`` bars ending ``lag_`` bars before ``t``, added newest to oldest."""
    view = windows(x, width, lag_)
    total = view[:, width - 1].copy()
    for column in range(width - 2, -1, -1):
        total += view[:, column]
    return total


def rolling_mean(x: FloatArray, width: int, lag_: int = 0) -> FloatArray:
    """Mean over ``width`` bars ending ``lag_`` bars before ``t``."""
    return rolling_sum(x, width, lag_) / width


def rolling_defined_mean(x: FloatArray, width: int, lag_: int = 0) -> tuple[FloatArray, FloatArray]:
    """(mean of the defined values, count of defined values) over the window; mean 0 when none.

    The reference averages only the non-null indicator values of a window (``average([]) == 0``).
    """
    defined = ~np.isnan(x)
    total = rolling_sum(np.where(defined, x, 0.0), width, lag_)
    count = rolling_sum(defined.astype(np.float64), width, lag_)
    total = np.nan_to_num(total, nan=0.0)
    count = np.nan_to_num(count, nan=0.0)
    mean = np.divide(total, count, out=np.zeros_like(total), where=count > 0)
    return mean, count


def rolling_slope(x: FloatArray, width: int, lag_: int = 0) -> FloatArray:
    """Least-squares slope of the window's values against 0..width-1 (reference ``linear_slope``).

    Written as a sum of symmetric differences ``(x[hi] - x[lo])``, so a flat window has a slope of
    exactly 0 and a monotone window a slope of the right sign, free of rounding noise.
    """
    view = windows(x, width, lag_)
    centre = (width - 1) / 2.0
    denominator = sum((k - centre) ** 2 for k in range(width))
    numerator = np.zeros(x.shape[0])
    for k in range(width // 2):
        numerator += (width - 1 - k - centre) * (view[:, width - 1 - k] - view[:, k])
    return numerator / denominator


def pct(current: FloatArray, previous: FloatArray) -> FloatArray:
    """``(current - previous) / previous``, 0 where ``previous == 0`` (reference ``pct_change``)."""
    safe = np.where(previous == 0, 1.0, previous)
    return np.where(previous == 0, 0.0, (current - previous) / safe)


def within(a: FloatArray, b: FloatArray, tolerance: float) -> BoolArray:
    """``|a - b| / max(|a|, |b|, 1e-9) <= tolerance`` (equal values always match)."""
    base = np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-9)
    return (a == b) | (np.abs(a - b) / base <= tolerance)


def floor_div(numerator: FloatArray, denominator: FloatArray | float) -> FloatArray:
    """``numerator / max(denominator, 1e-9)``: the reference's guard against empty ranges."""
    return numerator / np.maximum(denominator, 1e-9)


def volume_ratio(volume: FloatArray, slice_bars: int) -> FloatArray:
    """Reference ``volume_ratio`` on a ``slice_bars``-bar slice ending at ``t``.

    Latest volume over the mean of the (up to 20) volumes before it inside the slice; 0 when that
    mean is not positive. The engine only emits from bar 29 on, so slices are always complete.
    """
    baseline = rolling_mean(volume, min(20, slice_bars - 1), 1)
    safe = np.where(baseline > 0, baseline, 1.0)
    return np.where(baseline > 0, volume / safe, 0.0)


def _reduce(values: FloatArray, how: str) -> float:
    if values.size == 0 or np.isnan(values).any():
        return float("nan")
    if how == "max":
        return float(values.max())
    if how == "min":
        return float(values.min())
    return float(values.mean())


def _rolling(x: FloatArray, width: int, lag_: int, how: str) -> FloatArray:
    if how == "max":
        return rolling_max(x, width, lag_)
    if how == "min":
        return rolling_min(x, width, lag_)
    return rolling_mean(x, width, lag_)


def head_segment(x: FloatArray, window: int, start: int, stop: int, how: str) -> FloatArray:
    """Reduce ``window_slice[start:stop]`` where the slice is the last ``window`` bars up to ``t``.

    For a full window the segment sits ``window - stop`` bars back; while fewer than ``window`` bars
    exist the slice starts at the first bar, so the segment is the constant ``x[start:stop]``.
    """
    out = _rolling(x, stop - start, window - stop, how)
    early = min(window - 1, x.shape[0])
    out[:early] = _reduce(x[start:stop], how)
    return out


def tail_from(x: FloatArray, window: int, start: int, end_lag: int, how: str) -> FloatArray:
    """Reduce ``window_slice[start : len - end_lag]`` (from a fixed offset to ``end_lag`` bars before ``t``).

    Short windows (the first ``window - 1`` bars) grow from bar ``start`` to ``t - end_lag``.
    """
    out = _rolling(x, window - start - end_lag, end_lag, how)
    early = min(window - 1, x.shape[0])
    for t in range(early):  # bounded by the window length, never the history
        out[t] = _reduce(x[start : t - end_lag + 1], how) if t - end_lag >= start else np.nan
    return out


def bar_index(n: int) -> IntArray:
    """``0..n-1`` as int64 (bar positions)."""
    return np.arange(n, dtype=np.int64)
