"""Shared statistics of the detectors (reference §4.3), vectorised over many evaluation bars at once.

A detector evaluated at bar ``t`` reads a trailing window of some series. Instead of looping over
bars, ``windows`` stacks every evaluated bar's window into one ``(bars, width)`` matrix, padding
short windows (the start of a history) with NaN on the left. All ``row_*`` reductions ignore NaN, so
one matrix row reproduces exactly the reference's computation on that bar's (possibly shorter) list.
A row depends only on its own window, which is what makes the history scan free of look-ahead.

Conventions, as in the reference: standard deviations are **population** stds and are 0 below two
values; a z-score is ``|x − mean| / std`` and 0 (or a detector-specific fallback) when std is 0;
``percentile_rank`` is the share of values ``≤`` the target; ratios with a non-positive denominator
are 0.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from iris_assets.anomalies.series import BoolArray, FloatArray, IntArray


def clamp01(values: FloatArray) -> FloatArray:
    """Clip to [0, 1]."""
    return np.clip(values, 0.0, 1.0)


def scale(values: FloatArray, low: float, high: float) -> FloatArray:
    """``clamp((v − low)/(high − low), 0, 1)``: where a value sits between two anchors."""
    return np.clip((values - low) / (high - low), 0.0, 1.0)


def ratio(numerator: FloatArray, denominator: FloatArray, *, default: float = 0.0) -> FloatArray:
    """``numerator / denominator`` where the denominator is positive, else ``default``."""
    positive = denominator > 0
    return np.where(positive, numerator / np.where(positive, denominator, 1.0), default)


def divide_nonzero(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    """``numerator / denominator`` where the denominator is non-zero, else 0."""
    nonzero = denominator != 0
    return np.where(nonzero, numerator / np.where(nonzero, denominator, 1.0), 0.0)


def simple_returns(close: FloatArray) -> FloatArray:
    """``r_i = (C_i − C_{i−1}) / C_{i−1}`` (0 after a zero close); ``r_0`` is NaN: it has no previous bar."""
    result = np.full(close.shape[0], np.nan)
    if close.shape[0] > 1:
        result[1:] = divide_nonzero(close[1:] - close[:-1], close[:-1])
    return result


def true_range(high: FloatArray, low: FloatArray, close: FloatArray) -> FloatArray:
    """``TR_0 = H − L``, ``TR_i = max(H − L, |H − C_{i−1}|, |L − C_{i−1}|)``."""
    result = high - low
    if close.shape[0] > 1:
        previous = close[:-1]
        result[1:] = np.maximum.reduce([result[1:], np.abs(high[1:] - previous), np.abs(low[1:] - previous)])
    return result


def windows(values: FloatArray, ends: IntArray, width: int, lengths: IntArray | None = None) -> FloatArray:
    """Row ``i`` holds ``values[ends[i] − width + 1 : ends[i] + 1]``, NaN before index 0.

    With ``lengths``, only the last ``lengths[i]`` entries of row ``i`` are kept (the rest become NaN):
    that is how a bar near the start of the history sees its shorter window.
    """
    padded = np.concatenate((np.full(width, np.nan), values))
    # An end before the series (negative) selects the all-NaN first window rather than wrapping around.
    rows = sliding_window_view(padded, width)[np.maximum(np.asarray(ends), -1) + 1]
    # Bars whose window is full keep every entry: the mask is only built when some bar is short.
    if lengths is not None and rows.shape[0] and int(np.min(lengths)) < width:
        rows = np.where(np.arange(width)[None, :] >= (width - np.asarray(lengths))[:, None], rows, np.nan)
    return np.ascontiguousarray(rows)


def _nan_mask(matrix: FloatArray) -> BoolArray | None:
    """Where ``matrix`` is NaN, or None when it holds no NaN (the common case: full windows)."""
    mask = np.isnan(matrix)
    return mask if mask.any() else None


def _count(matrix: FloatArray, mask: BoolArray | None) -> IntArray:
    if mask is None:
        return np.full(matrix.shape[0], matrix.shape[1], dtype=np.intp)
    return np.sum(~mask, axis=1)


def _nansum(matrix: FloatArray, mask: BoolArray | None) -> FloatArray:
    # The same values in the same layout as ``np.nansum``'s NaN-to-zero copy, so the same sums to the bit.
    return (matrix if mask is None else np.where(mask, 0.0, matrix)).sum(axis=1)


def _mean(matrix: FloatArray, mask: BoolArray | None, count: IntArray) -> FloatArray:
    return np.where(count > 0, _nansum(matrix, mask) / np.maximum(count, 1), 0.0)


def _std(matrix: FloatArray, count: IntArray, mean: FloatArray) -> FloatArray:
    deviations = matrix - mean[:, None]
    squares = deviations * deviations
    # Masked afresh: an infinite entry turns its whole row's deviations NaN, which ``nansum`` skips.
    variance = _nansum(squares, _nan_mask(squares)) / np.maximum(count, 1)
    return np.where(count >= 2, np.sqrt(variance), 0.0)


def row_count(matrix: FloatArray) -> IntArray:
    """Non-NaN entries per row."""
    return _count(matrix, _nan_mask(matrix))


def row_mean(matrix: FloatArray) -> FloatArray:
    """Mean of each row's non-NaN entries (0 for an empty row)."""
    mask = _nan_mask(matrix)
    return _mean(matrix, mask, _count(matrix, mask))


