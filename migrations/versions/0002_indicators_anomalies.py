"""indicators, signals, regimes, projections, anomalies

Revision ID: 0002_indicators_anomalies
Revises: 0001_market_data
Create Date: 2026-11-26 09:49:32.304723
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002_indicators_anomalies"
down_revision = "0001_market_data"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "anomaly_transitions",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("anomaly_id", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.Column("changes", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("before", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_anomaly_transitions")),
    )
    op.create_index("ix_anomaly_transitions_anomaly_at", "anomaly_transitions", ["anomaly_id", "at"], unique=False)
    op.create_index("ix_anomaly_transitions_at", "anomaly_transitions", ["at"], unique=False)
    op.create_table(
        "coin_metrics",
        sa.Column("coin_id", sa.Integer(), nullable=False),
        sa.Column("timeframe", sa.SmallInteger(), nullable=False),
        sa.Column("candle_timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("price_current", sa.Float(), nullable=True),
        sa.Column("price_change_1h_pct", sa.Float(), nullable=True),
        sa.Column("price_change_24h_pct", sa.Float(), nullable=True),
        sa.Column("price_change_7d_pct", sa.Float(), nullable=True),
        sa.Column("volume_24h", sa.Float(), nullable=True),
        sa.Column("volume_change_24h_pct", sa.Float(), nullable=True),
        sa.Column("volatility", sa.Float(), nullable=True),
        sa.Column("volatility_annualized", sa.Float(), nullable=True),
        sa.Column("ema_20", sa.Float(), nullable=True),
        sa.Column("ema_50", sa.Float(), nullable=True),
        sa.Column("sma_50", sa.Float(), nullable=True),
        sa.Column("sma_200", sa.Float(), nullable=True),
        sa.Column("rsi_14", sa.Float(), nullable=True),
        sa.Column("macd", sa.Float(), nullable=True),
        sa.Column("macd_signal", sa.Float(), nullable=True),
        sa.Column("macd_histogram", sa.Float(), nullable=True),
        sa.Column("atr_14", sa.Float(), nullable=True),
        sa.Column("bb_upper", sa.Float(), nullable=True),
        sa.Column("bb_middle", sa.Float(), nullable=True),
        sa.Column("bb_lower", sa.Float(), nullable=True),
        sa.Column("bb_width", sa.Float(), nullable=True),
        sa.Column("adx_14", sa.Float(), nullable=True),
        sa.Column("trend", sa.String(length=16), nullable=True),
        sa.Column("trend_score", sa.SmallInteger(), nullable=True),
        sa.Column("activity_score", sa.Float(), nullable=True),
        sa.Column("activity_bucket", sa.String(length=16), nullable=True),
        sa.Column("analysis_priority", sa.SmallInteger(), nullable=True),
        sa.Column("market_regime", sa.String(length=32), nullable=True),
        sa.Column("regime_confidence", sa.Float(), nullable=True),
        sa.Column("completeness", sa.SmallInteger(), nullable=False),
        sa.Column("is_primary", sa.Boolean(), nullable=False),
        sa.Column("indicator_version", sa.SmallInteger(), server_default="1", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("coin_id", "timeframe", name=op.f("pk_coin_metrics")),
    )
    op.create_index("ix_coin_metrics_activity_score", "coin_metrics", ["activity_score"], unique=False)
    op.create_table(
        "feature_snapshots",
        sa.Column("coin_id", sa.Integer(), nullable=False),
        sa.Column("timeframe", sa.SmallInteger(), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("price_current", sa.Float(), nullable=True),
        sa.Column("rsi_14", sa.Float(), nullable=True),
        sa.Column("macd", sa.Float(), nullable=True),
        sa.Column("trend_score", sa.SmallInteger(), nullable=True),
        sa.Column("volatility", sa.Float(), nullable=True),
        sa.Column("sector_strength", sa.Float(), nullable=True),
        sa.Column("market_regime", sa.String(length=32), nullable=True),
        sa.Column("cycle_phase", sa.String(length=32), nullable=True),
        sa.Column("pattern_density", sa.Integer(), server_default="0", nullable=False),
        sa.Column("cluster_score", sa.Float(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("coin_id", "timeframe", "timestamp", name=op.f("pk_feature_snapshots")),
    )
    op.create_table(
        "indicators",
        sa.Column("coin_id", sa.Integer(), nullable=False),
        sa.Column("timeframe", sa.SmallInteger(), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("close", sa.Float(), nullable=False),
        sa.Column("volume", sa.Float(), nullable=True),
        sa.Column("sma_20", sa.Float(), nullable=True),
        sa.Column("sma_50", sa.Float(), nullable=True),
        sa.Column("sma_200", sa.Float(), nullable=True),
        sa.Column("ema_12", sa.Float(), nullable=True),
        sa.Column("ema_20", sa.Float(), nullable=True),
        sa.Column("ema_26", sa.Float(), nullable=True),
        sa.Column("ema_50", sa.Float(), nullable=True),
        sa.Column("ema_200", sa.Float(), nullable=True),
        sa.Column("rsi_14", sa.Float(), nullable=True),
        sa.Column("macd", sa.Float(), nullable=True),
        sa.Column("macd_signal", sa.Float(), nullable=True),
        sa.Column("macd_histogram", sa.Float(), nullable=True),
        sa.Column("bb_upper", sa.Float(), nullable=True),
        sa.Column("bb_middle", sa.Float(), nullable=True),
        sa.Column("bb_lower", sa.Float(), nullable=True),
        sa.Column("bb_width", sa.Float(), nullable=True),
        sa.Column("true_range", sa.Float(), nullable=True),
        sa.Column("atr_14", sa.Float(), nullable=True),
        sa.Column("adx_14", sa.Float(), nullable=True),
        sa.Column("plus_di_14", sa.Float(), nullable=True),
        sa.Column("minus_di_14", sa.Float(), nullable=True),
        sa.Column("obv", sa.Float(), nullable=True),
        sa.Column("volume_sma_20", sa.Float(), nullable=True),
        sa.Column("volume_ratio_20", sa.Float(), nullable=True),
        sa.Column("natr_14", sa.Float(), nullable=True),
        sa.Column("stoch_k", sa.Float(), nullable=True),
        sa.Column("stoch_d", sa.Float(), nullable=True),
        sa.Column("stochrsi_k", sa.Float(), nullable=True),
        sa.Column("stochrsi_d", sa.Float(), nullable=True),
        sa.Column("cci_14", sa.Float(), nullable=True),
        sa.Column("willr_14", sa.Float(), nullable=True),
        sa.Column("mfi_14", sa.Float(), nullable=True),
        sa.Column("roc_10", sa.Float(), nullable=True),
        sa.Column("mom_10", sa.Float(), nullable=True),
        sa.Column("cdl_engulfing", sa.SmallInteger(), nullable=True),
        sa.Column("cdl_hammer", sa.SmallInteger(), nullable=True),
        sa.Column("cdl_doji", sa.SmallInteger(), nullable=True),
        sa.Column("cdl_morning_star", sa.SmallInteger(), nullable=True),
        sa.Column("cdl_evening_star", sa.SmallInteger(), nullable=True),
        sa.Column("cdl_shooting_star", sa.SmallInteger(), nullable=True),
        sa.Column("cdl_3_white_soldiers", sa.SmallInteger(), nullable=True),
        sa.Column("cdl_3_black_crows", sa.SmallInteger(), nullable=True),
        sa.Column("price_change_24h_pct", sa.Float(), nullable=True),
        sa.Column("price_change_7d_pct", sa.Float(), nullable=True),
        sa.Column("volume_24h", sa.Float(), nullable=True),
        sa.Column("volume_change_24h_pct", sa.Float(), nullable=True),
        sa.Column("volatility", sa.Float(), nullable=True),
        sa.Column("volatility_annualized", sa.Float(), nullable=True),
        sa.Column("range_high_20", sa.Float(), nullable=True),
        sa.Column("range_low_20", sa.Float(), nullable=True),
        sa.Column("average_volume_20", sa.Float(), nullable=True),
        sa.Column("regime_confidence", sa.Float(), nullable=True),
        sa.Column("trend_score", sa.SmallInteger(), nullable=True),
        sa.Column("trend", sa.String(length=32), nullable=True),
        sa.Column("market_regime", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("coin_id", "timeframe", "timestamp", name=op.f("pk_indicators")),
    )
    op.create_table(
        "market_anomalies",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("coin_id", sa.Integer(), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("timeframe", sa.SmallInteger(), nullable=False),
        sa.Column("anomaly_type", sa.String(length=64), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("market_regime", sa.String(length=32), nullable=True),
        sa.Column("sector", sa.String(length=64), nullable=True),
        sa.Column("summary", sa.String(length=255), nullable=False),
        sa.Column("payload_json", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("cooldown_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("source_pipeline", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_market_anomalies")),
        sa.UniqueConstraint(
            "coin_id",
            "timeframe",
            "anomaly_type",
            "detected_at",
            name=op.f("uq_market_anomalies_coin_id_timeframe_anomaly_type_detected_at"),
        ),
    )
    op.create_index("ix_market_anomalies_severity_score", "market_anomalies", ["severity", "score"], unique=False)
    op.create_index("ix_market_anomalies_status_detected", "market_anomalies", ["status", "detected_at"], unique=False)
    op.create_table(
        "market_leaders",
        sa.Column("coin_id", sa.Integer(), nullable=False),
        sa.Column("timeframe", sa.SmallInteger(), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("price_change_24h_pct", sa.Float(), nullable=True),
        sa.Column("volume_change_24h_pct", sa.Float(), nullable=True),
        sa.Column("market_regime", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("coin_id", "timeframe", "timestamp", name=op.f("pk_market_leaders")),
    )
    op.create_index("ix_market_leaders_ts", "market_leaders", ["timestamp"], unique=False)
    op.create_table(
        "market_structure_snapshots",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("coin_id", sa.Integer(), nullable=False),
        sa.Column("symbol", sa.String(length=32), nullable=False),
        sa.Column("timeframe", sa.SmallInteger(), nullable=False),
        sa.Column("venue", sa.String(length=32), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_price", sa.Float(), nullable=True),
        sa.Column("mark_price", sa.Float(), nullable=True),
        sa.Column("index_price", sa.Float(), nullable=True),
        sa.Column("funding_rate", sa.Float(), nullable=True),
        sa.Column("open_interest", sa.Float(), nullable=True),
        sa.Column("basis", sa.Float(), nullable=True),
        sa.Column("liquidations_long", sa.Float(), nullable=True),
        sa.Column("liquidations_short", sa.Float(), nullable=True),
        sa.Column("volume", sa.Float(), nullable=True),
        sa.Column("payload_json", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_market_structure_snapshots")),
        sa.UniqueConstraint(
            "coin_id",
            "timeframe",
            "venue",
            "timestamp",
            name=op.f("uq_market_structure_snapshots_coin_id_timeframe_venue_timestamp"),
        ),
    )
    op.create_table(
        "projections",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("generated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source_timestamp", sa.DateTime(timezone=True), nullable=True),
        sa.Column("run_id", sa.String(length=64), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_projections")),
    )
    op.create_table(
        "regime_changes",
        sa.Column("coin_id", sa.Integer(), nullable=False),
        sa.Column("timeframe", sa.SmallInteger(), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("regime", sa.String(length=32), nullable=False),
        sa.Column("previous_regime", sa.String(length=32), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("coin_id", "timeframe", "timestamp", name=op.f("pk_regime_changes")),
    )
    op.create_index("ix_regime_changes_ts", "regime_changes", ["timestamp"], unique=False)
    op.create_table(
        "sector_rotations",
        sa.Column("source_sector_id", sa.Integer(), nullable=False),
        sa.Column("target_sector_id", sa.Integer(), nullable=False),
        sa.Column("timeframe", sa.SmallInteger(), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("strength", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint(
            "source_sector_id", "target_sector_id", "timeframe", "timestamp", name=op.f("pk_sector_rotations")
        ),
    )
    op.create_index("ix_sector_rotations_ts", "sector_rotations", ["timestamp"], unique=False)
    op.create_table(
        "signals",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("coin_id", sa.Integer(), nullable=False),
        sa.Column("timeframe", sa.SmallInteger(), nullable=False),
        sa.Column("signal_type", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("priority_score", sa.Float(), server_default="0", nullable=False),
        sa.Column("context_score", sa.Float(), server_default="1", nullable=False),
        sa.Column("regime_alignment", sa.Float(), server_default="1", nullable=False),
        sa.Column("market_regime", sa.String(length=32), nullable=True),
        sa.Column("candle_timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signals")),
        sa.UniqueConstraint(
            "coin_id",
            "timeframe",
            "candle_timestamp",
            "signal_type",
            name=op.f("uq_signals_coin_id_timeframe_candle_timestamp_signal_type"),
        ),
    )
    op.create_index("ix_signals_coin_ts", "signals", ["coin_id", "candle_timestamp"], unique=False)
    op.create_index("ix_signals_type_ts", "signals", ["signal_type", "candle_timestamp"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_signals_type_ts", table_name="signals")
    op.drop_index("ix_signals_coin_ts", table_name="signals")
    op.drop_table("signals")
    op.drop_index("ix_sector_rotations_ts", table_name="sector_rotations")
    op.drop_table("sector_rotations")
    op.drop_index("ix_regime_changes_ts", table_name="regime_changes")
    op.drop_table("regime_changes")
    op.drop_table("projections")
    op.drop_table("market_structure_snapshots")
    op.drop_index("ix_market_leaders_ts", table_name="market_leaders")
    op.drop_table("market_leaders")
    op.drop_index("ix_market_anomalies_status_detected", table_name="market_anomalies")
    op.drop_index("ix_market_anomalies_severity_score", table_name="market_anomalies")
    op.drop_table("market_anomalies")
    op.drop_table("indicators")
    op.drop_table("feature_snapshots")
    op.drop_index("ix_coin_metrics_activity_score", table_name="coin_metrics")
    op.drop_table("coin_metrics")
    op.drop_index("ix_anomaly_transitions_at", table_name="anomaly_transitions")
    op.drop_index("ix_anomaly_transitions_anomaly_at", table_name="anomaly_transitions")
    op.drop_table("anomaly_transitions")
