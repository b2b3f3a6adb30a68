"""Small frames for the portfolio engine tests: decisions, candles and sectors on an hourly grid."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl

T0 = datetime(2024, 3, 1, tzinfo=UTC)
HOUR = 60
_TS = pl.Datetime("us", "UTC")
DECISION_SCHEMA: dict[str, Any] = {
    "coin_id": pl.Int32,
    "timeframe": pl.Int16,
    "timestamp": _TS,
    "decision": pl.String,
    "confidence": pl.Float64,
    "regime": pl.String,
    "atr": pl.Float64,
    "price": pl.Float64,
}
CANDLE_SCHEMA: dict[str, Any] = {
    "coin_id": pl.Int32,
    "timeframe": pl.Int16,
    "timestamp": _TS,
    "open": pl.Float64,
    "high": pl.Float64,
    "low": pl.Float64,
    "close": pl.Float64,
}


def bar_time(index: int, timeframe: int = HOUR) -> datetime:
    """Open time of bar ``index``."""
    return T0 + timedelta(minutes=timeframe * index)


def close_time(index: int, timeframe: int = HOUR) -> datetime:
    """Close time of bar ``index``: when a decision on it takes effect."""
    return bar_time(index + 1, timeframe)


def decision(
    bar: int,
    label: str,
    price: float | None,
    confidence: float = 1.0,
    *,
    coin: int = 1,
    regime: str | None = None,
    atr: float | None = None,
    timeframe: int = HOUR,
) -> dict[str, Any]:
    return {
        "coin_id": coin,
        "timeframe": timeframe,
        "timestamp": bar_time(bar, timeframe),
        "decision": label,
        "confidence": confidence,
        "regime": regime,
        "atr": atr,
        "price": price,
    }


def decisions(*rows: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=DECISION_SCHEMA)


def candles(bars: list[tuple[float, float, float, float]], *, coin: int = 1, timeframe: int = HOUR) -> pl.DataFrame:
    """Candles from (open, high, low, close) tuples, bar 0 opening at T0."""
    return pl.DataFrame(
        [
            {
                "coin_id": coin,
                "timeframe": timeframe,
                "timestamp": bar_time(i, timeframe),
                "open": o,
                "high": h,
                "low": low,
                "close": c,
            }
            for i, (o, h, low, c) in enumerate(bars)
        ],
        schema=CANDLE_SCHEMA,
    )


def flat_candles(price: float, count: int, *, coin: int = 1, timeframe: int = HOUR) -> pl.DataFrame:
    return candles([(price, price, price, price)] * count, coin=coin, timeframe=timeframe)


def no_candles() -> pl.DataFrame:
    return pl.DataFrame(schema=CANDLE_SCHEMA)


def sectors(mapping: dict[int, int] | None = None) -> pl.DataFrame:
    mapping = mapping or {}
    return pl.DataFrame(
        {"coin_id": list(mapping), "sector_id": list(mapping.values())},
        schema={"coin_id": pl.Int32, "sector_id": pl.Int32},
    )
