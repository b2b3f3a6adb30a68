"""Immutable read models the read API serves for the cross-market domain: sectors, sector momentum and
rotations, lead/lag relations and market leaders. Rows are built positionally (select order = field order).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class SectorRow:
    """A sector with the number of its enabled, non-deleted coins."""

    id: int
    code: str
    name: str
    description: str
    created_at: datetime
    coin_count: int


@dataclass(frozen=True, slots=True)
class SectorMetricRow:
    """A sector's newest momentum snapshot on one timeframe (percent changes, DECISIONS.md 7)."""

    sector_id: int
    sector: str
    name: str
    description: str
    timeframe: int
    as_of: datetime
    sector_strength: float | None
    relative_strength: float | None
    capital_flow: float | None
    avg_price_change_24h_pct: float | None
    avg_volume_change_24h_pct: float | None
    volatility: float | None
    trend: str | None
    coin_count: int


@dataclass(frozen=True, slots=True)
class NarrativesRead:
    """The materialized ``sector_narratives`` projection: its JSON payload as text and its identity."""

    generated_at: datetime
    run_id: str | None
    payload_json: str


@dataclass(frozen=True, slots=True)
class SectorMetricsPage:
    """A page of sector metrics and the narratives projection (``None`` before its first run)."""

    narratives: NarrativesRead | None
    rows: tuple[SectorMetricRow, ...]


@dataclass(frozen=True, slots=True)
class SectorRotationRow:
    """Capital rotating from one sector to another at ``timestamp``."""

    source_sector_id: int
    source_sector: str
    target_sector_id: int
    target_sector: str
    timeframe: int
    timestamp: datetime
    strength: float | None


@dataclass(frozen=True, slots=True)
class RelationRow:
    """A lead/lag relation of the newest snapshot of its timeframe (``as_of``); ``confidence`` is the
    recomputed ``base_confidence`` plus the prediction feedback ``feedback_adjustment``."""

    leader_coin_id: int
    leader_symbol: str
    follower_coin_id: int
    follower_symbol: str
    timeframe: int
    as_of: datetime
    correlation: float
    lag_bars: int
    lag_hours: float
    confidence: float
    base_confidence: float
    feedback_adjustment: float
    sample_size: int
    active: bool


@dataclass(frozen=True, slots=True)
class CoinRelationsRead:
    """A coin's relations as leader and as follower."""

    as_leader: tuple[RelationRow, ...]
    as_follower: tuple[RelationRow, ...]


@dataclass(frozen=True, slots=True)
class LeaderRow:
    """A coin detected leading the market on a timeframe at ``timestamp`` (a candle open time)."""

    leader_coin_id: int
    symbol: str
    name: str
    sector: str
    timeframe: int
    timestamp: datetime
    direction: str
    confidence: float
    price_change_24h_pct: float | None
    volume_change_24h_pct: float | None
    regime: str | None
