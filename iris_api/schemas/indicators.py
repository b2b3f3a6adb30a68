"""Coin metrics, per-candle indicators and signals (reference ``CoinMetricsRead`` / ``SignalRead``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import Field

from iris_api.schemas.common import PagePublic, PublicModel, SnapshotPublic
from iris_resources.indicators.api_read_models import IndicatorRow


class RegimeDetailPublic(PublicModel):
    """A coin's regime on one timeframe."""

    regime: str
    confidence: float | None


class CoinMetricsPublic(PublicModel):
    """A coin's latest metrics on one timeframe; price and volume changes are percent (DECISIONS.md 7)."""

    coin_id: int
    symbol: str
    name: str
    sector: str
    timeframe: int = Field(description="Minutes.")
    candle_timestamp: datetime = Field(description="Open time of the candle the metrics describe.")
    price_current: float | None
    price_change_1h_pct: float | None
    price_change_24h_pct: float | None
    price_change_7d_pct: float | None
    ema_20: float | None
    ema_50: float | None
    sma_50: float | None
    sma_200: float | None
    rsi_14: float | None
    macd: float | None
    macd_signal: float | None
    macd_histogram: float | None
    atr_14: float | None
    bb_upper: float | None
    bb_middle: float | None
    bb_lower: float | None
    bb_width: float | None
    adx_14: float | None
    volume_24h: float | None
    volume_change_24h_pct: float | None
    volatility: float | None = Field(description="Standard deviation of log returns per bar.")
    volatility_annualized: float | None
    trend: str | None
    trend_score: int | None
    activity_score: float | None
    activity_bucket: str | None = Field(description="`HOT`, `WARM`, `COLD` or `DEAD`.")
    analysis_priority: int | None
    market_regime: str | None
    regime_confidence: float | None
    market_regime_details: dict[str, RegimeDetailPublic] | None = Field(
        description="The coin's regime per timeframe (keys are minutes, ascending).")
    completeness: int
    is_primary: bool = Field(description="The coin's reference snapshot row.")
    indicator_version: int
    updated_at: datetime


class CoinsMetricsPublic(PagePublic):
    """Each coin's primary metrics, by sort order then symbol."""

    data: list[CoinMetricsPublic]


class CoinMetricsDetailPublic(SnapshotPublic):
    """One coin's metrics on every timeframe."""

    coin_id: int
    symbol: str
    name: str
    sector: str
    primary_timeframe: int | None
    market_regime_details: dict[str, RegimeDetailPublic] | None
    count: int
    data: list[CoinMetricsPublic]


@dataclass(frozen=True, slots=True)
class IndicatorPublic(IndicatorRow):
    """Every indicator and per-bar feature of one closed candle (``timestamp`` = open time)."""


class IndicatorsPublic(PagePublic):
    """A page of indicator rows in ascending time; ``next_cursor`` continues with OLDER rows."""

    coin_id: int
    symbol: str
    interval: str
    data: list[IndicatorPublic]


class SignalPublic(PublicModel):
    """A signal on a candle (``candle_timestamp`` = its open time, DECISIONS.md 4)."""

    id: int
    coin_id: int
    symbol: str
    name: str
    sector: str
    timeframe: int
    signal_type: str
    source: str = Field(description="Which product raised it, e.g. `indicator`.")
    direction: str = Field(description="`bullish`, `bearish` or `neutral`.")
    confidence: float
    priority_score: float
    context_score: float
    regime_alignment: float
    market_regime: str | None
    candle_timestamp: datetime
    created_at: datetime


class SignalsPublic(PagePublic):
    """Signals, newest candle first."""

    data: list[SignalPublic]
