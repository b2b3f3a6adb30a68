"""Write side of the cross-market domain (relations, leaders, sector metrics, rotations)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import polars as pl
from sqlalchemy import Connection, delete, insert

from iris_resources.cross_market.tables import coin_relations, market_leaders, sector_metrics, sector_rotations
from iris_resources.db.binary_copy import PgType
from iris_resources.db.persistence_log import log_repo
from iris_resources.market_data.repository import copy_frame

RELATION_COLUMNS: tuple[tuple[str, PgType], ...] = (
    ("leader_coin_id", "int4"), ("follower_coin_id", "int4"), ("timeframe", "int2"), ("as_of", "timestamptz"),
    ("correlation", "float8"), ("lag_bars", "int2"), ("lag_hours", "float8"), ("confidence", "float8"),
    ("base_confidence", "float8"), ("feedback_adjustment", "float8"), ("sample_size", "int4"), ("active", "bool"),
)


class CrossMarketRepository:
    """Snapshots keyed by time: re-running a day replaces exactly that day's rows."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def replace_relations(self, timeframe: int, as_of: datetime, frame: pl.DataFrame) -> int:
        """Replace every relation of ``timeframe`` computed as of ``as_of`` (COPY: 10k pairs per day)."""
        self._connection.execute(delete(coin_relations).where(
            coin_relations.c.timeframe == timeframe, coin_relations.c.as_of == as_of))
        if not frame.is_empty():
            copy_frame(self._connection, "coin_relations", frame.with_columns(pl.lit(as_of).alias("as_of")),
                       RELATION_COLUMNS)
        log_repo("cross_market", "replace_relations", mode="write", count=frame.height, bulk=True)
        return frame.height

    def replace_leaders(self, coin_ids: Sequence[int], start: datetime, end: datetime, frame: pl.DataFrame) -> int:
        """Replace leader detections with ``start <= timestamp < end``."""
        self._connection.execute(delete(market_leaders).where(
            market_leaders.c.coin_id.in_(list(coin_ids)), market_leaders.c.timestamp >= start,
            market_leaders.c.timestamp < end))
        if not frame.is_empty():
            self._connection.execute(insert(market_leaders), frame.to_dicts())
        log_repo("cross_market", "replace_leaders", mode="write", count=frame.height)
        return frame.height

    def replace_sector_metrics(self, timeframe: int, as_of: datetime, frame: pl.DataFrame) -> int:
        """Replace the sector snapshot of ``timeframe`` as of ``as_of``."""
        self._connection.execute(delete(sector_metrics).where(
            sector_metrics.c.timeframe == timeframe, sector_metrics.c.as_of == as_of))
        if not frame.is_empty():
            self._connection.execute(insert(sector_metrics), frame.with_columns(pl.lit(as_of).alias("as_of")).select(
                [c.name for c in sector_metrics.columns]).to_dicts())
        return frame.height

    def replace_rotations(self, timeframe: int, start: datetime, end: datetime, rows: list[dict[str, object]]) -> int:
        """Replace the rotations detected with ``start <= timestamp < end``."""
        self._connection.execute(delete(sector_rotations).where(
            sector_rotations.c.timeframe == timeframe, sector_rotations.c.timestamp >= start,
            sector_rotations.c.timestamp < end))
        if rows:
            self._connection.execute(insert(sector_rotations), rows)
        return len(rows)
