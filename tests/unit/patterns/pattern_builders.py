"""Candle frames for the pattern-engine tests: random walks, piecewise-linear shapes, indicators added."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl

from iris_assets.indicators.engine import compute_indicators
from iris_assets.indicators.features import add_bar_features

START = datetime(2024, 1, 1, tzinfo=UTC)


def candles(
    close: np.ndarray,
    *,
    open_: np.ndarray | None = None,
    high: np.ndarray | None = None,
    low: np.ndarray | None = None,
    volume: np.ndarray | None = None,
    wick: float = 0.001,
    timeframe: int = 60,
) -> pl.DataFrame:
    """A valid OHLCV frame (open = previous close, wicks of ``wick`` unless given) with indicators and features."""
    close = np.asarray(close, dtype=np.float64)
    n = close.shape[0]
    if open_ is None:
        open_ = np.concatenate(([close[0]], close[:-1]))
    if high is None:
        high = np.maximum(open_, close) * (1 + wick)
    if low is None:
        low = np.minimum(open_, close) * (1 - wick)
    if volume is None:
        volume = np.full(n, 1000.0)
    stamps = [START + timedelta(minutes=timeframe * i) for i in range(n)]
    frame = pl.DataFrame({
        "coin_id": pl.Series([1] * n, dtype=pl.Int32),
        "timestamp": pl.Series(stamps, dtype=pl.Datetime("us", "UTC")),
        "open": open_, "high": high, "low": low, "close": close, "volume": volume,
    })
    return add_bar_features(compute_indicators(frame), timeframe)


def random_walk(
    seed: int, n: int, volatility: float | np.ndarray, drift: float | np.ndarray = 0.0, price: float = 100.0
) -> pl.DataFrame:
    """Seeded geometric random walk with wicks, open gaps and lognormal volumes (per-bar vol/drift allowed)."""
    rng = np.random.default_rng(seed)
    volatility = np.broadcast_to(np.asarray(volatility, dtype=np.float64), (n,))
    close = price * np.exp(np.cumsum(rng.normal(drift, volatility, n)))
    open_ = np.concatenate(([price], close[:-1])) * np.exp(rng.normal(0.0, volatility / 4, n))  # gaps
    high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0.0, volatility / 2, n)))
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0.0, volatility / 2, n)))
    volume = rng.lognormal(6.0, 0.6, n)
    return candles(close, open_=open_, high=high, low=low, volume=volume)


def regime_walk(seed: int, n: int) -> pl.DataFrame:
    """A walk switching between quiet, wild, trending and falling stretches every 40 bars."""
    rng = np.random.default_rng(seed + 1000)
    blocks = -(-n // 40)
    vols = np.repeat(rng.choice([0.004, 0.01, 0.03, 0.07], blocks), 40)[:n]
    drifts = np.repeat(rng.choice([-0.01, 0.0, 0.0, 0.01], blocks), 40)[:n]
    return random_walk(seed, n, vols, drifts)


def shape(points: Sequence[tuple[float, float]], *, noise: float = 0.0, seed: int = 0) -> np.ndarray:
    """Closes through piecewise-linear key points ``(bar, price)`` (first bar 0), optional relative noise."""
    xs = np.array([x for x, _ in points], dtype=np.float64)
    ys = np.array([y for _, y in points], dtype=np.float64)
    close = np.interp(np.arange(int(xs[-1]) + 1), xs, ys)
    if noise:
        close = close * (1 + np.random.default_rng(seed).normal(0.0, noise, close.shape[0]))
    return close
