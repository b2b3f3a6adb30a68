"""Sectors, sector metrics and narratives, sector rotations, lead/lag relations and market leaders
(reference 5.5 and patterns 7.1)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from iris_api.schemas.common import PagePublic, PublicModel, SnapshotPublic
from iris_api.schemas.market import ProjectionItem


class SectorPublic(PublicModel):
    """A sector."""

    id: int
    code: str
    name: str
    description: str
    created_at: datetime
    coin_count: int = Field(description="Enabled, non-deleted coins of the sector.")


class SectorsPublic(PagePublic):
    """Sectors by name."""

    data: list[SectorPublic]


class SectorMetricPublic(PublicModel):
    """A sector's newest momentum snapshot on one timeframe (percent changes)."""

    sector_id: int
    sector: str = Field(description="Sector code.")
    name: str
    description: str
    timeframe: int
    as_of: datetime = Field(description="The snapshot's time.")
    sector_strength: float | None
    relative_strength: float | None = Field(description="Sector strength minus the market's.")
    capital_flow: float | None
    avg_price_change_24h_pct: float | None
    avg_volume_change_24h_pct: float | None
    volatility: float | None
    trend: str | None = Field(description="`bullish`, `bearish` or `sideways`.")
    coin_count: int


class SectorNarrativePublic(ProjectionItem):
    """The market story of one timeframe (reference 3.4)."""

    timeframe: int
    top_sector: str | None = None
    rotation_state: str | None = None
    btc_dominance: float | None = None
    capital_wave: str | None = None
    bucket_scores: dict[str, float] | None = None


class SectorMetricsPublic(PagePublic):
    """Each sector's newest metrics per timeframe (by timeframe, then relative strength descending), and
    the narratives of the latest ``sector_narratives`` materialization."""

    narratives: list[SectorNarrativePublic] = Field(description="Per timeframe (only `timeframe` when given).")
    narratives_generated_at: datetime | None = Field(description="When the narratives were materialized.")
    data: list[SectorMetricPublic]


class RotationPublic(PublicModel):
    """Capital rotating from one sector to another at ``timestamp``."""

    source_sector_id: int
    source_sector: str = Field(description="Sector code.")
    target_sector_id: int
    target_sector: str
    timeframe: int
    timestamp: datetime
    strength: float | None


class SectorRotationsPublic(PagePublic):
    """Sector rotations, newest first."""

    data: list[RotationPublic]


class RelationPublic(PublicModel):
    """A lead/lag relation of the newest snapshot of its timeframe: the follower moves like the leader
    ``lag_bars`` later (a negative correlation: the opposite way)."""

    leader_coin_id: int
    leader_symbol: str
    follower_coin_id: int
    follower_symbol: str
    timeframe: int
    as_of: datetime = Field(description="The snapshot's time.")
    correlation: float
    lag_bars: int
    lag_hours: float
    confidence: float = Field(description="`base_confidence` plus the prediction feedback.")
    base_confidence: float
    feedback_adjustment: float
    sample_size: int
    active: bool = Field(description="Above the relation threshold.")


class RelationsPublic(PagePublic):
    """Relations by confidence, correlation, timeframe, leader and follower (all descending)."""

    data: list[RelationPublic]


class CoinRelationsPublic(SnapshotPublic):
    """A coin's relations, as leader and as follower, each strongest first (``limit`` each)."""

    coin_id: int
    symbol: str
    limit: int
    as_leader: list[RelationPublic]
    as_follower: list[RelationPublic]


class LeaderDetectionPublic(PublicModel):
    """A coin detected leading the market on a timeframe at ``timestamp`` (a candle open time)."""

    leader_coin_id: int
    symbol: str
    name: str
    sector: str = Field(description="Sector code.")
    timeframe: int
    timestamp: datetime
    direction: str = Field(description="`up` or `down`.")
    confidence: float
    price_change_24h_pct: float | None
    volume_change_24h_pct: float | None
    regime: str | None


class MarketLeadersPublic(PagePublic):
    """Leader detections, newest first."""

    data: list[LeaderDetectionPublic]