def row_mean_std(matrix: FloatArray) -> tuple[FloatArray, FloatArray]:
    """``row_mean`` and ``row_std`` of the same matrix, sharing the NaN scan and the mean."""
    mask = _nan_mask(matrix)
    count = _count(matrix, mask)
    mean = _mean(matrix, mask, count)
    return mean, _std(matrix, count, mean)


def row_std(matrix: FloatArray) -> FloatArray:
    """Population std of each row's non-NaN entries (0 below two entries)."""
    return row_mean_std(matrix)[1]


def row_zscore(current: FloatArray, matrix: FloatArray, fallback: FloatArray | None = None) -> FloatArray:
    """``|current − mean(row)| / std(row)``; where std is 0, ``fallback`` (default 0)."""
    mean, std = row_mean_std(matrix)
    return zscore_of(current, mean, std, fallback)


def row_percentile_rank(matrix: FloatArray, target: FloatArray) -> FloatArray:
    """Share of each row's non-NaN entries that are ``≤`` its target (0 for an empty row)."""
    count = row_count(matrix)
    hits = np.sum(matrix <= target[:, None], axis=1)  # NaN compares False, so padding never counts
    return np.where(count > 0, hits / np.maximum(count, 1), 0.0)


def row_median(matrix: FloatArray) -> FloatArray:
    """Median of each row's non-NaN entries (mean of the middle two for an even count; 0 when empty).

    One row sort (NaN sorts last) and the two middle entries ``(low + high) / 2``: the arithmetic of
    ``np.nanmedian`` on short rows, at a tenth of its cost.
    """
    if matrix.shape[1] == 0:
        return np.zeros(matrix.shape[0])
    ordered = np.sort(matrix, axis=1)
    count = row_count(matrix)
    high = count // 2
    low = np.where(count % 2 == 1, high, high - 1)
    rows = np.arange(matrix.shape[0])
    clip = matrix.shape[1] - 1
    median = (ordered[rows, np.clip(low, 0, clip)] + ordered[rows, np.clip(high, 0, clip)]) / 2.0
    return np.where(count > 0, median, 0.0)


def zscore_of(current: FloatArray, mean: FloatArray, std: FloatArray, fallback: FloatArray | None = None) -> FloatArray:
    """``row_zscore`` from a row mean and std computed already (``row_mean_std``)."""
    default = np.zeros_like(std) if fallback is None else fallback
    return np.where(std > 0, np.abs(current - mean) / np.where(std > 0, std, 1.0), default)


def row_covariance(left: FloatArray, right: FloatArray) -> FloatArray:
    """Population covariance of two equally masked matrices, row by row (0 below two pairs)."""
    return row_moments(left, right)[2]


def row_moments(left: FloatArray, right: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``row_std(left)``, ``row_std(right)`` and ``row_covariance(left, right)``, sharing the means."""
    left_mask = _nan_mask(left)
    left_count = _count(left, left_mask)
    left_mean = _mean(left, left_mask, left_count)
    right_mask = _nan_mask(right)
    right_count = _count(right, right_mask)
    right_mean = _mean(right, right_mask, right_count)
    products = (left - left_mean[:, None]) * (right - right_mean[:, None])
    covariance = np.where(
        left_count >= 2, _nansum(products, _nan_mask(products)) / np.maximum(left_count, 1), 0.0
    )
    return _std(left, left_count, left_mean), _std(right, right_count, right_mean), covariance


def correlation_of(left_std: FloatArray, right_std: FloatArray, covariance: FloatArray) -> FloatArray:
    """``row_correlation`` from ``row_moments``."""
    spread = left_std * right_std
    return np.where(spread > 0, covariance / np.where(spread > 0, spread, 1.0), 0.0)


def beta_of(benchmark_std: FloatArray, covariance: FloatArray) -> FloatArray:
    """``row_beta`` from ``row_moments`` (the benchmark on the right)."""
    variance = benchmark_std**2
    return np.where(variance > 0, covariance / np.where(variance > 0, variance, 1.0), 1.0)


def row_correlation(left: FloatArray, right: FloatArray) -> FloatArray:
    """Pearson correlation per row (0 when either side is flat)."""
    return correlation_of(*row_moments(left, right))


def row_beta(asset: FloatArray, benchmark: FloatArray) -> FloatArray:
    """``cov(asset, benchmark) / var(benchmark)`` per row (1.0 when the benchmark is flat)."""
    _, benchmark_std, covariance = row_moments(asset, benchmark)
    return beta_of(benchmark_std, covariance)
