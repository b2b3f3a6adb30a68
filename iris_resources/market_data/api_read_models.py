"""Immutable read models the read API serves for the market data domain (candles reuse ``CandleRead``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class CoinDetailRead:
    """A non-deleted coin with its sector and sync bookkeeping."""

    id: int
    symbol: str
    name: str
    asset_type: str
    sector: str
    sector_name: str
    source: str
    base_timeframe: int
    enabled: bool
    sort_order: int
    created_at: datetime
    updated_at: datetime
    history_backfill_completed_at: datetime | None
    last_history_sync_at: datetime | None
    next_history_sync_at: datetime | None
    last_history_sync_error: str | None
