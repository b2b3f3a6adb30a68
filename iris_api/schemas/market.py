"""Market radar and market flow (reference 3.14), served from their materialized projections.

Items are parsed from the stored payload: fields the asset adds later are dropped (``extra="ignore"``)
until they are documented here, so the response never carries an undocumented field.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from iris_api.schemas.common import SnapshotPublic


class ProjectionItem(BaseModel):
    """Base of the projection items: tolerant when parsing stored payloads."""

    model_config = ConfigDict(extra="ignore", json_schema_extra={"additionalProperties": False})


class RadarCoinPublic(ProjectionItem):
    """A coin on the radar (percent changes, return volatility)."""

    coin_id: int
    symbol: str
    name: str
    activity_score: float | None = None
    activity_bucket: str | None = None
    analysis_priority: int | None = None
    price_change_24h_pct: float | None = None
    price_change_7d_pct: float | None = None
    volatility: float | None = None
    volatility_annualized: float | None = None
    market_regime: str | None = None
    updated_at: datetime | None = None


class RegimeChangePublic(ProjectionItem):
    """A coin's regime changed on a timeframe at ``timestamp`` (a candle open time)."""

    coin_id: int
    symbol: str
    name: str
    timeframe: int
    regime: str
    previous_regime: str | None = None
    confidence: float
    timestamp: datetime


class MarketRadarPublic(SnapshotPublic):
    """Hot coins, emerging coins, volatility spikes and recent regime changes."""

    limit: int
    hot_coins: list[RadarCoinPublic]
    emerging_coins: list[RadarCoinPublic]
    regime_changes: list[RegimeChangePublic]
    volatility_spikes: list[RadarCoinPublic]


class MarketLeaderPublic(ProjectionItem):
    """A coin leading the market at ``timestamp``."""

    leader_coin_id: int
    symbol: str
    name: str
    sector: str | None = None
    direction: str | None = None
    regime: str | None = None
    confidence: float
    price_change_24h_pct: float | None = None
    volume_change_24h_pct: float | None = None
    timestamp: datetime


class CoinRelationPublic(ProjectionItem):
    """A lead/lag relation between two coins (reference names; the projection may store the
    symbols as ``leader``/``follower`` and the snapshot time as ``as_of``)."""

    leader_coin_id: int | None = None
    leader_symbol: str = Field(validation_alias=AliasChoices("leader_symbol", "leader"))
    follower_coin_id: int | None = None
    follower_symbol: str = Field(validation_alias=AliasChoices("follower_symbol", "follower"))
    timeframe: int | None = None
    correlation: float
    confidence: float
    lag_hours: float | None = None
    updated_at: datetime | None = Field(default=None, validation_alias=AliasChoices("updated_at", "as_of"))


class SectorMomentumPublic(ProjectionItem):
    """A sector's momentum on a timeframe."""

    sector_id: int | None = None
    sector: str
    timeframe: int
    avg_price_change_24h_pct: float | None = None
    avg_volume_change_24h_pct: float | None = None
    volatility: float | None = None
    trend: str | None = None
    relative_strength: float | None = None
    capital_flow: float | None = None
    updated_at: datetime | None = Field(default=None, validation_alias=AliasChoices("updated_at", "as_of"))


class SectorRotationPublic(ProjectionItem):
    """Capital rotating from one sector to another."""

    source_sector: str
    target_sector: str
    timeframe: int
    strength: float | None = None
    timestamp: datetime


class MarketFlowPublic(SnapshotPublic):
    """Leaders, relations, sector momentum (for ``timeframe``) and sector rotations."""

    limit: int
    timeframe: int
    leaders: list[MarketLeaderPublic]
    relations: list[CoinRelationPublic]
    sectors: list[SectorMomentumPublic]
    rotations: list[SectorRotationPublic]
