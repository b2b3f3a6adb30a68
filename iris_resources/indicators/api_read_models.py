"""Immutable read models the read API serves for the indicators domain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class RegimeDetail:
    """A coin's regime on one timeframe (``market_regime_details``)."""

    timeframe: int
    regime: str
    confidence: float | None


@dataclass(frozen=True, slots=True)
class CoinMetricsRow:
    """One ``coin_metrics`` row (a coin's latest state on one timeframe) with its coin.

    ``regime_details`` holds the coin's regimes on every timeframe when the query gathers them.
    """

    coin_id: int
    symbol: str
    name: str
    sector: str
    sort_order: int
    timeframe: int
    candle_timestamp: datetime
    price_current: float | None
    price_change_1h_pct: float | None
    price_change_24h_pct: float | None
    price_change_7d_pct: float | None
    volume_24h: float | None
    volume_change_24h_pct: float | None
    volatility: float | None
    volatility_annualized: float | None
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
    trend: str | None
    trend_score: int | None
    activity_score: float | None
    activity_bucket: str | None
    analysis_priority: int | None
    market_regime: str | None
    regime_confidence: float | None
    completeness: int
    is_primary: bool
    indicator_version: int
    updated_at: datetime
    regime_details: tuple[RegimeDetail, ...] = ()


@dataclass(frozen=True, slots=True)
class MetricsVersion:
    """What identifies the current metrics snapshot (cache keys, snapshot metadata)."""

    generated_at: datetime | None
    source_timestamp: datetime | None
    rows: int
    coins_updated_at: datetime | None


@dataclass(frozen=True, slots=True)
class IndicatorRow:
    """Every indicator and per-bar feature of one closed candle (the wide ``indicators`` row)."""

    timestamp: datetime
    close: float
    volume: float | None
    sma_20: float | None
    sma_50: float | None
    sma_200: float | None
    ema_12: float | None
    ema_20: float | None
    ema_26: float | None
    ema_50: float | None
    ema_200: float | None
    rsi_14: float | None
    macd: float | None
    macd_signal: float | None
    macd_histogram: float | None
    bb_upper: float | None
    bb_middle: float | None
    bb_lower: float | None
    bb_width: float | None
    true_range: float | None
    atr_14: float | None
    adx_14: float | None
    plus_di_14: float | None
    minus_di_14: float | None
    obv: float | None
    volume_sma_20: float | None
    volume_ratio_20: float | None
    natr_14: float | None
    stoch_k: float | None
    stoch_d: float | None
    stochrsi_k: float | None
    stochrsi_d: float | None
    cci_14: float | None
    willr_14: float | None
    mfi_14: float | None
    roc_10: float | None
    mom_10: float | None
    cdl_engulfing: int | None
    cdl_hammer: int | None
    cdl_doji: int | None
    cdl_morning_star: int | None
    cdl_evening_star: int | None
    cdl_shooting_star: int | None
    cdl_3_white_soldiers: int | None
    cdl_3_black_crows: int | None
    price_change_24h_pct: float | None
    price_change_7d_pct: float | None
    volume_24h: float | None
    volume_change_24h_pct: float | None
    volatility: float | None
    volatility_annualized: float | None
    range_high_20: float | None
    range_low_20: float | None
    average_volume_20: float | None
    regime_confidence: float | None
    trend_score: int | None
    trend: str | None
    market_regime: str | None


@dataclass(frozen=True, slots=True)
class SmaPoint:
    """Moving averages at one candle (charts)."""

    timestamp: datetime
    sma_20: float | None
    sma_50: float | None


@dataclass(frozen=True, slots=True)
class SignalRow:
    """A signal with its coin; ``candle_timestamp`` is the candle's open time."""

    id: int
    coin_id: int
    symbol: str
    name: str
    sector: str
    timeframe: int
    signal_type: str
    source: str
    direction: str
    confidence: float
    priority_score: float
    context_score: float
    regime_alignment: float
    market_regime: str | None
    candle_timestamp: datetime
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ProjectionVersion:
    """A materialized projection's identity: name, when and by which run, newest source data."""

    name: str
    generated_at: datetime
    source_timestamp: datetime | None
    run_id: str | None


@dataclass(frozen=True, slots=True)
class ProjectionRead:
    """A materialized projection with its JSON payload as text (parsed by the caller)."""

    name: str
    generated_at: datetime
    source_timestamp: datetime | None
    run_id: str | None
    payload_json: str
