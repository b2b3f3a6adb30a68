"""Read side of the cross-market tables used by the market-flow projection."""

from __future__ import annotations

import polars as pl
from sqlalchemy import Connection, select
from sqlalchemy.orm import aliased

from iris_resources.cross_market.tables import market_leaders, sector_rotations
from iris_resources.db.persistence_log import log_query
from iris_resources.indicators.queries import read_frame
from iris_resources.market_data.tables import sectors


class CrossMarketQueries:
    """Leaders and sector rotations."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def recent_leaders(self, limit: int) -> pl.DataFrame:
        """The newest leader detections (several per coin possible)."""
        statement = select(market_leaders).order_by(market_leaders.c.timestamp.desc()).limit(limit)
        frame = read_frame(self._connection, statement)
        if frame.is_empty():
            frame = pl.DataFrame(schema={
                "coin_id": pl.Int32, "timeframe": pl.Int16, "timestamp": pl.Datetime("us", "UTC"),
                "direction": pl.String, "confidence": pl.Float64, "price_change_24h_pct": pl.Float64,
                "volume_change_24h_pct": pl.Float64, "market_regime": pl.String,
            })
        log_query("cross_market", "recent_leaders", count=frame.height)
        return frame

    def recent_rotations(self, limit: int) -> pl.DataFrame:
        """The newest sector rotations with sector codes."""
        source, target = aliased(sectors), aliased(sectors)
        statement = (
            select(source.c.code.label("source_sector"), target.c.code.label("target_sector"),
                   sector_rotations.c.timeframe, sector_rotations.c.timestamp, sector_rotations.c.strength)
            .join(source, source.c.id == sector_rotations.c.source_sector_id)
            .join(target, target.c.id == sector_rotations.c.target_sector_id)
            .order_by(sector_rotations.c.timestamp.desc())
            .limit(limit)
        )
        frame = read_frame(self._connection, statement)
        if frame.is_empty():
            frame = pl.DataFrame(schema={"source_sector": pl.String, "target_sector": pl.String,
                                         "timeframe": pl.Int16, "timestamp": pl.Datetime("us", "UTC"),
                                         "strength": pl.Float64})
        log_query("cross_market", "recent_rotations", count=frame.height)
        return frame
