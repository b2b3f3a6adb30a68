"""Immutable read models the read API serves for the patterns domain: the pattern registry with its
statistics, pattern signals, signal outcomes, regimes and market cycles.

Rows are built positionally (select order = field order) unless a docstring says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class PatternStatisticRow:
    """A pattern's rolling success statistics on one timeframe and regime (``all`` = every regime)."""

    timeframe: int
    market_regime: str
    sample_size: int
    total_signals: int
    successful_signals: int
    success_rate: float
    avg_return: float | None
    avg_drawdown: float | None
    temperature: float
    enabled: bool
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class PatternRow:
    """A detector of the registry with its statistics (by timeframe, the ``all`` regime first)."""

    slug: str
    category: str
    bias: str
    lookback: int
    cpu_cost: int
    lifecycle_state: str
    enabled: bool
    updated_at: datetime
    statistics: tuple[PatternStatisticRow, ...]


@dataclass(frozen=True, slots=True)
class PatternSignalRow:
    """A pattern, cluster or hierarchy signal of a coin with the cycle phase of its candle and the
    cluster signals raised on the same candle."""

    id: int
    coin_id: int
    symbol: str
    name: str
    sector: str
    timeframe: int
    signal_type: str
    kind: str
    pattern_slug: str | None
    direction: str
    confidence: float
    priority_score: float
    context_score: float
    regime_alignment: float
    market_regime: str | None
    cycle_phase: str | None
    cycle_confidence: float | None
    cluster_membership: list[str]
    candle_timestamp: datetime
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SignalOutcomeRow:
    """A signal's outcome at every horizon (returns and adverse excursions are fractions signed in the
    trade's direction); ``result`` is ``win`` when ``result_return`` > 0, ``loss`` otherwise, null
    while unknown."""

    timeframe: int
    candle_timestamp: datetime
    signal_type: str
    direction: str
    market_regime: str | None
    entry_price: float | None
    return_4b: float | None
    return_12b: float | None
    return_24b: float | None
    return_24h: float | None
    return_72h: float | None
    mae_4b: float | None
    mae_12b: float | None
    mae_24b: float | None
    mae_24h: float | None
    mae_72h: float | None
    result_return: float | None
    result_drawdown: float | None
    result: str | None
    evaluated_at: datetime


@dataclass(frozen=True, slots=True)
class CoinRegimeRow:
    """A coin's current regime on one timeframe (its ``coin_metrics`` row) and, when the newest stored
    regime change agrees with it, when that regime began and what it replaced."""

    timeframe: int
    regime: str | None
    confidence: float | None
    is_primary: bool
    candle_timestamp: datetime
    since: datetime | None
    previous_regime: str | None


@dataclass(frozen=True, slots=True)
class RegimeChangeRow:
    """A coin's regime changed on a timeframe at ``timestamp`` (a candle open time)."""

    coin_id: int
    symbol: str
    name: str
    timeframe: int
    regime: str
    previous_regime: str | None
    confidence: float
    timestamp: datetime


@dataclass(frozen=True, slots=True)
class MarketCycleRow:
    """A coin's newest cycle phase on one timeframe; ``detected_at`` is the candle's open time and
    ``sort_order`` the coin's (a sort key, not served)."""

    coin_id: int
    symbol: str
    name: str
    sort_order: int
    timeframe: int
    cycle_phase: str
    confidence: float
    detected_at: datetime
