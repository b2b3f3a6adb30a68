"""Anomaly tables (reference 1.9/1.10) plus a transition ledger that makes re-runs reproducible."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB

from iris_resources.db.schema import metadata

market_anomalies = Table(
    "market_anomalies",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("coin_id", Integer, nullable=False),
    Column("symbol", String(32), nullable=False),
    Column("timeframe", SmallInteger, nullable=False),
    Column("anomaly_type", String(64), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("confidence", Float, nullable=False),
    Column("score", Float, nullable=False),
    Column("status", String(16), nullable=False),
    Column("detected_at", DateTime(timezone=True), nullable=False),
    Column("window_start", DateTime(timezone=True)),
    Column("window_end", DateTime(timezone=True), nullable=False),
    Column("market_regime", String(32)),
    Column("sector", String(64)),
    Column("summary", String(255), nullable=False),
    Column("payload_json", JSONB, nullable=False),
    Column("cooldown_until", DateTime(timezone=True)),
    Column("last_confirmed_at", DateTime(timezone=True)),
    Column("resolved_at", DateTime(timezone=True)),
    Column("source_pipeline", String(32), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # One anomaly per key and detection time: re-running a day rewrites, never duplicates.
    UniqueConstraint("coin_id", "timeframe", "anomaly_type", "detected_at"),
    Index("ix_market_anomalies_status_detected", "status", "detected_at"),
    Index("ix_market_anomalies_severity_score", "severity", "score"),
)

# Every lifecycle step with its time, so the state at any instant can be rebuilt (re-runs, audits).
anomaly_transitions = Table(
    "anomaly_transitions",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("anomaly_id", BigInteger, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("action", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("score", Float),
    Column("reason", String(64)),
    # The columns this step wrote, and (for anomalies created earlier) their values before it:
    # re-running a day restores the ``before`` of its first step, then replays the day.
    Column("changes", JSONB(none_as_null=True)),
    Column("before", JSONB(none_as_null=True)),
    Index("ix_anomaly_transitions_anomaly_at", "anomaly_id", "at"),
    Index("ix_anomaly_transitions_at", "at"),
)

market_structure_snapshots = Table(
    "market_structure_snapshots",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("coin_id", Integer, nullable=False),
    Column("symbol", String(32), nullable=False),
    Column("timeframe", SmallInteger, nullable=False),
    Column("venue", String(32), nullable=False),
    Column("timestamp", DateTime(timezone=True), nullable=False),
    *(Column(name, Float) for name in (
        "last_price", "mark_price", "index_price", "funding_rate", "open_interest", "basis",
        "liquidations_long", "liquidations_short", "volume",
    )),
    Column("payload_json", JSONB, nullable=False),
    UniqueConstraint("coin_id", "timeframe", "venue", "timestamp"),
)
