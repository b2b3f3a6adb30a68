"""Indicators-domain tables (DDL lives in ``migrations/``; these definitions must match it)."""

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
)
from sqlalchemy.dialects.postgresql import JSONB

from iris_resources.db.schema import metadata
from iris_resources.indicators.columns import (
    CANDLE_PATTERN_COLUMNS,
    ENGINE_FLOAT_COLUMNS,
    FEATURE_FLOAT_COLUMNS,
    FEATURE_INT_COLUMNS,
    FEATURE_TEXT_COLUMNS,
    SNAPSHOT_INDICATORS,
)


def _ts(name: str, nullable: bool = True) -> Column:
    return Column(name, DateTime(timezone=True), nullable=nullable)


# One row per closed candle and timeframe: every indicator (wide, so bulk reads are one scan).
# Like ``candles`` it has no FK on coin_id (bulk loads; see market_data/tables.py).
indicators = Table(
    "indicators",
    metadata,
    Column("coin_id", Integer, nullable=False),
    Column("timeframe", SmallInteger, nullable=False),
    _ts("timestamp", nullable=False),
    Column("close", Float, nullable=False),
    Column("volume", Float),
    *(Column(name, Float) for name in ENGINE_FLOAT_COLUMNS),
    *(Column(name, SmallInteger) for name in CANDLE_PATTERN_COLUMNS),
    *(Column(name, Float) for name in FEATURE_FLOAT_COLUMNS),
    *(Column(name, SmallInteger) for name in FEATURE_INT_COLUMNS),
    *(Column(name, String(32)) for name in FEATURE_TEXT_COLUMNS),
    PrimaryKeyConstraint("coin_id", "timeframe", "timestamp"),
)

# Latest state per coin and timeframe (DECISIONS.md 9); ``is_primary`` marks the reference's
# per-coin snapshot (most complete, ties to the larger timeframe).
coin_metrics = Table(
    "coin_metrics",
    metadata,
    Column("coin_id", Integer, nullable=False),
    Column("timeframe", SmallInteger, nullable=False),
    _ts("candle_timestamp", nullable=False),
    Column("price_current", Float),
    Column("price_change_1h_pct", Float),
    Column("price_change_24h_pct", Float),
    Column("price_change_7d_pct", Float),
    Column("volume_24h", Float),
    Column("volume_change_24h_pct", Float),
    Column("volatility", Float),
    Column("volatility_annualized", Float),
    *(Column(name, Float) for name in SNAPSHOT_INDICATORS),
    Column("trend", String(16)),
    Column("trend_score", SmallInteger),
    Column("activity_score", Float),
    Column("activity_bucket", String(16)),
    Column("analysis_priority", SmallInteger),
    Column("market_regime", String(32)),
    Column("regime_confidence", Float),
    Column("completeness", SmallInteger, nullable=False),
    Column("is_primary", Boolean, nullable=False),
    Column("indicator_version", SmallInteger, nullable=False, server_default="1"),
    _ts("updated_at", nullable=False),
    PrimaryKeyConstraint("coin_id", "timeframe"),
    Index("ix_coin_metrics_activity_score", "activity_score"),
)

# Signals of every source (indicators now; patterns and fusion later), keyed on candle OPEN time.
signals = Table(
    "signals",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("coin_id", Integer, nullable=False),
    Column("timeframe", SmallInteger, nullable=False),
    Column("signal_type", String(64), nullable=False),
    Column("source", String(32), nullable=False),
    Column("direction", String(16), nullable=False),
    Column("confidence", Float, nullable=False),
    Column("priority_score", Float, nullable=False, server_default="0"),
    Column("context_score", Float, nullable=False, server_default="1"),
    Column("regime_alignment", Float, nullable=False, server_default="1"),
    Column("market_regime", String(32)),
    _ts("candle_timestamp", nullable=False),
    _ts("created_at", nullable=False),
    UniqueConstraint("coin_id", "timeframe", "candle_timestamp", "signal_type"),
    Index("ix_signals_coin_ts", "coin_id", "candle_timestamp"),
)

# A coin/timeframe's regime changed at this bar (replaces the reference's stream tail, DECISIONS 20).
regime_changes = Table(
    "regime_changes",
    metadata,
    Column("coin_id", Integer, nullable=False),
    Column("timeframe", SmallInteger, nullable=False),
    _ts("timestamp", nullable=False),
    Column("regime", String(32), nullable=False),
    Column("previous_regime", String(32)),
    Column("confidence", Float, nullable=False),
    PrimaryKeyConstraint("coin_id", "timeframe", "timestamp"),
    Index("ix_regime_changes_ts", "timestamp"),
)

feature_snapshots = Table(
    "feature_snapshots",
    metadata,
    Column("coin_id", Integer, nullable=False),
    Column("timeframe", SmallInteger, nullable=False),
    _ts("timestamp", nullable=False),
    Column("price_current", Float),
    Column("rsi_14", Float),
    Column("macd", Float),
    Column("trend_score", SmallInteger),
    Column("volatility", Float),
    Column("sector_strength", Float),
    Column("market_regime", String(32)),
    Column("cycle_phase", String(32)),
    Column("pattern_density", Integer, nullable=False, server_default="0"),
    Column("cluster_score", Float, nullable=False, server_default="0"),
    PrimaryKeyConstraint("coin_id", "timeframe", "timestamp"),
)

# Materialized read projections (radar, flow, …): one row per name, replaced on each run.
projections = Table(
    "projections",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("payload", JSONB, nullable=False),
    _ts("generated_at", nullable=False),
    _ts("source_timestamp"),
    Column("run_id", String(64)),
    _ts("updated_at", nullable=False),
)
