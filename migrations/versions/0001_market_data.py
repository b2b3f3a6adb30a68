"""Market data: sectors, coins, base candles, aggregates, gaps, rejects.

Revision ID: 0001_market_data
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001_market_data"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _ohlcv() -> list[sa.Column]:
    return [
        # No FK on coin_id: per-row RI triggers tripled bulk-load time (see tables.py).
        sa.Column("coin_id", sa.Integer, nullable=False),
        sa.Column("timeframe", sa.SmallInteger, nullable=False),
        sa.Column("timestamp", TS, nullable=False),
        sa.Column("open", sa.Float, nullable=False),
        sa.Column("high", sa.Float, nullable=False),
        sa.Column("low", sa.Float, nullable=False),
        sa.Column("close", sa.Float, nullable=False),
        sa.Column("volume", sa.Float),
    ]


def upgrade() -> None:
    op.create_table(
        "sectors",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_sectors"),
        sa.UniqueConstraint("code", name="uq_sectors_code"),
    )
    op.create_table(
        "coins",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("symbol", sa.String(32), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("asset_type", sa.String(32), nullable=False, server_default="crypto"),
        sa.Column("sector_id", sa.Integer, nullable=False),
        sa.Column("base_timeframe", sa.SmallInteger, nullable=False, server_default="15"),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default="true"),
        sa.Column("sort_order", sa.Integer, nullable=False, server_default="0"),
        sa.Column("source", sa.String(64), nullable=False, server_default="default"),
        sa.Column("history_backfill_completed_at", TS),
        sa.Column("last_history_sync_at", TS),
        sa.Column("next_history_sync_at", TS),
        sa.Column("last_history_sync_error", sa.String(255)),
        sa.Column("deleted_at", TS),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_coins"),
        sa.UniqueConstraint("symbol", name="uq_coins_symbol"),
        sa.ForeignKeyConstraint(["sector_id"], ["sectors.id"], ondelete="RESTRICT",
                                name="fk_coins_sector_id_sectors"),
        sa.CheckConstraint("base_timeframe IN (1, 5, 15, 60, 240, 1440)",
                           name="ck_coins_base_timeframe_known"),
    )
    op.create_index("ix_coins_sector_id", "coins", ["sector_id"])

    op.create_table(
        "candles",
        *_ohlcv(),
        sa.PrimaryKeyConstraint("coin_id", "timeframe", "timestamp", name="pk_candles"),
        sa.CheckConstraint(
            "low > 0 AND low <= open AND low <= close AND high >= open AND high >= close "
            "AND (volume IS NULL OR volume >= 0)",
            name="ck_candles_ohlc_valid",
        ),
    )
    op.create_table(
        "candle_aggregates",
        *_ohlcv(),
        sa.Column("base_count", sa.SmallInteger, nullable=False),
        sa.Column("is_partial", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("coin_id", "timeframe", "timestamp", name="pk_candle_aggregates"),
    )
    op.create_table(
        "candle_gaps",
        sa.Column("coin_id", sa.Integer, sa.ForeignKey("coins.id", ondelete="CASCADE"), nullable=False),
        sa.Column("timeframe", sa.SmallInteger, nullable=False),
        sa.Column("gap_start", TS, nullable=False),
        sa.Column("gap_end", TS, nullable=False),
        sa.Column("missing_bars", sa.Integer, nullable=False),
        sa.Column("detected_at", TS, nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("coin_id", "timeframe", "gap_start", name="pk_candle_gaps"),
    )
    op.create_table(
        "candle_rejects",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("batch_key", sa.String(160), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("symbol", sa.String(32)),
        sa.Column("timestamp", TS),
        sa.Column("reason", sa.String(64), nullable=False),
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
        sa.Column("line", sa.Integer),
        sa.Column("raw", postgresql.JSONB),
        sa.Column("rejected_at", TS, nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_candle_rejects"),
    )
    op.create_index("ix_candle_rejects_batch_key", "candle_rejects", ["batch_key"])


def downgrade() -> None:
    for table in ("candle_rejects", "candle_gaps", "candle_aggregates", "candles", "coins", "sectors"):
        op.drop_table(table)
