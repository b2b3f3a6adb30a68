"""Write side of the indicators domain. Never commits: the unit of work does."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import polars as pl
from sqlalchemy import Connection, delete, func, insert
from sqlalchemy.dialects.postgresql import insert as pg_insert

from iris_resources.db.binary_copy import PgType
from iris_resources.db.persistence_log import log_repo
from iris_resources.indicators.columns import (
    CANDLE_PATTERN_COLUMNS,
    ENGINE_FLOAT_COLUMNS,
    FEATURE_FLOAT_COLUMNS,
    FEATURE_INT_COLUMNS,
    FEATURE_TEXT_COLUMNS,
)
from iris_resources.indicators.tables import (
    coin_metrics,
    feature_snapshots,
    indicators,
    projections,
    regime_changes,
    signals,
)
from iris_resources.market_data.repository import copy_frame, require_coins

INDICATOR_COLUMNS: tuple[tuple[str, PgType], ...] = (
    ("coin_id", "int4"), ("timeframe", "int2"), ("timestamp", "timestamptz"), ("close", "float8"),
    ("volume", "float8"),
    *((name, "float8") for name in ENGINE_FLOAT_COLUMNS),
    *((name, "int2") for name in CANDLE_PATTERN_COLUMNS),
    *((name, "float8") for name in FEATURE_FLOAT_COLUMNS),
    *((name, "int2") for name in FEATURE_INT_COLUMNS),
    *((name, "text") for name in FEATURE_TEXT_COLUMNS),
)


class IndicatorRepository:
    """Per-bar indicator rows, classic signals, regime changes, feature snapshots."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def replace_window(self, coin_ids: Sequence[int], timeframe: int, start: datetime, end: datetime,
                       frame: pl.DataFrame) -> int:
        """Replace the indicator rows of ``coin_ids`` at ``timeframe`` with ``start <= timestamp < end``."""
        self._connection.execute(delete(indicators).where(
            indicators.c.coin_id.in_(list(coin_ids)), indicators.c.timeframe == timeframe,
            indicators.c.timestamp >= start, indicators.c.timestamp < end,
        ))
        if not frame.is_empty():
            require_coins(self._connection, frame.get_column("coin_id").unique().to_list())
            copy_frame(self._connection, "indicators", frame, INDICATOR_COLUMNS)
        log_repo("indicators", "replace_indicators", mode="write", count=frame.height, timeframe=timeframe, bulk=True)
        return frame.height

    def replace_signals(self, source: str, coin_ids: Sequence[int], timeframe: int, start: datetime,
                        end: datetime, frame: pl.DataFrame) -> int:
        """Replace ``source``'s signals in the window (coin_id, timestamp, signal_type, direction, confidence, …)."""
        self._connection.execute(delete(signals).where(
            signals.c.source == source, signals.c.coin_id.in_(list(coin_ids)), signals.c.timeframe == timeframe,
            signals.c.candle_timestamp >= start, signals.c.candle_timestamp < end,
        ))
        if not frame.is_empty():
            # Each source owns its signal types (classic names, pattern_*), so rows never collide across
            # sources and a binary COPY replaces the executemany the first version used.
            rows = frame.select(
                "coin_id", pl.lit(timeframe, dtype=pl.Int16).alias("timeframe"), "signal_type",
                pl.lit(source).alias("source"), "direction", "confidence",
                *(pl.col(c) if c in frame.columns else pl.lit(default).alias(c)
                  for c, default in (("priority_score", 0.0), ("context_score", 1.0), ("regime_alignment", 1.0))),
                "market_regime", pl.col("timestamp").alias("candle_timestamp"),
                pl.lit(datetime.now(UTC)).alias("created_at"),
            ).with_columns(pl.col("confidence", "priority_score", "context_score", "regime_alignment")
                           .cast(pl.Float64))
            copy_frame(self._connection, "signals", rows, SIGNAL_COLUMNS)
        log_repo("indicators", "replace_signals", mode="write", count=frame.height, source=source)
        return frame.height

    def replace_regime_changes(self, coin_ids: Sequence[int], timeframe: int, start: datetime, end: datetime,
                               frame: pl.DataFrame) -> int:
        """Replace regime changes in the window (coin_id, timestamp, regime, previous_regime, confidence)."""
        self._connection.execute(delete(regime_changes).where(
            regime_changes.c.coin_id.in_(list(coin_ids)), regime_changes.c.timeframe == timeframe,
            regime_changes.c.timestamp >= start, regime_changes.c.timestamp < end,
        ))
        if not frame.is_empty():
            copy_frame(self._connection, "regime_changes", frame.with_columns(
                pl.lit(timeframe, dtype=pl.Int16).alias("timeframe")), REGIME_CHANGE_COLUMNS)
        log_repo("indicators", "replace_regime_changes", mode="write", count=frame.height, bulk=True)
        return frame.height

    def replace_feature_snapshots(self, coin_ids: Sequence[int], timeframe: int, start: datetime, end: datetime,
                                  frame: pl.DataFrame) -> int:
        """Replace feature snapshots in the window."""
        self._connection.execute(delete(feature_snapshots).where(
            feature_snapshots.c.coin_id.in_(list(coin_ids)), feature_snapshots.c.timeframe == timeframe,
            feature_snapshots.c.timestamp >= start, feature_snapshots.c.timestamp < end,
        ))
        if not frame.is_empty():
            copy_frame(self._connection, "feature_snapshots", frame.with_columns(
                pl.lit(timeframe, dtype=pl.Int16).alias("timeframe")), FEATURE_SNAPSHOT_COLUMNS)
        log_repo("indicators", "replace_feature_snapshots", mode="write", count=frame.height, bulk=True)
        return frame.height

    def replace_coin_metrics(self, frame: pl.DataFrame) -> int:
        """Replace the latest-state rows of the coins in ``frame`` (one row per coin and timeframe)."""
        coin_ids = frame.get_column("coin_id").unique().to_list()
        self._connection.execute(delete(coin_metrics).where(coin_metrics.c.coin_id.in_(coin_ids)))
        if not frame.is_empty():
            self._connection.execute(insert(coin_metrics), frame.to_dicts())
        log_repo("indicators", "replace_coin_metrics", mode="write", count=frame.height)
        return frame.height

    def save_projection(self, name: str, payload: Mapping[str, Any], generated_at: datetime,
                        source_timestamp: datetime | None, run_id: str | None) -> None:
        """Store the latest materialized projection ``name`` (radar, flow, …)."""
        values = {"name": name, "payload": payload, "generated_at": generated_at,
                  "source_timestamp": source_timestamp, "run_id": run_id, "updated_at": func.now()}
        statement = pg_insert(projections).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=["name"], set_={k: statement.excluded[k] for k in values if k != "name"})
        self._connection.execute(statement)
        log_repo("indicators", "save_projection", mode="write", name=name)


