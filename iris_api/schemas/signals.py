"""Decisions, final signals, market decisions, backtests and strategies (reference 7.2)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from iris_api.schemas.common import PagePublic, PublicModel, SnapshotPublic

_TIMESTAMP = "Open time of the bar the decision was made at (DECISIONS.md 4)."
_BAND = "`low`, `moderate`, `high` or `very_high`; a log row is written only when the decision or its band changes."


class _DecisionBase(PublicModel):
    id: int
    coin_id: int
    symbol: str
    name: str
    sector: str = Field(description="Sector code of the coin.")
    timeframe: int = Field(description="Minutes.")
    timestamp: datetime = Field(description=_TIMESTAMP)
    decision: str
    confidence: float
    confidence_band: str = Field(description=_BAND)


class InvestmentDecisionPublic(_DecisionBase):
    """An investment decision (reference 5.1): ``STRONG_BUY`` … ``STRONG_SELL`` from the pattern stack and
    its context; ``score`` is the product of the factors below."""

    score: float
    bias_ratio: float = Field(description="Weighted pattern bias in [-1, 1].")
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


class FinalSignalPublic(_DecisionBase):
    """An investment decision after liquidity, slippage and volatility risk (reference 5.2; it may only
    be downgraded). The risk inputs are those of the decision's bar."""

    base_decision: str = Field(description="The investment decision before risk.")
    risk_adjusted_score: float
    liquidity_score: float
    slippage_risk: float
    volatility_risk: float
    price: float | None = Field(description="Close of the decision's bar.")
    atr: float | None
    regime: str | None
    reason: str
    created_at: datetime


class MarketDecisionPublic(_DecisionBase):
    """A signal-fusion decision (reference 5.3): ``BUY``, ``SELL``, ``HOLD`` or ``WATCH``."""

    signal_count: int
    bullish_score: float
    bearish_score: float
    agreement: float = Field(description="|bullish − bearish| / (bullish + bearish).")
    cross_alignment: float = Field(description="Cross-market (leader) alignment factor applied.")
    regime: str | None
    dominant_factors: list[str] = Field(description="Signal types that contributed most, strongest first.")
    flags: list[str]
    created_at: datetime


class InvestmentDecisionsPublic(PagePublic):
    """Investment decisions."""

    data: list[InvestmentDecisionPublic]


class FinalSignalsPublic(PagePublic):
    """Final signals."""

    data: list[FinalSignalPublic]


class MarketDecisionsPublic(PagePublic):
    """Market decisions."""

    data: list[MarketDecisionPublic]


class _CoinDecisionBase(SnapshotPublic):
    coin_id: int
    symbol: str
    canonical_decision: str | None = Field(
        description="The decision of the first available timeframe in order 1440, 240, 60, 15 (reference 5.4).")
    canonical_timeframe: int | None = Field(description="The timeframe `canonical_decision` comes from.")
    count: int


class CoinInvestmentDecisionPublic(_CoinDecisionBase):
    """A coin's current investment decision on every timeframe, by ascending timeframe."""

    data: list[InvestmentDecisionPublic]


class CoinFinalSignalPublic(_CoinDecisionBase):
    """A coin's current final signal on every timeframe, by ascending timeframe."""

    data: list[FinalSignalPublic]


class CoinMarketDecisionPublic(_CoinDecisionBase):
    """A coin's current market decision on every timeframe, by ascending timeframe."""

    data: list[MarketDecisionPublic]


class DecisionHistoryPublic(PagePublic):
    """A page of one coin's decision log, newest bar first; items follow ``kind``."""

    coin_id: int
    symbol: str
    kind: str = Field(description="`investment`, `final` or `market`: which log.")
    data: list[FinalSignalPublic] | list[InvestmentDecisionPublic] | list[MarketDecisionPublic]


class BacktestPublic(PublicModel):
    """A backtest summary of one signal type on one timeframe (reference ``BacktestSummaryRead``), over
    every coin (``symbol`` null) or one; materialized by the ``signal_backtests`` asset."""

    symbol: str | None
    signal_type: str
    timeframe: int
    lookback_days: int
    sample_size: int
    coin_count: int
    win_rate: float = Field(description="Share of outcomes with a positive return.")
    roi: float = Field(description="Sum of returns (fractions).")
    avg_return: float
    sharpe_ratio: float = Field(description="Per trade: mean / population std-dev of returns.")
    sharpe_annualized: float
    max_drawdown: float = Field(description="Worst adverse excursion of a single outcome.")
    equity_drawdown: float = Field(description="Deepest fall of the cumulative-return curve.")
    avg_confidence: float
    first_signal_at: datetime | None
    last_signal_at: datetime | None
    as_of: datetime = Field(description="The \"now\" the summary was computed at (newest candle close).")


class BacktestsPublic(PagePublic):
    """Backtest summaries of one stored lookback."""

    available_lookbacks: list[int] = Field(description="Every `lookback_days` the server has summaries for.")
    data: list[BacktestPublic]


class CoinBacktestsPublic(BacktestsPublic):
    """One coin's backtest summaries."""

    coin_id: int
    symbol: str


class StrategyRulePublic(PublicModel):
    """One rule; all rules of a strategy must match. ``*`` matches anything."""

    pattern_slug: str
    regime: str
    sector: str
    cycle: str
    min_confidence: float


class StrategyPerformancePublic(PublicModel):
    """A strategy's performance in the newest discovery snapshot."""

    strategy_id: int
    name: str
    timeframe: int
    enabled: bool
    rank: int = Field(description="Discovery rank within its timeframe (1 = best).")
    sample_size: int
    win_rate: float
    avg_return: float
    sharpe_ratio: float
    sharpe_annualized: float
    max_drawdown: float
    as_of: datetime = Field(description="The snapshot's time.")


class StrategyPublic(PublicModel):
    """A discovered strategy; ``enabled`` and ``performance`` come from the newest snapshot (absent from
    it: disabled, no performance)."""

    id: int
    name: str
    timeframe: int
    description: str
    enabled: bool
    created_at: datetime
    rules: list[StrategyRulePublic]
    performance: StrategyPerformancePublic | None


class StrategiesPublic(PagePublic):
    """Strategies, enabled first, then by id."""

    data: list[StrategyPublic]


class StrategyPerformancesPublic(PagePublic):
    """The newest snapshot's performance rows: enabled first, then Sharpe, win rate, average return (desc)."""

    data: list[StrategyPerformancePublic]
