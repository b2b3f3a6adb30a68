"""Cross-market tables read by the market-flow projection (DECISIONS.md 20: tables, not a stream tail)."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Float, Index, Integer, PrimaryKeyConstraint, SmallInteger, String, Table

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
