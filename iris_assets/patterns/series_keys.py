"""Keys for meta steps that run over one coin or over a batch of coins at once.

A frame holds one coin's rows, or several coins' rows with a ``coin_id`` column. Steps group, join
and window by :func:`coin_keys` so one Polars call serves a whole worker batch (one call per coin cost
more in call overhead than in work). Trailing time windows are counted with ``np.searchsorted`` on
:class:`CoinClock` times, which keep each coin's times in its own stretch of the number line so that a
window never reaches into another coin.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl

# Each coin's times are microseconds from the batch's first bar plus rank × 2**53: 285 years per coin
# and 1,023 coins per batch fit in an int64, and no trailing window (days) crosses a coin's stretch.
COIN_STRIDE = 1 << 53
MAX_COINS = (1 << 10) - 1


def coin_keys(frame: pl.DataFrame) -> list[str]:
    """``["coin_id"]`` when ``frame`` holds several coins' rows, else ``[]``."""
    return ["coin_id"] if "coin_id" in frame.columns else []


class CoinClock:
    """Comparable int64 times for the rows of one coin or of a batch of coins (``bars`` defines both)."""

    def __init__(self, bars: pl.DataFrame) -> None:
        stamps = bars.get_column("timestamp").dt.epoch("us").to_numpy()
        self._origin = int(stamps.min()) if stamps.shape[0] else 0
        self._coins = np.unique(bars.get_column("coin_id").to_numpy()) if "coin_id" in bars.columns else None
        if self._coins is not None and self._coins.shape[0] > MAX_COINS:
            raise ValueError(f"a batch holds at most {MAX_COINS} coins, got {self._coins.shape[0]}")

    def __call__(self, frame: pl.DataFrame | None) -> npt.NDArray[np.int64]:
        """Each row's time: microseconds since the batch's first bar, offset by its coin's rank
        (none for a missing or empty frame)."""
        if frame is None or frame.is_empty():
            return np.empty(0, dtype=np.int64)
        times: npt.NDArray[np.int64] = frame.get_column("timestamp").dt.epoch("us").to_numpy() - self._origin
        if self._coins is None:
            return times
        rank = np.searchsorted(self._coins, frame.get_column("coin_id").to_numpy())
        return rank.astype(np.int64) * COIN_STRIDE + times


def trailing_counts(times: npt.NDArray[np.int64], at: npt.NDArray[np.int64], span_us: int) -> npt.NDArray[np.int64]:
    """For each time in ``at``: how many of ``times`` (one :class:`CoinClock`'s) lie in [at - span, at]."""
    ordered = np.sort(times)
    counts: npt.NDArray[np.int64] = (np.searchsorted(ordered, at, side="right")
                                     - np.searchsorted(ordered, at - span_us, side="left"))
    return counts
