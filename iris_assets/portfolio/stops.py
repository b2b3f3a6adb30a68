"""ATR stops (reference 4.4) and their enforcement on closed candles (DECISIONS.md 25).

Levels come from the position's entry and the ATR of the decision bar that opened or increased it:
stop = max(entry − 2·ATR, 0), take profit = entry + 3·ATR; no ATR (or entry ≤ 0) means no levels.
The reference stored these and never looked at them. Here each closed candle after the position's
open bar is checked: low ≤ stop closes at min(open, stop) — a gap through the level fills at the
open — otherwise high ≥ take profit closes at max(open, take profit). With both levels inside
one candle the order of the touches is unknown, so the stop is assumed (the conservative choice).
The search is vectorised over a slice of the candle arrays rather than walked bar by bar.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import NamedTuple

import numpy as np
import polars as pl

from iris_assets.portfolio.equity import MINUTE_US, close_time_us, epoch_us, series_spans
from iris_assets.portfolio.settings import PortfolioSettings

STOP_LOSS = "stop_loss"
TAKE_PROFIT = "take_profit"


class StopHit(NamedTuple):
    candle: int  # candle index in the arrays given to ``first_stop_hit``
    reason: str  # STOP_LOSS or TAKE_PROFIT
    price: float  # fill price


def stop_levels(entry: float, atr: float | None, settings: PortfolioSettings) -> tuple[float, float] | None:
    """(stop_loss, take_profit) or None when entry or ATR is unusable."""
    if entry <= 0 or atr is None or math.isnan(atr) or atr <= 0:
        return None
    stop = max(entry - settings.stop_atr_multiplier * atr, 0.0)
    return stop, entry + settings.take_profit_atr_multiplier * atr


def first_stop_hit(
    opens: np.ndarray,
    highs: np.ndarray,
    lows: np.ndarray,
    levels: tuple[float, float],
    start: int,
    end: int,
) -> StopHit | None:
    """First candle in ``[start, end)`` that touches a level, with the exit it produces."""
    if end <= start:
        return None
    stop, take = levels
    touched = (lows[start:end] <= stop) | (highs[start:end] >= take)
    offset = int(np.argmax(touched))
    if not touched[offset]:
        return None
    candle = start + offset
    if lows[candle] <= stop:
        return StopHit(candle, STOP_LOSS, min(float(opens[candle]), stop))
    return StopHit(candle, TAKE_PROFIT, max(float(opens[candle]), take))


class CandleSeries(NamedTuple):
    """Closed candles of one (coin, timeframe), sorted by open time (epoch µs)."""

    open_time: np.ndarray
    close_time: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray


SeriesKey = tuple[int, int]  # (coin_id, timeframe)


class StopCandles:
    """Closed candles per (coin, timeframe) as NumPy arrays, for the stop search and the marks.

    The replay builds one per time window, so it holds a window's candles, not the history.
    """

    def __init__(self, candles: pl.DataFrame) -> None:
        frame = candles.select(
            pl.col("coin_id").cast(pl.Int64),
            pl.col("timeframe").cast(pl.Int64),
            epoch_us("timestamp").alias("open_time"),
            close_time_us().alias("close_time"),
            *(pl.col(c).cast(pl.Float64) for c in ("open", "high", "low", "close")),
        ).sort("coin_id", "timeframe", "open_time")
        arrays = {c: frame.get_column(c).to_numpy() for c in frame.columns}
        spans = series_spans(arrays["coin_id"], arrays["timeframe"])
        self._index({key: CandleSeries(*(arrays[c][lo:hi] for c in CandleSeries._fields))
                     for key, (lo, hi) in spans.items()})

    @classmethod
    def from_records(cls, records: Iterable[tuple[int, int, np.ndarray]]) -> StopCandles:
        """Candles from (coin_id, timeframe, records) per series, without a frame: records is a structured
        array with fields timestamp (open time, epoch µs), open, high, low, close, in any order."""
        candles = cls.__new__(cls)
        series = {}
        for coin_id, timeframe, rows in records:
            if not rows.size:
                continue
            opens = rows["timestamp"]
            if opens.size > 1 and not bool(np.all(opens[1:] > opens[:-1])):
                rows = rows[np.argsort(opens, kind="stable")]
                opens = rows["timestamp"]
            series[(int(coin_id), int(timeframe))] = CandleSeries(
                opens, opens + int(timeframe) * MINUTE_US, rows["open"], rows["high"], rows["low"], rows["close"])
        candles._index(series)
        return candles

    def _index(self, series: dict[SeriesKey, CandleSeries]) -> None:
        self._series = series
        self.first_close = min((int(s.close_time[0]) for s in series.values()), default=None)
        self.last_close = max((int(s.close_time[-1]) for s in series.values()), default=None)

    def series(self, key: SeriesKey) -> CandleSeries | None:
        """Arrays of one (coin, timeframe), or None without candles."""
        return self._series.get(key)

    def closes(self) -> dict[SeriesKey, tuple[np.ndarray, np.ndarray]]:
        """Close times and closes of every series."""
        return {key: (s.close_time, s.close) for key, s in self._series.items()}

    def last_closes(self) -> dict[SeriesKey, tuple[int, float]]:
        """Close time and close of the newest candle of each series."""
        return {key: (int(s.close_time[-1]), float(s.close[-1])) for key, s in self._series.items()}
