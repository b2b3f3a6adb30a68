"""Equity curve of the paper portfolio from a trace of its fills plus mark prices.

The curve is a pure function of (starting capital, trace, marks), and the trace is exactly what
the ledger records: after every fill, realized PnL so far, Σ cost basis (``allocated``), and the
units and entry of the position it touched. The simulation builds the trace from its live state,
``replay_ledger`` rebuilds it from ledger rows alone; both go through ``equity_curve``, so equal
curves prove the ledger is a complete record of the run.

Points: every fill time and every UTC midnight inside the marks/fills span, plus the final
``as_of``; at a point the portfolio is the one after all fills at or before it. Open positions
are marked to the close of the latest candle of their timeframe that closed at or before the
point (no candle yet: the entry, i.e. zero unrealized PnL). cash = capital + realized − allocated,
equity = capital + realized + unrealized, drawdown = equity / running peak − 1.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import polars as pl

DAY_US = 86_400_000_000
MINUTE_US = 60_000_000
_NEVER = np.iinfo(np.int64).max

EQUITY_SCHEMA: dict[str, pl.DataType] = {
    "timestamp": pl.Datetime("us", "UTC"),
    "cash": pl.Float64(),
    "allocated": pl.Float64(),
    "realized_pnl": pl.Float64(),
    "unrealized_pnl": pl.Float64(),
    "equity": pl.Float64(),
    "drawdown": pl.Float64(),
}


def epoch_us(column: str) -> pl.Expr:
    """A datetime column as integer microseconds since the epoch (any unit, any time zone)."""
    return pl.col(column).dt.epoch("us")


def close_time_us(timestamp: str = "timestamp", timeframe: str = "timeframe") -> pl.Expr:
    """Candle close time = open time + timeframe minutes, in epoch microseconds."""
    return epoch_us(timestamp) + pl.col(timeframe).cast(pl.Int64) * MINUTE_US


def series_spans(coins: np.ndarray, frames: np.ndarray) -> dict[tuple[int, int], tuple[int, int]]:
    """[lo, hi) row range of each (coin, timeframe) in arrays sorted by coin and timeframe."""
    if not coins.size:
        return {}
    starts = np.flatnonzero(np.r_[True, (coins[1:] != coins[:-1]) | (frames[1:] != frames[:-1])]).tolist()
    return {(int(coins[lo]), int(frames[lo])): (lo, hi) for lo, hi in itertools.pairwise([*starts, int(coins.size)])}


def to_datetime(values: pl.Series) -> pl.Series:
    """Epoch-microsecond integers back to UTC datetimes."""
    return values.cast(pl.Int64).cast(pl.Datetime("us")).dt.replace_time_zone("UTC")


@dataclass(frozen=True)
class LedgerTrace:
    """One entry per fill, in ledger order: portfolio totals after it and the touched position."""

    times: np.ndarray  # int64 epoch µs, non-decreasing
    realized: np.ndarray  # realized PnL after the fill (fees included)
    allocated: np.ndarray  # Σ cost basis of open positions after the fill
    position_id: np.ndarray
    coin_id: np.ndarray
    timeframe: np.ndarray
    units: np.ndarray  # the position's units after the fill
    entry: np.ndarray  # the position's entry price after the fill


class MarkBook:
    """Closes of closed candles per (coin, timeframe), queried as of any instant.

    ``carried`` holds, per series, one close from before every stored one (the replay's latest
    close before the current window): it answers for instants before the first stored close.
    """

    def __init__(self, prices: pl.DataFrame) -> None:
        frame = prices.select(
            pl.col("coin_id").cast(pl.Int64),
            pl.col("timeframe").cast(pl.Int64),
            close_time_us().alias("close_time"),
            pl.col("close").cast(pl.Float64),
        ).sort("coin_id", "timeframe", "close_time")
        times, closes = frame.get_column("close_time").to_numpy(), frame.get_column("close").to_numpy()
        spans = series_spans(frame.get_column("coin_id").to_numpy(), frame.get_column("timeframe").to_numpy())
        self._index({key: (times[lo:hi], closes[lo:hi]) for key, (lo, hi) in spans.items()}, {})

    @classmethod
    def from_series(cls, series: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]],
                    carried: dict[tuple[int, int], tuple[int, float]]) -> MarkBook:
        """A book from sorted (close times, closes) per series plus one earlier close per series."""
        book = cls.__new__(cls)
        book._index(series, carried)
        return book

    def _index(self, series: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]],
               carried: dict[tuple[int, int], tuple[int, float]]) -> None:
        self._series = {key: value for key, value in series.items() if value[0].size}
        self._carried = carried
        starts = [int(t[0]) for t, _ in self._series.values()] + [t for t, _ in carried.values()]
        ends = [int(t[-1]) for t, _ in self._series.values()] + [t for t, _ in carried.values()]
        self.first = min(starts, default=None)
        self.last = max(ends, default=None)

    def marks(self, coin_id: int, timeframe: int, at: np.ndarray) -> np.ndarray:
        """Latest close at or before each time in ``at`` (NaN when no candle has closed yet)."""
        key = (coin_id, timeframe)
        carried = self._carried.get(key)
        before = np.full(at.size, np.nan) if carried is None else np.where(at >= carried[0], carried[1], np.nan)
        stored = self._series.get(key)
        if stored is None:
            return before
        times, closes = stored
        index = np.searchsorted(times, at, side="right") - 1
        return np.where(index >= 0, closes[np.maximum(index, 0)], before)


def _points(trace: LedgerTrace, book: MarkBook) -> np.ndarray:
    edges = [t for t in (book.first, book.last) if t is not None]
    if trace.times.size:
        edges += [int(trace.times[0]), int(trace.times[-1])]
    if not edges:
        return np.empty(0, np.int64)
    start, as_of = min(edges), max(edges)
    midnights = np.arange((start // DAY_US + 1) * DAY_US, as_of + 1, DAY_US, dtype=np.int64)
    return np.unique(np.concatenate([trace.times.astype(np.int64), midnights, [as_of]]))


def unrealized_at(trace: LedgerTrace, points: np.ndarray, book: MarkBook) -> np.ndarray:
    """Unrealized PnL at each of the sorted ``points``: Σ units × (mark − entry) over the positions
    open then (the trace's last fill of each position at or before the point), in position-id order."""
    order = np.argsort(trace.position_id, kind="stable")  # segments per position, in fill order
    pid, start = trace.position_id[order], trace.times[order].astype(np.int64)
    same_next = np.r_[pid[1:] == pid[:-1], False]
    end = np.where(same_next, np.r_[start[1:], 0], _NEVER)
    units, entry = trace.units[order], trace.entry[order]
    coins, frames = trace.coin_id[order], trace.timeframe[order]
    lo = np.searchsorted(points, start, side="left")
    hi = np.searchsorted(points, end, side="left")
    counts = np.where(units > 0, hi - lo, 0)
    segment = np.repeat(np.arange(counts.size), counts)
    offsets = np.arange(segment.size) - np.repeat(np.cumsum(counts) - counts, counts)
    point = lo[segment] + offsets
    marks = np.full(segment.size, np.nan)
    by_series = np.lexsort((frames[segment], coins[segment]))  # rows grouped per (coin, timeframe)
    spans = series_spans(coins[segment][by_series], frames[segment][by_series])
    for a, b in spans.values():
        rows = by_series[a:b]
        first = segment[rows[0]]
        marks[rows] = book.marks(int(coins[first]), int(frames[first]), points[point[rows]])
    gain = np.where(np.isnan(marks), 0.0, units[segment] * (marks - entry[segment]))
    return np.bincount(point, weights=gain, minlength=points.size)


def equity_curve(starting_capital: float, trace: LedgerTrace, book: MarkBook) -> pl.DataFrame:
    """Equity frame (``EQUITY_SCHEMA``) at fill times, UTC day ends and the final as-of time."""
    points = _points(trace, book)
    if not points.size:
        return pl.DataFrame(schema=EQUITY_SCHEMA)
    last_fill = np.searchsorted(trace.times, points, side="right") - 1
    known = last_fill >= 0
    realized = np.where(known, trace.realized[np.maximum(last_fill, 0)] if trace.times.size else 0.0, 0.0)
    allocated = np.where(known, trace.allocated[np.maximum(last_fill, 0)] if trace.times.size else 0.0, 0.0)
    unrealized = unrealized_at(trace, points, book)
    equity = starting_capital + realized + unrealized
    peak = np.maximum.accumulate(equity)
    return pl.DataFrame(
        {
            "timestamp": to_datetime(pl.Series(points)),
            "cash": starting_capital + realized - allocated,
            "allocated": allocated,
            "realized_pnl": realized,
            "unrealized_pnl": unrealized,
            "equity": equity,
            "drawdown": equity / peak - 1.0,
        },
        schema=EQUITY_SCHEMA,
    )
