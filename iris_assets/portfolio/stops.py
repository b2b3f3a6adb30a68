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
from typing import NamedTuple

import numpy as np
import polars as pl

from iris_assets.portfolio.equity import close_time_us, epoch_us, series_spans
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


class StopCandles:
    """Closed candles per (coin, timeframe) as NumPy views, for the stop search."""

    def __init__(self, candles: pl.DataFrame) -> None:
        frame = candles.select(
            pl.col("coin_id").cast(pl.Int64),
            pl.col("timeframe").cast(pl.Int64),
            epoch_us("timestamp").alias("open_time"),
            close_time_us().alias("close_time"),
            *(pl.col(c).cast(pl.Float64) for c in ("open", "high", "low")),
        ).sort("coin_id", "timeframe", "open_time")
        self._arrays = {c: frame.get_column(c).to_numpy() for c in frame.columns}
        self._spans = series_spans(self._arrays["coin_id"], self._arrays["timeframe"])
        self._cache: dict[tuple[int, int], CandleSeries] = {}

    def series(self, key: tuple[int, int]) -> CandleSeries | None:
        """Arrays of one (coin, timeframe), or None without candles."""
        cached = self._cache.get(key)
        if cached is None and key in self._spans:
            lo, hi = self._spans[key]
            cached = CandleSeries(*(self._arrays[c][lo:hi] for c in ("open_time", "close_time", "open", "high", "low")))
            self._cache[key] = cached
        return cached
