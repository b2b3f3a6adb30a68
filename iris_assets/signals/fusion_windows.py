"""The fusion windows as row ranges over sorted signal arrays (pure NumPy; used by ``fusion``).

Signals sorted by (coin, timeframe, timestamp asc, signal_type desc, …) put every window in one
contiguous range of rows: the rows of a (coin, timeframe) with timestamp ≤ t end at the last row of
t's group, the latest 20 of them are the 20 rows before that end, and the cut to the 3 most recent
distinct timestamps starts the range no earlier than the first row of the group two timestamps back.
So a window is ``[lo, hi)`` plus, per row, its age index (t's group minus the row's group), and the
side sums are computed over a fixed-width (≤ 20) gather instead of a long (window, signal) frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["SignalRows", "WindowScores", "member_rows", "top_kinds", "window_bounds", "window_scores"]

# Rows a chunk of windows gathers at once (× 20 members × 8 bytes per temporary).
_CHUNK = 1 << 16


@dataclass(frozen=True, slots=True)
class SignalRows:
    """Sorted signals as arrays: group index of each row, static score, sign (−1/0/1), archetype and type codes."""

    group: np.ndarray
    static: np.ndarray
    sign: np.ndarray
    arch: np.ndarray
    kind: np.ndarray


@dataclass(frozen=True, slots=True)
class WindowScores:
    """Per window: bullish and bearish base sums (before the cross factor) and the member count."""

    bullish: np.ndarray
    bearish: np.ndarray
    count: np.ndarray


def window_bounds(group_start: np.ndarray, group_end: np.ndarray, key_first_group: np.ndarray,
                  limit: int, groups: int) -> np.ndarray:
    """``lo`` of every group's window: the latest ``limit`` rows, cut to its ``groups`` newest timestamps.

    ``group_start``/``group_end``: row range of each (coin, timeframe, timestamp) group; groups are in
    row order. ``key_first_group``: per group, the index of the first group of its (coin, timeframe).
    """
    index = np.arange(group_start.size, dtype=np.int64)
    oldest = np.maximum(index - (groups - 1), key_first_group)
    return np.maximum(group_start[oldest], group_end - limit)


def _weights(rows: SignalRows, picked: np.ndarray, regime: np.ndarray, age: np.ndarray,
             table: np.ndarray, recency: np.ndarray) -> np.ndarray:
    # Same operation order as the frame version: static · regime weight, then · recency.
    return rows.static[picked] * table[regime, rows.arch[picked], rows.sign[picked] + 1] * recency[age]


def window_scores(rows: SignalRows, lo: np.ndarray, hi: np.ndarray, group: np.ndarray, regime: np.ndarray,
                  table: np.ndarray, recency: np.ndarray, limit: int) -> WindowScores:
    """Side sums of the windows ``[lo, hi)`` (at most ``limit`` rows each) evaluated at ``group``.

    ``table[regime, arch, sign + 1]`` is the regime weight; ``recency[age]`` the recency factor.
    Windows are processed in chunks so the temporaries stay a few tens of MB whatever the count.
    """
    size = lo.size
    bullish, bearish = np.zeros(size), np.zeros(size)
    offsets = np.arange(limit, dtype=np.int64)
    for first in range(0, size, _CHUNK):
        part = slice(first, min(first + _CHUNK, size))
        picked = hi[part, None] - 1 - offsets  # newest row first
        valid = picked >= lo[part, None]
        picked = np.where(valid, picked, hi[part, None] - 1)
        age = np.where(valid, group[part, None] - rows.group[picked], 0)
        score = _weights(rows, picked, regime[part, None], age, table, recency)
        sign = rows.sign[picked]
        bullish[part] = np.where(valid & (sign > 0), score, 0.0).sum(axis=1)
        bearish[part] = np.where(valid & (sign < 0), score, 0.0).sum(axis=1)
    return WindowScores(bullish, bearish, (hi - lo).astype(np.int32))


def member_rows(rows: SignalRows, lo: np.ndarray, hi: np.ndarray, group: np.ndarray, regime: np.ndarray,
                table: np.ndarray, recency: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (window position, signal row, score) of the given windows, for per-type breakdowns."""
    lengths = hi - lo
    window = np.repeat(np.arange(lo.size, dtype=np.int64), lengths)
    starts = np.cumsum(lengths) - lengths
    picked = np.arange(window.size, dtype=np.int64) - np.repeat(starts, lengths) + np.repeat(lo, lengths)
    age = group[window] - rows.group[picked]
    return window, picked, _weights(rows, picked, regime[window], age, table, recency)


def top_kinds(window: np.ndarray, kind: np.ndarray, value: np.ndarray, top: int) -> tuple[np.ndarray, np.ndarray]:
    """Per window, the ``top`` kinds by |Σ value| (descending, ties: kind ascending); zero sums are left out.

    ``window``/``kind``/``value``: one entry per member. Returns (window, kind) pairs grouped by window,
    best first within each.
    """
    # Σ per (window, kind): members sorted by window then kind (one stable sort of a combined key;
    # kinds may be −1) and summed per run.
    span = int(kind.max()) + 2 if kind.size else 1
    order = np.argsort(window.astype(np.int64) * span + kind + 1, kind="stable")
    window, kind, value = window[order], kind[order], value[order]
    first = np.ones(window.size, bool)
    first[1:] = (window[1:] != window[:-1]) | (kind[1:] != kind[:-1])
    starts = np.flatnonzero(first)
    if not starts.size:
        return window, kind
    total = np.add.reduceat(value, starts)
    keep = total != 0
    window, kind, magnitude = window[starts][keep], kind[starts][keep], np.abs(total[keep])
    # Entries are in (window, kind) order: a stable sort by |Σ| descending, then a stable sort by
    # window, leaves each window's kinds by |Σ| descending with ties by kind (two 1-key sorts are
    # several times faster than one lexsort with a float key).
    order = np.argsort(-magnitude, kind="stable")
    order = order[np.argsort(window[order], kind="stable")]
    window, kind = window[order], kind[order]
    lead = np.ones(window.size, bool)
    lead[1:] = window[1:] != window[:-1]
    position = np.arange(window.size)
    rank = position - np.maximum.accumulate(np.where(lead, position, 0))
    return window[rank < top], kind[rank < top]
