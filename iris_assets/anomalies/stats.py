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

import warnings

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from iris_assets.anomalies.series import FloatArray, IntArray


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
    if lengths is not None:
        rows = np.where(np.arange(width)[None, :] >= (width - np.asarray(lengths))[:, None], rows, np.nan)
    return np.ascontiguousarray(rows)


def row_count(matrix: FloatArray) -> IntArray:
    """Non-NaN entries per row."""
    return np.sum(~np.isnan(matrix), axis=1)


def row_mean(matrix: FloatArray) -> FloatArray:
    """Mean of each row's non-NaN entries (0 for an empty row)."""
    count = row_count(matrix)
    return np.where(count > 0, np.nansum(matrix, axis=1) / np.maximum(count, 1), 0.0)


def row_std(matrix: FloatArray) -> FloatArray:
    """Population std of each row's non-NaN entries (0 below two entries)."""
    count = row_count(matrix)
    deviations = matrix - row_mean(matrix)[:, None]
    variance = np.nansum(deviations * deviations, axis=1) / np.maximum(count, 1)
    return np.where(count >= 2, np.sqrt(variance), 0.0)


def row_zscore(current: FloatArray, matrix: FloatArray, fallback: FloatArray | None = None) -> FloatArray:
    """``|current − mean(row)| / std(row)``; where std is 0, ``fallback`` (default 0)."""
    std = row_std(matrix)
    default = np.zeros_like(std) if fallback is None else fallback
    return np.where(std > 0, np.abs(current - row_mean(matrix)) / np.where(std > 0, std, 1.0), default)


def row_percentile_rank(matrix: FloatArray, target: FloatArray) -> FloatArray:
    """Share of each row's non-NaN entries that are ``≤`` its target (0 for an empty row)."""
    count = row_count(matrix)
    hits = np.sum(matrix <= target[:, None], axis=1)  # NaN compares False, so padding never counts
    return np.where(count > 0, hits / np.maximum(count, 1), 0.0)


def row_median(matrix: FloatArray) -> FloatArray:
    """Median of each row's non-NaN entries (mean of the middle two for an even count; 0 when empty)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows: answered by the where below
        median = np.nanmedian(matrix, axis=1) if matrix.shape[1] else np.full(matrix.shape[0], np.nan)
    return np.where(np.isnan(median), 0.0, median)


def row_covariance(left: FloatArray, right: FloatArray) -> FloatArray:
    """Population covariance of two equally masked matrices, row by row (0 below two pairs)."""
    count = row_count(left)
    products = (left - row_mean(left)[:, None]) * (right - row_mean(right)[:, None])
    return np.where(count >= 2, np.nansum(products, axis=1) / np.maximum(count, 1), 0.0)


def row_correlation(left: FloatArray, right: FloatArray) -> FloatArray:
    """Pearson correlation per row (0 when either side is flat)."""
    spread = row_std(left) * row_std(right)
    return np.where(spread > 0, row_covariance(left, right) / np.where(spread > 0, spread, 1.0), 0.0)


def row_beta(asset: FloatArray, benchmark: FloatArray) -> FloatArray:
    """``cov(asset, benchmark) / var(benchmark)`` per row (1.0 when the benchmark is flat)."""
    variance = row_std(benchmark) ** 2
    return np.where(variance > 0, row_covariance(asset, benchmark) / np.where(variance > 0, variance, 1.0), 1.0)
