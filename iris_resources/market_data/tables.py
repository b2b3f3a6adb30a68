"""Market data tables (DDL lives in ``migrations/``; these definitions must match it)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB

from iris_resources.db.schema import metadata

sectors = Table(
    "sectors",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("name", String(64), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

coins = Table(
    "coins",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("symbol", String(32), nullable=False, unique=True),
    Column("name", String(120), nullable=False),
    Column("asset_type", String(32), nullable=False, server_default="crypto"),
    Column("sector_id", Integer, ForeignKey("sectors.id", ondelete="RESTRICT"), nullable=False, index=True),
    Column("base_timeframe", SmallInteger, nullable=False, server_default="15"),
    Column("enabled", Boolean, nullable=False, server_default="true"),
    Column("sort_order", Integer, nullable=False, server_default="0"),
    Column("source", String(64), nullable=False, server_default="default"),
    Column("history_backfill_completed_at", DateTime(timezone=True)),
    Column("last_history_sync_at", DateTime(timezone=True)),
    Column("next_history_sync_at", DateTime(timezone=True)),
    Column("last_history_sync_error", String(255)),
    Column("deleted_at", DateTime(timezone=True)),
    # Set when a portfolio balance enabled the coin; only such coins are disabled again below threshold.
    Column("auto_watch_enabled", Boolean, nullable=False, server_default="false"),
    Column("auto_watch_source", String(32)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("base_timeframe IN (1, 5, 15, 60, 240, 1440)", name="base_timeframe_known"),
)

# Base candles: only each coin's base timeframe is stored; higher timeframes are aggregates.
# ``coin_id`` deliberately has no foreign key: PostgreSQL checks an FK with a trigger per row, which
# tripled bulk-load time (6.3 s vs 2.0 s per 1M rows). The repository only writes ids it resolved
# from ``coins`` in the same transaction and checks them; coins are soft-deleted, never removed.
candles = Table(
    "candles",
    metadata,
    Column("coin_id", Integer, nullable=False),
    Column("timeframe", SmallInteger, nullable=False),
    Column("timestamp", DateTime(timezone=True), nullable=False),
    Column("open", Float, nullable=False),
    Column("high", Float, nullable=False),
    Column("low", Float, nullable=False),
    Column("close", Float, nullable=False),
    Column("volume", Float),
    PrimaryKeyConstraint("coin_id", "timeframe", "timestamp"),
    # Defence in depth: validation rejects these first, the database refuses them regardless.
    CheckConstraint(
        "low > 0 AND low <= open AND low <= close AND high >= open AND high >= close "
        "AND (volume IS NULL OR volume >= 0)",
        name="ohlc_valid",
    ),
)

# Higher-timeframe buckets derived from base candles; partial buckets are stored flagged.
candle_aggregates = Table(
    "candle_aggregates",
    metadata,
    Column("coin_id", Integer, nullable=False),  # no FK, as for ``candles``
    Column("timeframe", SmallInteger, nullable=False),
    Column("timestamp", DateTime(timezone=True), nullable=False),
    Column("open", Float, nullable=False),
    Column("high", Float, nullable=False),
    Column("low", Float, nullable=False),
    Column("close", Float, nullable=False),
    Column("volume", Float),
    Column("base_count", SmallInteger, nullable=False),
    Column("is_partial", Boolean, nullable=False),
    PrimaryKeyConstraint("coin_id", "timeframe", "timestamp"),
)

candle_gaps = Table(
    "candle_gaps",
    metadata,
    Column("coin_id", Integer, ForeignKey("coins.id", ondelete="CASCADE"), nullable=False),
    Column("timeframe", SmallInteger, nullable=False),
    Column("gap_start", DateTime(timezone=True), nullable=False),
    Column("gap_end", DateTime(timezone=True), nullable=False),
    Column("missing_bars", Integer, nullable=False),
    Column("detected_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("coin_id", "timeframe", "gap_start"),
)

# Quarantine: rows a batch refused, with the reason; replaced per batch key (idempotent re-runs).
candle_rejects = Table(
    "candle_rejects",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("batch_key", String(160), nullable=False),
    Column("source", String(64), nullable=False),
    Column("symbol", String(32)),
    Column("timestamp", DateTime(timezone=True)),
    Column("reason", String(64), nullable=False),
    Column("detail", Text, nullable=False, server_default=""),
    Column("line", Integer),
    Column("raw", JSONB),
    Column("rejected_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_candle_rejects_batch_key", "batch_key"),
)