SIGNAL_COLUMNS: tuple[tuple[str, PgType], ...] = (
    ("coin_id", "int4"), ("timeframe", "int2"), ("signal_type", "text"), ("source", "text"), ("direction", "text"),
    ("confidence", "float8"), ("priority_score", "float8"), ("context_score", "float8"),
    ("regime_alignment", "float8"), ("market_regime", "text"), ("candle_timestamp", "timestamptz"),
    ("created_at", "timestamptz"),
)
REGIME_CHANGE_COLUMNS: tuple[tuple[str, PgType], ...] = (
    ("coin_id", "int4"), ("timeframe", "int2"), ("timestamp", "timestamptz"), ("regime", "text"),
    ("previous_regime", "text"), ("confidence", "float8"),
)
FEATURE_SNAPSHOT_COLUMNS: tuple[tuple[str, PgType], ...] = (
    ("coin_id", "int4"), ("timeframe", "int2"), ("timestamp", "timestamptz"), ("price_current", "float8"),
    ("rsi_14", "float8"), ("macd", "float8"), ("trend_score", "int2"), ("volatility", "float8"),
    ("sector_strength", "float8"), ("market_regime", "text"), ("cycle_phase", "text"),
    ("pattern_density", "int4"), ("cluster_score", "float8"),
)
