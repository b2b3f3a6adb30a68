"""The equity curve built one time window at a time, equal to ``equity.equity_curve`` over the run.

The replay hands over each window's fills once they are final (no later event can precede them)
together with the window's closes. A point's value needs only the books after the fills at or
before it and the latest closes at or before it, so a window's points are computed right then:
positions still open at the window start enter as their last trace entry before it (carried), and
the latest close of each series before the window as a carried mark (the caller adds those to the
window's ``MarkBook``). What ``equity_curve`` takes from the whole run — the span start (first
candle close or fill) that the midnights follow, the final as-of point and the running peak — is
tracked across windows and settled in ``finish``. Memory holds one window plus the points.

Arithmetic is the same as ``equity_curve``: realized and allocated are the trace's values after the
last fill at or before a point, unrealized sums positions in position-id order, so the two curves
are equal to the last bit.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from iris_assets.portfolio.equity import (
    DAY_US,
    EQUITY_SCHEMA,
    LedgerTrace,
    MarkBook,
    to_datetime,
    unrealized_at,
)

_EMPTY_INT = np.empty(0, np.int64)


def empty_trace() -> LedgerTrace:
    """A trace without fills."""
    return LedgerTrace(_EMPTY_INT, np.empty(0), np.empty(0), _EMPTY_INT, _EMPTY_INT, _EMPTY_INT,
                       np.empty(0), np.empty(0))


class EquityWindows:
    """Accumulates the equity curve window by window (windows in time order, disjoint)."""

    def __init__(self, starting_capital: float) -> None:
        self.capital = starting_capital
        self.start: int | None = None  # min(first candle close, first fill) so far
        self.as_of: int | None = None  # max(last candle close, last fill) so far
        self.realized = 0.0  # after the last fill so far
        self.allocated = 0.0
        # position_id → (fill time, coin, timeframe, units, entry) of its last fill, while units > 0
        self.open: dict[int, tuple[int, int, int, float, float]] = {}
        self._chunks: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []

    def add(self, lo: int, hi: int, fills: LedgerTrace, book: MarkBook, first_close: int | None,
            last_close: int | None) -> None:
        """Points in ``[lo, hi)``: the window's fills (all of them final) and the UTC midnights after
        the span start. ``book`` holds the window's closes plus the carried latest close of every
        series; ``first_close``/``last_close`` are the window's own candle close-time range."""
        edges = [t for t in (first_close, last_close) if t is not None]
        if fills.times.size:
            edges += [int(fills.times[0]), int(fills.times[-1])]
        if edges:
            self.start = min(edges) if self.start is None else min(self.start, *edges)
            self.as_of = max(edges) if self.as_of is None else max(self.as_of, *edges)
        if self.start is None:
            return  # nothing seen yet: the curve has not begun
        first_midnight = max((self.start // DAY_US + 1) * DAY_US, -(-lo // DAY_US) * DAY_US)
        midnights = np.arange(first_midnight, hi, DAY_US, dtype=np.int64)
        points = np.unique(np.concatenate([fills.times.astype(np.int64), midnights]))
        if points.size:
            last_fill = np.searchsorted(fills.times, points, side="right") - 1
            known = last_fill >= 0
            at = np.maximum(last_fill, 0)
            realized = np.where(known, fills.realized[at], self.realized) if fills.times.size else \
                np.full(points.size, self.realized)
            allocated = np.where(known, fills.allocated[at], self.allocated) if fills.times.size else \
                np.full(points.size, self.allocated)
            unrealized = unrealized_at(self._with_carried(fills), points, book)
            self._chunks.append((points, realized, allocated, unrealized))
        self._advance(fills)

    def finish(self, book: MarkBook) -> pl.DataFrame:
        """The whole curve (``EQUITY_SCHEMA``): points up to the final as-of time, which is added with
        the final books marked on ``book`` (the latest close of every series) when it is no point yet."""
        if self.as_of is None:
            return pl.DataFrame(schema=EQUITY_SCHEMA)
        columns = [np.concatenate(parts) if parts else np.empty(0) for parts in zip(*self._chunks, strict=True)] \
            if self._chunks else [_EMPTY_INT, np.empty(0), np.empty(0), np.empty(0)]
        keep = columns[0] <= self.as_of  # midnights past the last close and fill are no points
        points, realized, allocated, unrealized = (c[keep] for c in columns)
        if not points.size or int(points[-1]) != self.as_of:
            final = unrealized_at(self._with_carried(empty_trace()), np.array([self.as_of], np.int64), book)
            points = np.r_[points, self.as_of].astype(np.int64)
            realized, allocated = np.r_[realized, self.realized], np.r_[allocated, self.allocated]
            unrealized = np.r_[unrealized, final]
        equity = self.capital + realized + unrealized
        peak = np.maximum.accumulate(equity)
        return pl.DataFrame(
            {
                "timestamp": to_datetime(pl.Series(points)),
                "cash": self.capital + realized - allocated,
                "allocated": allocated,
                "realized_pnl": realized,
                "unrealized_pnl": unrealized,
                "equity": equity,
                "drawdown": equity / peak - 1.0,
            },
            schema=EQUITY_SCHEMA,
        )

    def _with_carried(self, fills: LedgerTrace) -> LedgerTrace:
        """The window's fills preceded by the last fill of every position open at the window start."""
        carried = sorted(self.open.items())
        ids = np.array([pid for pid, _ in carried], np.int64)
        values = [entry for _, entry in carried]

        def column(index: int, dtype: type) -> np.ndarray:
            return np.array([v[index] for v in values], dtype=dtype)

        return LedgerTrace(
            times=np.r_[column(0, np.int64), fills.times.astype(np.int64)],
            realized=np.r_[np.zeros(ids.size), fills.realized],
            allocated=np.r_[np.zeros(ids.size), fills.allocated],
            position_id=np.r_[ids, fills.position_id.astype(np.int64)],
            coin_id=np.r_[column(1, np.int64), fills.coin_id.astype(np.int64)],
            timeframe=np.r_[column(2, np.int64), fills.timeframe.astype(np.int64)],
            units=np.r_[column(3, np.float64), fills.units],
            entry=np.r_[column(4, np.float64), fills.entry],
        )

    def _advance(self, fills: LedgerTrace) -> None:
        if not fills.times.size:
            return
        self.realized, self.allocated = float(fills.realized[-1]), float(fills.allocated[-1])
        rows = zip(fills.times.tolist(), fills.position_id.tolist(), fills.coin_id.tolist(),
                   fills.timeframe.tolist(), fills.units.tolist(), fills.entry.tolist(), strict=True)
        for at, pid, coin, timeframe, units, entry in rows:
            if units > 0:
                self.open[pid] = (at, coin, timeframe, units, entry)
            else:
                self.open.pop(pid, None)
