"""Pattern-domain tables (DDL in ``migrations/``)."""

from __future__ import annotations

from sqlalchemy import (
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
    text,
)

from iris_resources.db.schema import metadata

pattern_registry = Table(
    "pattern_registry",
    metadata,
    Column("slug", String(64), primary_key=True),
    Column("category", String(32), nullable=False),
    Column("bias", String(16), nullable=False),
    Column("lookback", Integer, nullable=False),
    Column("cpu_cost", SmallInteger, nullable=False),
    Column("lifecycle_state", String(32), nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Cycle phase of every closed candle (a history, not a JSON blob).
market_cycles = Table(
    "market_cycles",
    metadata,
    Column("coin_id", Integer, nullable=False),
    Column("timeframe", SmallInteger, nullable=False),
    Column("timestamp", DateTime(timezone=True), nullable=False),
    Column("cycle_phase", String(32), nullable=False),
    Column("confidence", Float, nullable=False),
    PrimaryKeyConstraint("coin_id", "timeframe", "timestamp"),
)

_HORIZONS = ("4b", "12b", "24b", "24h", "72h")

# Every signal's outcome at its horizons, keyed like the signal (candle open time).
signal_outcomes = Table(
    "signal_outcomes",
    metadata,
    Column("coin_id", Integer, nullable=False),
    Column("timeframe", SmallInteger, nullable=False),
    Column("candle_timestamp", DateTime(timezone=True), nullable=False),
    Column("signal_type", String(64), nullable=False),
    Column("direction", String(16), nullable=False),
    Column("market_regime", String(32)),
    Column("entry_price", Float),
    *(Column(f"return_{h}", Float) for h in _HORIZONS),
    *(Column(f"mae_{h}", Float) for h in _HORIZONS),
    Column("result_return", Float),
    Column("result_drawdown", Float),
    Column("evaluated_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("coin_id", "timeframe", "candle_timestamp", "signal_type"),
    # Success rates read each scope's newest evaluated outcomes by candle time (known_pattern_outcomes).
    Index("ix_signal_outcomes_scope_ts", "timeframe", "signal_type", "market_regime", "candle_timestamp",
          postgresql_where=text("result_return IS NOT NULL")),
)

pattern_statistics = Table(
    "pattern_statistics",
    metadata,
    Column("pattern_slug", String(64), nullable=False),
    Column("timeframe", SmallInteger, nullable=False),
    Column("market_regime", String(32), nullable=False),
    Column("total_signals", Integer, nullable=False),
    Column("successful_signals", Integer, nullable=False),
    Column("success_rate", Float, nullable=False),
    Column("avg_return", Float),
    Column("avg_drawdown", Float),
    Column("temperature", Float, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("pattern_slug", "timeframe", "market_regime"),
)
