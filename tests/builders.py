"""Small typed builders of test data."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import polars as pl

T0 = datetime(2024, 3, 1, tzinfo=UTC)


def candle_frame(
    symbol: str,
    count: int,
    *,
    start: datetime = T0,
    minutes: int = 15,
    price: float = 100.0,
    skip: Sequence[int] = (),
) -> pl.DataFrame:
    """``count`` valid raw candles (source schema) for ``symbol``, omitting indices in ``skip``."""
    rows = [
        {
            "symbol": symbol,
            "timestamp": start + timedelta(minutes=minutes * i),
            "open": price + i,
            "high": price + i + 2,
            "low": price + i - 1,
            "close": price + i + 1,
            "volume": 10.0 + i,
        }
        for i in range(count)
        if i not in set(skip)
    ]
    return pl.DataFrame(rows, schema={
        "symbol": pl.String, "timestamp": pl.Datetime("us", "UTC"), "open": pl.Float64,
        "high": pl.Float64, "low": pl.Float64, "close": pl.Float64, "volume": pl.Float64,
    })


def coins_frame(symbols: Sequence[str], ids: Sequence[int], timeframe: int = 15) -> pl.DataFrame:
    """The ``symbol, coin_id, timeframe`` mapping validation joins on."""
    return pl.DataFrame(
        {"symbol": list(symbols), "coin_id": list(ids), "timeframe": [timeframe] * len(symbols)},
        schema={"symbol": pl.String, "coin_id": pl.Int32, "timeframe": pl.Int16},
    )
