"""cross market predictions

Revision ID: 0005_cross_market_predictions
Revises: 0004_api_read_role
Create Date: 2026-11-26 10:14:16.851861
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_cross_market_predictions"
down_revision = "0004_api_read_role"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "coin_relations",
        sa.Column("leader_coin_id", sa.Integer(), nullable=False),
        sa.Column("follower_coin_id", sa.Integer(), nullable=False),
        sa.Column("timeframe", sa.SmallInteger(), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.Column("correlation", sa.Float(), nullable=False),
        sa.Column("lag_bars", sa.SmallInteger(), nullable=False),
        sa.Column("lag_hours", sa.Float(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("base_confidence", sa.Float(), nullable=False),
        sa.Column("feedback_adjustment", sa.Float(), nullable=False),
        sa.Column("sample_size", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint(
            "as_of", "timeframe", "leader_coin_id", "follower_coin_id", name=op.f("pk_coin_relations")
        ),
    )
    op.create_index(
        "ix_coin_relations_follower", "coin_relations", ["follower_coin_id", "timeframe", "as_of"], unique=False
    )
    op.create_table(
        "market_predictions",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("prediction_type", sa.String(length=64), nullable=False),
        sa.Column("leader_coin_id", sa.Integer(), nullable=False),
        sa.Column("follower_coin_id", sa.Integer(), nullable=False),
        sa.Column("timeframe", sa.SmallInteger(), nullable=False),
        sa.Column("prediction_event", sa.String(length=32), nullable=False),
        sa.Column("expected_move", sa.String(length=8), nullable=False),
        sa.Column("expected_magnitude", sa.Float(), nullable=False),
        sa.Column("entry_price", sa.Float(), nullable=False),
        sa.Column("target_price", sa.Float(), nullable=False),
        sa.Column("success_threshold", sa.Float(), nullable=False),
        sa.Column("lag_bars", sa.SmallInteger(), nullable=False),
        sa.Column("window_bars", sa.SmallInteger(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("relation_confidence", sa.Float(), nullable=False),
        sa.Column("relation_correlation", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("success", sa.Boolean(), nullable=True),
        sa.Column("actual_move", sa.Float(), nullable=True),
        sa.Column("realized_return", sa.Float(), nullable=True),
        sa.Column("profit", sa.Float(), nullable=True),
        sa.Column("candles_used", sa.Integer(), nullable=True),
        sa.Column("decided_candle", sa.DateTime(timezone=True), nullable=True),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_market_predictions")),
    )
    op.create_index("ix_market_predictions_created", "market_predictions", ["created_at"], unique=False)
    op.create_index(
        "ix_market_predictions_key",
        "market_predictions",
        ["leader_coin_id", "follower_coin_id", "timeframe"],
        unique=False,
    )
    op.create_index("ix_market_predictions_status_deadline", "market_predictions", ["status", "deadline"], unique=False)
    op.create_table(
        "relation_feedback",
        sa.Column("prediction_id", sa.BigInteger(), nullable=False),
        sa.Column("leader_coin_id", sa.Integer(), nullable=False),
        sa.Column("follower_coin_id", sa.Integer(), nullable=False),
        sa.Column("timeframe", sa.SmallInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("adjustment", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("prediction_id", name=op.f("pk_relation_feedback")),
    )
    op.create_index(
        "ix_relation_feedback_key",
        "relation_feedback",
        ["leader_coin_id", "follower_coin_id", "timeframe"],
        unique=False,
    )
    op.create_table(
        "sector_metrics",
        sa.Column("sector_id", sa.Integer(), nullable=False),
        sa.Column("timeframe", sa.SmallInteger(), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sector_strength", sa.Float(), nullable=True),
        sa.Column("relative_strength", sa.Float(), nullable=True),
        sa.Column("capital_flow", sa.Float(), nullable=True),
        sa.Column("avg_price_change_24h_pct", sa.Float(), nullable=True),
        sa.Column("avg_volume_change_24h_pct", sa.Float(), nullable=True),
        sa.Column("volatility", sa.Float(), nullable=True),
        sa.Column("trend", sa.String(length=16), nullable=True),
        sa.Column("coin_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("sector_id", "timeframe", "as_of", name=op.f("pk_sector_metrics")),
    )


def downgrade() -> None:
    op.drop_table("sector_metrics")
    op.drop_index("ix_relation_feedback_key", table_name="relation_feedback")
    op.drop_table("relation_feedback")
    op.drop_index("ix_market_predictions_status_deadline", table_name="market_predictions")
    op.drop_index("ix_market_predictions_key", table_name="market_predictions")
    op.drop_index("ix_market_predictions_created", table_name="market_predictions")
    op.drop_table("market_predictions")
    op.drop_index("ix_coin_relations_follower", table_name="coin_relations")
    op.drop_table("coin_relations")
