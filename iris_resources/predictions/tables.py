"""Prediction tables: one row per prediction (with its outcome) and the feedback ledger."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, DateTime, Float, Index, Integer, SmallInteger, String, Table

from iris_resources.db.schema import metadata

market_predictions = Table(
    "market_predictions",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("prediction_type", String(64), nullable=False),
    Column("leader_coin_id", Integer, nullable=False),
    Column("follower_coin_id", Integer, nullable=False),
    Column("timeframe", SmallInteger, nullable=False),
    Column("prediction_event", String(32), nullable=False),
    Column("expected_move", String(8), nullable=False),
    Column("expected_magnitude", Float, nullable=False),
    Column("entry_price", Float, nullable=False),
    Column("target_price", Float, nullable=False),
    Column("success_threshold", Float, nullable=False),
    Column("lag_bars", SmallInteger, nullable=False),
    Column("window_bars", SmallInteger, nullable=False),
    Column("confidence", Float, nullable=False),
    Column("relation_confidence", Float, nullable=False),
    Column("relation_correlation", Float, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("deadline", DateTime(timezone=True), nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", String(32)),
    Column("success", Boolean),
    Column("actual_move", Float),
    Column("realized_return", Float),
    Column("profit", Float),
    Column("candles_used", Integer),
    Column("decided_candle", DateTime(timezone=True)),
    Column("evaluated_at", DateTime(timezone=True)),
    Index("ix_market_predictions_status_deadline", "status", "deadline"),
    Index("ix_market_predictions_created", "created_at"),
    Index("ix_market_predictions_key", "leader_coin_id", "follower_coin_id", "timeframe"),
)

# DECISIONS.md 22: adjustments are rows, applied on top of every recomputed relation confidence.
relation_feedback = Table(
    "relation_feedback",
    metadata,
    Column("prediction_id", BigInteger, primary_key=True),
    Column("leader_coin_id", Integer, nullable=False),
    Column("follower_coin_id", Integer, nullable=False),
    Column("timeframe", SmallInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("adjustment", Float, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_relation_feedback_key", "leader_coin_id", "follower_coin_id", "timeframe"),
)
