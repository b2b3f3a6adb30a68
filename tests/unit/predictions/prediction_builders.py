"""Builders for prediction tests: relation rows, leader moves, prices and follower candles."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import polars as pl

from iris_assets.cross_market.relations import RELATION_SCHEMA

T0 = datetime(2024, 5, 1, 12, tzinfo=UTC)
LEADER, FOLLOWER = 1, 2


def relation(leader: int = LEADER, follower: int = FOLLOWER, *, timeframe: int = 60, correlation: float = 0.8,
             lag_bars: int = 4, confidence: float = 0.78, active: bool = True) -> dict[str, object]:
    """One relation row (:data:`RELATION_SCHEMA` fields)."""
    return {"leader_coin_id": leader, "follower_coin_id": follower, "timeframe": timeframe,
            "correlation": correlation, "lag_bars": lag_bars, "lag_hours": lag_bars * timeframe / 60,
            "confidence": confidence, "sample_size": 195, "active": active}


def relations(*rows: dict[str, object]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=RELATION_SCHEMA)


def moves(*rows: tuple[int, str, float, float, datetime]) -> pl.DataFrame:
    """Leader moves: (leader_coin_id, direction, confidence, move_pct, created_at)."""
    return pl.DataFrame(list(rows), schema={"leader_coin_id": pl.Int32, "direction": pl.String,
                                            "confidence": pl.Float64, "move_pct": pl.Float64,
                                            "created_at": pl.Datetime("us", "UTC")}, orient="row")


def prices(**by_coin: float) -> pl.DataFrame:
    """Entry prices keyed like ``c2=100.0``."""
    return pl.DataFrame({"coin_id": [int(k[1:]) for k in by_coin], "price": list(by_coin.values())},
                        schema={"coin_id": pl.Int32, "price": pl.Float64})


def candles(coin: int, start: datetime, bars: Sequence[tuple[float, float, float]], timeframe: int = 60
            ) -> pl.DataFrame:
    """Consecutive candles from ``start``, each (high, low, close)."""
    return pl.DataFrame(
        [(coin, timeframe, start + timedelta(minutes=timeframe * i), high, low, close)
         for i, (high, low, close) in enumerate(bars)],
        schema={"coin_id": pl.Int32, "timeframe": pl.Int16, "timestamp": pl.Datetime("us", "UTC"),
                "high": pl.Float64, "low": pl.Float64, "close": pl.Float64}, orient="row",
    )
