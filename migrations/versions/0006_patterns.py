"""patterns

Revision ID: 0006_patterns
Revises: 0005_cross_market_predictions
Create Date: 2026-11-26 10:30:58.618435
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_patterns"
down_revision = "0005_cross_market_predictions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "market_cycles",
        sa.Column("coin_id", sa.Integer(), nullable=False),
        sa.Column("timeframe", sa.SmallInteger(), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cycle_phase", sa.String(length=32), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("coin_id", "timeframe", "timestamp", name=op.f("pk_market_cycles")),
    )
    op.create_table(
        "pattern_registry",
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("bias", sa.String(length=16), nullable=False),
        sa.Column("lookback", sa.Integer(), nullable=False),
        sa.Column("cpu_cost", sa.SmallInteger(), nullable=False),
        sa.Column("lifecycle_state", sa.String(length=32), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("slug", name=op.f("pk_pattern_registry")),
    )
    op.create_table(
        "pattern_statistics",
        sa.Column("pattern_slug", sa.String(length=64), nullable=False),
        sa.Column("timeframe", sa.SmallInteger(), nullable=False),
        sa.Column("market_regime", sa.String(length=32), nullable=False),
        sa.Column("total_signals", sa.Integer(), nullable=False),
        sa.Column("successful_signals", sa.Integer(), nullable=False),
        sa.Column("success_rate", sa.Float(), nullable=False),
        sa.Column("avg_return", sa.Float(), nullable=True),
        sa.Column("avg_drawdown", sa.Float(), nullable=True),
        sa.Column("temperature", sa.Float(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pattern_slug", "timeframe", "market_regime", name=op.f("pk_pattern_statistics")),
    )
    op.create_table(
        "signal_outcomes",
        sa.Column("coin_id", sa.Integer(), nullable=False),
        sa.Column("timeframe", sa.SmallInteger(), nullable=False),
        sa.Column("candle_timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signal_type", sa.String(length=64), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("market_regime", sa.String(length=32), nullable=True),
        sa.Column("entry_price", sa.Float(), nullable=True),
        sa.Column("return_4b", sa.Float(), nullable=True),
        sa.Column("return_12b", sa.Float(), nullable=True),
        sa.Column("return_24b", sa.Float(), nullable=True),
        sa.Column("return_24h", sa.Float(), nullable=True),
        sa.Column("return_72h", sa.Float(), nullable=True),
        sa.Column("mae_4b", sa.Float(), nullable=True),
        sa.Column("mae_12b", sa.Float(), nullable=True),
        sa.Column("mae_24b", sa.Float(), nullable=True),
        sa.Column("mae_24h", sa.Float(), nullable=True),
        sa.Column("mae_72h", sa.Float(), nullable=True),
        sa.Column("result_return", sa.Float(), nullable=True),
        sa.Column("result_drawdown", sa.Float(), nullable=True),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "coin_id", "timeframe", "candle_timestamp", "signal_type", name=op.f("pk_signal_outcomes")
        ),
    )


def downgrade() -> None:
    op.drop_table("signal_outcomes")
    op.drop_table("pattern_statistics")
    op.drop_table("pattern_registry")
    op.drop_table("market_cycles")
