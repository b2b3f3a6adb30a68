"""Closes of many coins → a time × coin matrix of simple returns on a regular bar grid.

Returns are joined on timestamp (DECISIONS.md 18): row k of the grid is one bar open time for every
coin, so a missing candle leaves a hole (NaN) instead of shifting that coin's later returns onto
other coins' timestamps, which is what the reference's positional alignment did (spec §8.7).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MINUTE_US = 60_000_000


@dataclass(frozen=True, slots=True)
class ReturnMatrix:
    """``values[k, j]``: coin ``coin_ids[j]``'s return into bar ``k + 1`` of the window (NaN = missing).

    The window holds ``lookback`` bars ending at ``as_of`` (a bar open time), hence ``lookback - 1``
    return rows; ``coin_ids`` are sorted ascending.
    """

    coin_ids: np.ndarray
    values: np.ndarray
    as_of: datetime | None


def _epoch_us(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("as_of must be timezone-aware (UTC)")
    return (moment - _EPOCH) // timedelta(microseconds=1)


def return_matrix(closes: pl.DataFrame, timeframe: int, lookback: int, as_of: datetime | None = None
                  ) -> ReturnMatrix:
    """Pivot ``closes`` (coin_id, timestamp, close) onto the ``lookback``-bar grid ending at ``as_of``.

    ``as_of`` defaults to the newest timestamp. Every coin of ``closes`` gets a column, even one with
    no candle in the window, so its relations come out inactive instead of silently disappearing.
    Timestamps must sit on the timeframe's grid; (coin_id, timestamp) must be unique in the window.
    A return is missing unless both closes exist and the previous one is positive.
    """
    if closes.is_empty():
        return ReturnMatrix(np.empty(0, dtype=np.int64), np.empty((max(lookback - 1, 0), 0)), as_of)
    coin_ids = np.unique(closes.get_column("coin_id").to_numpy()).astype(np.int64)
    stamps = closes.get_column("timestamp")
    end_us = _epoch_us(as_of) if as_of is not None else int(stamps.dt.epoch("us").max())  # type: ignore[arg-type]
    step_us = timeframe * _MINUTE_US
    offsets = pl.lit(end_us, dtype=pl.Int64) - pl.col("timestamp").dt.epoch("us")
    window = closes.select("coin_id", "close", offsets.alias("_offset")).filter(
        (pl.col("_offset") >= 0) & (pl.col("_offset") < lookback * step_us)
    )
    if (window.get_column("_offset") % step_us != 0).any():
        raise ValueError(f"timestamps are not on the {timeframe}-minute grid ending at as_of")
    if window.select("coin_id", "_offset").is_duplicated().any():
        raise ValueError("closes has duplicate (coin_id, timestamp) rows")
    rows = lookback - 1 - (window.get_column("_offset").to_numpy() // step_us)
    columns = np.searchsorted(coin_ids, window.get_column("coin_id").to_numpy())
    grid = np.full((lookback, coin_ids.size), np.nan)
    grid[rows, columns] = window.get_column("close").to_numpy()
    previous, current = grid[:-1], grid[1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.where(previous > 0, current / previous - 1.0, np.nan)  # NaN propagates from either gap
    resolved = as_of if as_of is not None else _EPOCH + timedelta(microseconds=end_us)
    return ReturnMatrix(coin_ids, values, resolved)
