"""Write side of the patterns domain."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import polars as pl
from sqlalchemy import Connection, delete, insert
from sqlalchemy.dialects.postgresql import insert as pg_insert

from iris_resources.db.binary_copy import PgType
from iris_resources.db.persistence_log import log_repo
from iris_resources.market_data.repository import copy_frame
from iris_resources.patterns.tables import market_cycles, pattern_registry, pattern_statistics, signal_outcomes

CYCLE_COLUMNS: tuple[tuple[str, PgType], ...] = (
    ("coin_id", "int4"), ("timeframe", "int2"), ("timestamp", "timestamptz"), ("cycle_phase", "text"),
    ("confidence", "float8"),
)


OUTCOME_COLUMNS: tuple[tuple[str, PgType], ...] = (
    ("coin_id", "int4"), ("timeframe", "int2"), ("candle_timestamp", "timestamptz"), ("signal_type", "text"),
    ("direction", "text"), ("market_regime", "text"), ("entry_price", "float8"),
    *((f"{kind}_{h}", "float8") for kind in ("return", "mae") for h in ("4b", "12b", "24b", "24h", "72h")),
    ("result_return", "float8"), ("result_drawdown", "float8"), ("evaluated_at", "timestamptz"),
)


class PatternRepository:
    """Registry, cycles, outcomes and statistics."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def upsert_registry(self, rows: Sequence[dict[str, object]]) -> int:
        """Insert or update catalog entries by slug."""
        statement = pg_insert(pattern_registry).values(list(rows))
        statement = statement.on_conflict_do_update(index_elements=["slug"], set_={
            c: statement.excluded[c] for c in ("category", "bias", "lookback", "cpu_cost", "lifecycle_state",
                                                "enabled", "updated_at")})
        self._connection.execute(statement)
        return len(rows)

    def replace_cycles(self, coin_ids: Sequence[int], timeframe: int, start: datetime, end: datetime,
                       frame: pl.DataFrame) -> int:
        """Replace the cycle phases of the window."""
        self._connection.execute(delete(market_cycles).where(
            market_cycles.c.coin_id.in_(list(coin_ids)), market_cycles.c.timeframe == timeframe,
            market_cycles.c.timestamp >= start, market_cycles.c.timestamp < end))
        if not frame.is_empty():
            copy_frame(self._connection, "market_cycles", frame, CYCLE_COLUMNS)
        log_repo("patterns", "replace_cycles", mode="write", count=frame.height, bulk=True)
        return frame.height

    def replace_outcomes(self, coin_ids: Sequence[int], timeframe: int, start: datetime, end: datetime,
                         frame: pl.DataFrame) -> int:
        """Replace the outcomes of signals in the window."""
        self._connection.execute(delete(signal_outcomes).where(
            signal_outcomes.c.coin_id.in_(list(coin_ids)), signal_outcomes.c.timeframe == timeframe,
            signal_outcomes.c.candle_timestamp >= start, signal_outcomes.c.candle_timestamp < end))
        if not frame.is_empty():
            copy_frame(self._connection, "signal_outcomes", frame.select([name for name, _ in OUTCOME_COLUMNS]),
                       OUTCOME_COLUMNS)
        log_repo("patterns", "replace_outcomes", mode="write", count=frame.height)
        return frame.height

    def replace_statistics(self, frame: pl.DataFrame) -> int:
        """Replace every statistics row."""
        self._connection.execute(delete(pattern_statistics))
        if not frame.is_empty():
            self._connection.execute(insert(pattern_statistics), frame.to_dicts())
        return frame.height
