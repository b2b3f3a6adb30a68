"""Patterns, pattern signals, signal outcomes, regimes and market cycles (reference 7.1 and 3.1–3.2)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from iris_api.schemas.common import PagePublic, PublicModel, SnapshotPublic

_FRACTION = "Fraction signed in the trade's direction (0.05 = +5 %)."


class PatternStatisticPublic(PublicModel):
    """A pattern's rolling success statistics on one timeframe and regime (``all``: every regime)."""

    timeframe: int
    market_regime: str
    sample_size: int = Field(description="Outcomes counted (= `total_signals`).")
    total_signals: int
    successful_signals: int = Field(description="Outcomes with a positive terminal return.")
    success_rate: float
    avg_return: float | None
    avg_drawdown: float | None
    temperature: float
    enabled: bool
    updated_at: datetime = Field(description="Candle time of the newest outcome the statistics include.")


class PatternPublic(PublicModel):
    """A detector of the pattern registry with its statistics (by timeframe, the ``all`` regime first)."""

    slug: str = Field(description="Detector slug; its signals are `pattern_<slug>`.")
    category: str
    bias: str = Field(description="`bullish`, `bearish`, `neutral` or `two_sided`.")
    lookback: int = Field(description="Bars the detector reads.")
    cpu_cost: int
    lifecycle_state: str = Field(description="`ACTIVE`, `EXPERIMENTAL`, `COOLDOWN` or `DISABLED`.")
    enabled: bool
    updated_at: datetime
    statistics: list[PatternStatisticPublic]


class PatternsPublic(PagePublic):
    """Patterns by category, then slug."""

    data: list[PatternPublic]


class PatternItemPublic(SnapshotPublic):
    """One pattern."""

    data: PatternPublic


class PatternSignalPublic(PublicModel):
    """A pattern, cluster or hierarchy signal on a coin's candle (``candle_timestamp`` = its open time)."""

    id: int
    coin_id: int
    symbol: str
    name: str
    sector: str = Field(description="Sector code of the coin.")
    timeframe: int
    signal_type: str
    kind: str = Field(description="`pattern` (a detector), `cluster` or `hierarchy` (meta-signals).")
    pattern_slug: str | None = Field(description="The detector's slug; null for clusters and hierarchy.")
    direction: str
    confidence: float
    priority_score: float
    context_score: float
    regime_alignment: float
    market_regime: str | None
    cycle_phase: str | None = Field(description="The coin's cycle phase on that candle and timeframe.")
    cycle_confidence: float | None
    cluster_membership: list[str] = Field(description="Cluster signals raised on the same candle.")
    candle_timestamp: datetime
    created_at: datetime


class CoinPatternsPublic(PagePublic):
    """A coin's pattern signals: newest candle first, then patterns, clusters, hierarchy, then confidence."""

    coin_id: int
    symbol: str
    data: list[PatternSignalPublic]


class SignalOutcomePublic(PublicModel):
    """A signal's outcome: the return and maximum adverse excursion (MAE) at each horizon, in bars of its
    timeframe (``4b``, ``12b``, ``24b``) and wall-clock hours (``24h``, ``72h``)."""

    timeframe: int
    candle_timestamp: datetime = Field(description="Open time of the signal's candle.")
    signal_type: str
    direction: str
    market_regime: str | None
    entry_price: float | None
    return_4b: float | None = Field(description=_FRACTION)
    return_12b: float | None
    return_24b: float | None
    return_24h: float | None
    return_72h: float | None
    mae_4b: float | None = Field(description="Worst adverse excursion up to the horizon (≤ 0).")
    mae_12b: float | None
    mae_24b: float | None
    mae_24h: float | None
    mae_72h: float | None
    result_return: float | None = Field(description="The 72 h return, else the 24 h one.")
    result_drawdown: float | None
    result: str | None = Field(description="`win` when `result_return` > 0, `loss` otherwise; null while unknown.")
    evaluated_at: datetime


class SignalHistoryPublic(PagePublic):
    """A coin's signal outcomes by candle time, timeframe and signal type (all descending)."""

    coin_id: int
    symbol: str
    data: list[SignalOutcomePublic]


class CoinRegimeItemPublic(PublicModel):
    """A coin's current regime on one timeframe."""

    timeframe: int
    regime: str
    confidence: float | None
    is_primary: bool = Field(description="The coin's primary timeframe (its reference snapshot).")
    candle_timestamp: datetime = Field(description="Open time of the candle the regime was classified on.")
    since: datetime | None = Field(description="Candle at which the coin entered this regime, when recorded.")
    previous_regime: str | None


class CoinRegimePublic(SnapshotPublic):
    """A coin's regime per timeframe (ascending) and its canonical regime: the primary timeframe's, else the
    first of 1440, 240, 60, 15 that has one (reference 3.1)."""

    coin_id: int
    symbol: str
    canonical_regime: str | None
    canonical_timeframe: int | None
    count: int
    data: list[CoinRegimeItemPublic]


class RegimeChangeEventPublic(PublicModel):
    """A coin's regime changed on a timeframe at ``timestamp`` (a candle open time)."""

    coin_id: int
    symbol: str
    name: str
    timeframe: int
    regime: str
    previous_regime: str | None
    confidence: float
    timestamp: datetime


class RegimeChangesPublic(PagePublic):
    """Regime changes, newest first."""

    data: list[RegimeChangeEventPublic]


class MarketCyclePublic(PublicModel):
    """A coin's newest cycle phase on one timeframe."""

    coin_id: int
    symbol: str
    name: str
    timeframe: int
    cycle_phase: str = Field(description="`ACCUMULATION`, `EARLY_MARKUP`, `MARKUP`, `LATE_MARKUP`, `DISTRIBUTION`, "
                                         "`EARLY_MARKDOWN`, `MARKDOWN` or `CAPITULATION`.")
    confidence: float
    detected_at: datetime = Field(description="Open time of the candle the phase was detected on.")


class MarketCyclesPublic(PagePublic):
    """Each coin's newest phase per timeframe by confidence (descending), coin sort order, symbol, timeframe."""

    data: list[MarketCyclePublic]
