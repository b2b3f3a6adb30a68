"""Immutable read models the read API serves for the signals domain.

Decision rows carry their coin (symbol, name, sector code) so a list needs no second lookup; the
field order is the select order (rows are built positionally).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class InvestmentDecisionRow:
    """One ``investment_decisions`` row (reference 5.1): the pattern stack of a bar turned into a decision."""

    id: int
    coin_id: int
    symbol: str
    name: str
    sector: str
    timeframe: int
    timestamp: datetime
    decision: str
    confidence: float
    confidence_band: str
    score: float
    bias_ratio: float
    signal_priority: float
    regime_factor: float
    sector_factor: float
    cycle_factor: float
    historical_success: float
    strategy_alignment: float
    pattern_count: int
    cluster_count: int
    hierarchy_count: int
    regime: str | None
    reason: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class FinalSignalRow:
    """One ``final_signals`` row (reference 5.2): an investment decision after liquidity, slippage and
    volatility risk, with the risk inputs of its bar."""

    id: int
    coin_id: int
    symbol: str
    name: str
    sector: str
    timeframe: int
    timestamp: datetime
    decision: str
    confidence: float
    confidence_band: str
    base_decision: str
    risk_adjusted_score: float
    liquidity_score: float
    slippage_risk: float
    volatility_risk: float
    price: float | None
    atr: float | None
    regime: str | None
    reason: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class MarketDecisionRow:
    """One ``market_decisions`` row (reference 5.3, signal fusion); factors and flags are split lists."""

    id: int
    coin_id: int
    symbol: str
    name: str
    sector: str
    timeframe: int
    timestamp: datetime
    decision: str
    confidence: float
    confidence_band: str
    signal_count: int
    bullish_score: float
    bearish_score: float
    agreement: float
    cross_alignment: float
    regime: str | None
    dominant_factors: list[str]
    flags: list[str]
    created_at: datetime


DecisionRow = InvestmentDecisionRow | FinalSignalRow | MarketDecisionRow


@dataclass(frozen=True, slots=True)
class BacktestRow:
    """One stored backtest summary; ``symbol`` is null for the all-coin summaries."""

    symbol: str | None
    signal_type: str
    timeframe: int
    lookback_days: int
    sample_size: int
    coin_count: int
    win_rate: float
    roi: float
    avg_return: float
    sharpe_ratio: float
    sharpe_annualized: float
    max_drawdown: float
    equity_drawdown: float
    avg_confidence: float
    first_signal_at: datetime | None
    last_signal_at: datetime | None
    as_of: datetime


@dataclass(frozen=True, slots=True)
class BacktestPage:
    """A page of backtest summaries and every lookback the table holds (ascending)."""

    available_lookbacks: tuple[int, ...]
    rows: tuple[BacktestRow, ...]


@dataclass(frozen=True, slots=True)
class StrategyRuleRow:
    """One rule of a strategy; every rule must match (AND). ``*`` matches anything."""

    pattern_slug: str
    regime: str
    sector: str
    cycle: str
    min_confidence: float


@dataclass(frozen=True, slots=True)
class StrategyPerformanceRow:
    """A strategy's row in the newest discovery snapshot."""

    strategy_id: int
    name: str
    timeframe: int
    enabled: bool
    rank: int
    sample_size: int
    win_rate: float
    avg_return: float
    sharpe_ratio: float
    sharpe_annualized: float
    max_drawdown: float
    as_of: datetime


@dataclass(frozen=True, slots=True)
class StrategyRow:
    """A discovered strategy; enabled and performance come from the newest snapshot (a strategy absent
    from it is disabled and has no performance)."""

    id: int
    name: str
    timeframe: int
    description: str
    enabled: bool
    created_at: datetime
    rules: tuple[StrategyRuleRow, ...]
    performance: StrategyPerformanceRow | None
