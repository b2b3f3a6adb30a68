"""Coins and their candle history (reference ``CoinRead`` / ``PriceHistoryRead``)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from iris_api.schemas.common import PagePublic, PublicModel


class CoinPublic(PublicModel):
    """A coin of the universe (enabled or not)."""

    id: int
    symbol: str
    name: str
    asset_type: str
    sector: str = Field(description="Sector code.")
    sector_name: str
    source: str
    enabled: bool
    sort_order: int
    base_interval: str = Field(description="The interval candles are stored at, e.g. `15m`.")
    intervals: list[str] = Field(description="Every interval `/history` answers for this coin.")
    created_at: datetime
    updated_at: datetime
    history_backfill_completed_at: datetime | None
    last_history_sync_at: datetime | None
    next_history_sync_at: datetime | None
    last_history_sync_error: str | None


class CoinsPublic(PagePublic):
    """Coins by sort order, then symbol."""

    data: list[CoinPublic]


class CandlePublic(PublicModel):
    """One candle; ``timestamp`` is its open time and ``price`` its close (reference name)."""

    timestamp: datetime
    open: float
    high: float
    low: float
    close: float
    price: float
    volume: float | None
    is_partial: bool = Field(description="True only for an incomplete bucket, sent with `include_partial=true`.")


class CandlesPublic(PagePublic):
    """A page of candles in ascending time; ``next_cursor`` continues with OLDER candles."""

    coin_id: int
    symbol: str
    interval: str
    data: list[CandlePublic]
