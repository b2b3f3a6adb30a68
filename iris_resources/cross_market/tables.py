"""Cross-market tables read by the market-flow projection (DECISIONS.md 20: tables, not a stream tail)."""

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
)

from iris_resources.db.schema import metadata

# A coin detected as a market leader at a candle (reference 3.14 rule, percent units).
market_leaders = Table(
    "market_leaders",
    metadata,
    Column("coin_id", Integer, nullable=False),
    Column("timeframe", SmallInteger, nullable=False),
    Column("timestamp", DateTime(timezone=True), nullable=False),
    Column("direction", String(8), nullable=False),
    Column("confidence", Float, nullable=False),
    Column("price_change_24h_pct", Float),
    Column("volume_change_24h_pct", Float),
    Column("market_regime", String(32)),
    PrimaryKeyConstraint("coin_id", "timeframe", "timestamp"),
    Index("ix_market_leaders_ts", "timestamp"),
)

# Capital rotating from one sector to another at a time.
sector_rotations = Table(
    "sector_rotations",
    metadata,
    Column("source_sector_id", Integer, nullable=False),
    Column("target_sector_id", Integer, nullable=False),
    Column("timeframe", SmallInteger, nullable=False),
    Column("timestamp", DateTime(timezone=True), nullable=False),
    Column("strength", Float),
    PrimaryKeyConstraint("source_sector_id", "target_sector_id", "timeframe", "timestamp"),
    Index("ix_sector_rotations_ts", "timestamp"),
)

# Lead/lag relation of every ordered pair, as of the end of each day (DECISIONS.md 18–19): readers
# take the newest ``as_of``; ``confidence`` is the recomputed value plus the feedback ledger.
coin_relations = Table(
    "coin_relations",
    metadata,
    Column("leader_coin_id", Integer, nullable=False),
    Column("follower_coin_id", Integer, nullable=False),
    Column("timeframe", SmallInteger, nullable=False),
    Column("as_of", DateTime(timezone=True), nullable=False),
    Column("correlation", Float, nullable=False),
    Column("lag_bars", SmallInteger, nullable=False),
    Column("lag_hours", Float, nullable=False),
    Column("confidence", Float, nullable=False),
    Column("base_confidence", Float, nullable=False),
    Column("feedback_adjustment", Float, nullable=False),
    Column("sample_size", Integer, nullable=False),
    Column("active", Boolean, nullable=False),
    PrimaryKeyConstraint("as_of", "timeframe", "leader_coin_id", "follower_coin_id"),
    Index("ix_coin_relations_follower", "follower_coin_id", "timeframe", "as_of"),
)

# Sector momentum snapshots (single writer: the cross-market sector asset; DECISIONS.md 14).
sector_metrics = Table(
    "sector_metrics",
    metadata,
    Column("sector_id", Integer, nullable=False),
    Column("timeframe", SmallInteger, nullable=False),
    Column("as_of", DateTime(timezone=True), nullable=False),
    Column("sector_strength", Float),
    Column("relative_strength", Float),
    Column("capital_flow", Float),
    Column("avg_price_change_24h_pct", Float),
    Column("avg_volume_change_24h_pct", Float),
    Column("volatility", Float),
    Column("trend", String(16)),
    Column("coin_count", Integer, nullable=False),
    PrimaryKeyConstraint("sector_id", "timeframe", "as_of"),
)
