"""Signals-domain tables (DDL in ``migrations/``).

Decision logs are keyed on the bar the decision was made at (candle open time, DECISIONS.md 4) and
hold a row only where the decision or its confidence band changed (DECISIONS.md 15), so a re-run of
a day replaces exactly that day's rows.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    UniqueConstraint,
    func,
)

from iris_resources.db.schema import metadata, timestamptz


def _decision_key() -> list[Column]:
    return [
        Column("id", BigInteger, primary_key=True),
        Column("coin_id", Integer, nullable=False),
        Column("timeframe", SmallInteger, nullable=False),
        timestamptz("timestamp"),
        Column("decision", String(32), nullable=False),
        Column("confidence", Float, nullable=False),
        Column("confidence_band", String(16), nullable=False),
    ]


# "Lazy investor" decisions from the pattern stack and its context (reference 5.1).
investment_decisions = Table(
    "investment_decisions",
    metadata,
    *_decision_key(),
    Column("score", Float, nullable=False),
    Column("bias_ratio", Float, nullable=False),
    Column("signal_priority", Float, nullable=False),
    Column("regime_factor", Float, nullable=False),
    Column("sector_factor", Float, nullable=False),
    Column("cycle_factor", Float, nullable=False),
    Column("historical_success", Float, nullable=False),
    Column("strategy_alignment", Float, nullable=False),
    Column("pattern_count", Integer, nullable=False),
    Column("cluster_count", Integer, nullable=False),
    Column("hierarchy_count", Integer, nullable=False),
    Column("regime", String(32)),
    Column("reason", String(512), nullable=False),
    timestamptz("created_at"),
    UniqueConstraint("coin_id", "timeframe", "timestamp"),
    Index("ix_investment_decisions_ts", "timestamp"),
)

# Investment decisions after liquidity, slippage and volatility risk (reference 5.2; downgrade-only).
final_signals = Table(
    "final_signals",
    metadata,
    *_decision_key(),
    Column("base_decision", String(32), nullable=False),
    Column("risk_adjusted_score", Float, nullable=False),
    Column("liquidity_score", Float, nullable=False),
    Column("slippage_risk", Float, nullable=False),
    Column("volatility_risk", Float, nullable=False),
    Column("price", Float),
    Column("atr", Float),
    Column("regime", String(32)),
    Column("reason", String(512), nullable=False),
    timestamptz("created_at"),
    UniqueConstraint("coin_id", "timeframe", "timestamp"),
    Index("ix_final_signals_ts", "timestamp"),
)

# Latest risk inputs per coin and timeframe (the newest evaluated bar).
risk_metrics = Table(
    "risk_metrics",
    metadata,
    Column("coin_id", Integer, nullable=False),
    Column("timeframe", SmallInteger, nullable=False),
    timestamptz("timestamp"),
    Column("liquidity_score", Float, nullable=False),
    Column("slippage_risk", Float, nullable=False),
    Column("volatility_risk", Float, nullable=False),
    timestamptz("updated_at"),
    PrimaryKeyConstraint("coin_id", "timeframe"),
)

# Signal fusion output (reference 5.3): BUY / SELL / HOLD / WATCH.
market_decisions = Table(
    "market_decisions",
    metadata,
    *_decision_key(),
    Column("signal_count", Integer, nullable=False),
    Column("bullish_score", Float, nullable=False),
    Column("bearish_score", Float, nullable=False),
    Column("agreement", Float, nullable=False),
    Column("cross_alignment", Float, nullable=False),
    Column("regime", String(32)),
    Column("dominant_factors", String(256)),
    Column("flags", String(256)),
    timestamptz("created_at"),
    UniqueConstraint("coin_id", "timeframe", "timestamp"),
    Index("ix_market_decisions_ts", "timestamp"),
)

# Backtest summaries per signal type / timeframe, over all coins (coin_id NULL) and per coin.
signal_backtests = Table(
    "signal_backtests",
    metadata,
    Column("lookback_days", SmallInteger, nullable=False),
    Column("coin_id", Integer),
    Column("signal_type", String(64), nullable=False),
    Column("timeframe", SmallInteger, nullable=False),
    Column("sample_size", Integer, nullable=False),
    Column("coin_count", Integer, nullable=False),
    Column("win_rate", Float, nullable=False),
    Column("roi", Float, nullable=False),
    Column("avg_return", Float, nullable=False),
    Column("sharpe_ratio", Float, nullable=False),
    Column("sharpe_annualized", Float, nullable=False),
    Column("max_drawdown", Float, nullable=False),
    Column("equity_drawdown", Float, nullable=False),
    Column("avg_confidence", Float, nullable=False),
    timestamptz("first_signal_at", nullable=True),
    timestamptz("last_signal_at", nullable=True),
    timestamptz("as_of"),
    Index("ix_signal_backtests_scope", "lookback_days", "timeframe", "signal_type", "coin_id"),
)

# Discovered strategies carry their timeframe (DECISIONS.md 16); the name is unique.
strategies = Table(
    "strategies",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(160), nullable=False, unique=True),
    Column("timeframe", SmallInteger, nullable=False),
    Column("description", String(512), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

strategy_rules = Table(
    "strategy_rules",
    metadata,
    Column("strategy_id", Integer, nullable=False),
    Column("pattern_slug", String(96), nullable=False),
    Column("regime", String(32), nullable=False, server_default="*"),
    Column("sector", String(64), nullable=False, server_default="*"),
    Column("cycle", String(32), nullable=False, server_default="*"),
    Column("min_confidence", Float, nullable=False, server_default="0"),
    PrimaryKeyConstraint("strategy_id", "pattern_slug"),
)

# Performance per discovery snapshot: a decision at bar t uses the newest snapshot with as_of ≤ t,
# which was computed only from outcomes known by then (no look-ahead).
strategy_performance = Table(
    "strategy_performance",
    metadata,
    Column("strategy_id", Integer, nullable=False),
    timestamptz("as_of"),
    Column("enabled", Boolean, nullable=False),
    Column("rank", Integer, nullable=False),
    Column("sample_size", Integer, nullable=False),
    Column("win_rate", Float, nullable=False),
    Column("avg_return", Float, nullable=False),
    Column("sharpe_ratio", Float, nullable=False),
    Column("sharpe_annualized", Float, nullable=False),
    Column("max_drawdown", Float, nullable=False),
    PrimaryKeyConstraint("strategy_id", "as_of"),
    Index("ix_strategy_performance_as_of", "as_of"),
)
