"""Immutable read models of the market data domain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class SectorRead:
    """A sector."""

    id: int
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class CoinRead:
    """A coin of the universe, with its sector."""

    id: int
    symbol: str
    name: str
    asset_type: str
    sector_code: str
    base_timeframe: int
    enabled: bool
    sort_order: int
    history_backfill_completed_at: datetime | None


@dataclass(frozen=True, slots=True)
class CandleRead:
    """One candle (base or aggregate); ``timestamp`` is the open time."""

    timestamp: datetime
    open: float
    high: float
    low: float
    close: float
    volume: float | None
    is_partial: bool = False


@dataclass(frozen=True, slots=True)
class CandleCoverage:
    """What is stored for a set of coins over a window (materialization metadata, checks)."""

    rows: int
    symbols: int
    first: datetime | None
    last: datetime | None


@dataclass(frozen=True, slots=True)
class GapRead:
    """A run of missing base candles."""

    symbol: str
    timeframe: int
    gap_start: datetime
    gap_end: datetime
    missing_bars: int
