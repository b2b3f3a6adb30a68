"""Pivots (reference ``find_pivots``) and range extrema, resolved for every bar at once.

A pivot high at bar ``j`` is a value ``>=`` the ``span`` values on each side (plateaus give several
pivots). Inside a window ``[s, t]`` the reference looks for pivots at ``s + span <= j <= t - span``;
the test at ``j`` reads bars ``j - span .. j + span``, all inside the window, so a window's pivots
are exactly the whole-history pivots in that index range. ``last_pivots`` therefore answers "the
last k pivots of the window ending at t" for every ``t`` with one ``searchsorted``, and never
uses a pivot before the bar that confirms it (``j + span <= t``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._arrays import BoolArray, FloatArray, IntArray


def pivot_flags(values: FloatArray, kind: str, span: int = 2) -> BoolArray:
    """Bars that are pivot highs (``kind="high"``) or lows (``"low"``) of ``values``."""
    n = values.shape[0]
    flags = np.zeros(n, dtype=bool)
    if n < 2 * span + 1:
        return flags
    centre = values[span : n - span]
    ok = ~np.isnan(centre)
    for offset in range(1, span + 1):
        left = values[span - offset : n - span - offset]
        right = values[span + offset : n - span + offset]
        if kind == "high":
            ok &= (centre >= left) & (centre >= right)
        else:
            ok &= (centre <= left) & (centre <= right)
    flags[span : n - span] = ok
    return flags


@dataclass(frozen=True, slots=True)
class Pivots:
    """Sorted pivot positions of one series and the series itself."""

    positions: IntArray
    values: FloatArray
    span: int

    @classmethod
    def find(cls, values: FloatArray, kind: str, span: int = 2) -> Pivots:
        """All pivots of ``values`` (whole history)."""
        return cls(np.flatnonzero(pivot_flags(values, kind, span)).astype(np.int64), values, span)

    def count_upto(self, last: IntArray) -> IntArray:
        """Number of pivots at positions ``<= last`` (per bar)."""
        return np.searchsorted(self.positions, last, side="right").astype(np.int64)

    def count_before(self, first: IntArray) -> IntArray:
        """Number of pivots at positions ``< first`` (per bar)."""
        return np.searchsorted(self.positions, first, side="left").astype(np.int64)

    def in_window(self, start: IntArray, end: IntArray) -> IntArray:
        """Pivots of the window ``[start, end]`` (positions ``start + span .. end - span``)."""
        return np.maximum(self.count_upto(end - self.span) - self.count_before(start + self.span), 0)

    def last(self, start: IntArray, end: IntArray, k: int) -> tuple[IntArray, BoolArray]:
        """Positions of the last ``k`` pivots of each window ``[start, end]`` (oldest first) and validity."""
        upto = self.count_upto(end - self.span)
        valid = self.in_window(start, end) >= k
        picks = np.empty((end.shape[0], k), dtype=np.int64)
        for column in range(k):
            picks[:, column] = self.at(upto - k + column)
        return picks, valid

    def at(self, rank: IntArray) -> IntArray:
        """Position of the pivot of each ``rank`` (0 = oldest), clipped into range (callers mask validity)."""
        size = self.positions.shape[0]
        if size == 0:
            return np.zeros(rank.shape[0], dtype=np.int64)
        return self.positions[np.clip(rank, 0, size - 1)]

    def value(self, positions: IntArray) -> FloatArray:
        """The series value at ``positions``."""
        return self.values[positions]


class RangeExtrema:
    """O(1) min/max of ``values[a..b]`` for arbitrary ranges up to ``max_span`` bars (sparse tables)."""

    def __init__(self, values: FloatArray, max_span: int) -> None:
        self._mins = [values]
        self._maxs = [values]
        width = 1
        while width * 2 <= max_span:
            lo, hi = self._mins[-1], self._maxs[-1]
            self._mins.append(np.minimum(lo[:-width], lo[width:]) if lo.shape[0] > width else lo[:0])
            self._maxs.append(np.maximum(hi[:-width], hi[width:]) if hi.shape[0] > width else hi[:0])
            width *= 2

    def _query(self, tables: list[FloatArray], first: IntArray, last: IntArray, how: str) -> FloatArray:
        length = np.maximum(last - first + 1, 1)
        level = np.floor(np.log2(length)).astype(np.int64)
        out = np.full(first.shape[0], np.nan)
        for k in np.unique(level):
            if k >= len(tables):
                continue  # longer than the tables were built for: left undefined (NaN)
            rows = level == k
            table = tables[int(k)]
            a = first[rows]
            b = last[rows] - (1 << int(k)) + 1
            ok = (a >= 0) & (b < table.shape[0]) & (b >= a)
            left = table[np.clip(a, 0, max(table.shape[0] - 1, 0))]
            right = table[np.clip(b, 0, max(table.shape[0] - 1, 0))]
            both = np.minimum(left, right) if how == "min" else np.maximum(left, right)
            out[rows] = np.where(ok, both, np.nan)
        return out

    def min(self, first: IntArray, last: IntArray) -> FloatArray:
        """Minimum of ``values[first..last]`` (inclusive) per row."""
        return self._query(self._mins, first, last, "min")

    def max(self, first: IntArray, last: IntArray) -> FloatArray:
        """Maximum of ``values[first..last]`` (inclusive) per row."""
        return self._query(self._maxs, first, last, "max")
