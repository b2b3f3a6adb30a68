"""Builders of candle, peer and venue series for the anomaly-engine tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np

from iris_assets.anomalies import CandleSeries, CoinHistory, DetectionContext, VenueSeries
from iris_assets.anomalies.series import PriceSeries, to_datetime

T0 = datetime(2026, 3, 12, 9, 0, tzinfo=UTC)
STEP = timedelta(minutes=15)


def stamps(count: int, start: datetime = T0) -> list[datetime]:
    """``count`` consecutive 15m open times."""
    return [start + STEP * i for i in range(count)]


def from_closes(
    closes: Sequence[float],
    volumes: Sequence[float] | None = None,
    *,
    wick: float = 0.012,
    start: datetime = T0,
) -> CandleSeries:
    """Candles opening at the previous close, with symmetric wicks of ``wick`` around the close."""
    close = np.asarray(closes, dtype=float)
    volume = np.full(close.shape[0], 1000.0) if volumes is None else np.asarray(volumes, dtype=float)
    open_ = np.concatenate((close[:1], close[:-1]))
    return CandleSeries(stamps(close.shape[0], start), open_, close * (1 + wick), close * (1 - wick), close, volume)


def from_returns(start_price: float, returns: Sequence[float], *, wick: float = 0.012) -> CandleSeries:
    """Candles whose closes compound ``returns`` from ``start_price``."""
    closes = [start_price]
    for value in returns:
        closes.append(closes[-1] * (1.0 + value))
    return from_closes(closes, wick=wick)


def with_candle(
    candles: CandleSeries, open_: float, high: float, low: float, close: float, volume: float
) -> CandleSeries:
    """``candles`` plus one more candle 15 minutes after the last."""
    times = np.append(candles.timestamps, candles.timestamps[-1] + np.timedelta64(15, "m"))
    return CandleSeries(
        times,
        np.append(candles.open, open_),
        np.append(candles.high, high),
        np.append(candles.low, low),
        np.append(candles.close, close),
        np.append(candles.volume, volume),
    )


def context(candles: CandleSeries, **extra: object) -> DetectionContext:
    """A context for ``RNDR`` (sector ``ai``, bull trend) at the last candle."""
    return DetectionContext(
        symbol="RNDR",
        timeframe=15,
        timestamp=to_datetime(candles.timestamps[-1]),
        candles=candles,
        market_regime="bull_trend",
        sector="ai",
        **extra,  # type: ignore[arg-type]
    )


def quiet_walk(seed: int, count: int, *, price: float = 100.0, volatility: float = 0.002) -> CandleSeries:
    """A calm seeded random walk with tight wicks and steady lognormal volume."""
    rng = np.random.default_rng(seed)
    close = price * np.exp(np.cumsum(rng.normal(0.0, volatility, count)))
    open_ = np.concatenate((close[:1], close[:-1]))
    high = np.maximum(open_, close) * (1 + np.abs(rng.normal(0.0, volatility / 3, count)))
    low = np.minimum(open_, close) * (1 - np.abs(rng.normal(0.0, volatility / 3, count)))
    volume = 1000.0 * np.exp(rng.normal(0.0, 0.15, count))
    return CandleSeries(stamps(count), open_, high, low, close, volume)


def calm_series(count: int, *, period: int = 10, start: datetime = T0) -> CandleSeries:
    """A deterministic, gently oscillating series: every detector scores far below its entry threshold."""
    index = np.arange(count)
    close = 100.0 * np.exp(np.cumsum(0.002 * np.sin(2 * np.pi * index / period)))
    open_ = np.concatenate((close[:1], close[:-1]))
    volume = 1000.0 + 50.0 * np.sin(2 * np.pi * index / 7)
    return CandleSeries(
        stamps(count, start), open_, np.maximum(open_, close) * 1.001, np.minimum(open_, close) * 0.999, close, volume
    )


def coin(candles: CandleSeries, symbol: str = "RNDR", **extra: object) -> CoinHistory:
    """A 15m coin history in the ``ai`` sector."""
    fields: dict[str, object] = {"sector": "ai", "market_regime": "bull_trend", **extra}
    return CoinHistory(symbol, 15, candles, **fields)  # type: ignore[arg-type]


def venue(
    times: Sequence[datetime] | np.ndarray,
    prices: Sequence[float] | np.ndarray,
    *,
    funding: Sequence[float] | None = None,
    open_interest: Sequence[float] | None = None,
    basis: Sequence[float] | None = None,
    longs: Sequence[float] | None = None,
    shorts: Sequence[float] | None = None,
) -> VenueSeries:
    """A venue's snapshots: last = index price, mark = last × (1 + basis); unspecified series are 0."""
    count = len(prices)
    zeros = [0.0] * count
    last = np.asarray(prices, dtype=float)
    basis_values = np.asarray(basis if basis is not None else zeros, dtype=float)
    return VenueSeries(
        times,
        last_price=last,
        mark_price=last * (1 + basis_values),
        index_price=last,
        funding_rate=funding if funding is not None else zeros,
        open_interest=open_interest if open_interest is not None else zeros,
        basis=basis_values,
        liquidations_long=longs if longs is not None else zeros,
        liquidations_short=shorts if shorts is not None else zeros,
        volume=[1000.0] * count,
    )


def peers(**series: PriceSeries) -> dict[str, PriceSeries]:
    """Keyword peers as a symbol → series mapping."""
    return dict(series)
