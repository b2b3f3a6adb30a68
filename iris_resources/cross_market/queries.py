"""Read side of the cross-market tables used by the market-flow projection."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import aliased

from iris_resources.cross_market.tables import coin_relations, market_leaders, sector_metrics, sector_rotations
from iris_resources.db.persistence_log import log_query
from iris_resources.indicators.queries import read_frame
from iris_resources.market_data.tables import coins, sectors
from iris_resources.predictions.tables import relation_feedback


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


class RelationQueries:
    """Relations, sector snapshots and the feedback ledger as frames for the engines."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def relations_as_of(self, timeframe: int, as_of: datetime) -> pl.DataFrame:
        """The newest relation snapshot at or before ``as_of``."""
        newest = select(func.max(coin_relations.c.as_of)).where(
            coin_relations.c.timeframe == timeframe, coin_relations.c.as_of <= as_of).scalar_subquery()
        frame = read_frame(self._connection, select(coin_relations).where(
            coin_relations.c.timeframe == timeframe, coin_relations.c.as_of == newest),
            {"leader_coin_id": pl.Int32(), "follower_coin_id": pl.Int32(), "timeframe": pl.Int16(),
             "lag_bars": pl.Int16(), "sample_size": pl.Int32()})
        log_query("cross_market", "relations_as_of", count=frame.height)
        return frame

    def relation_bounds(self, start: datetime, end: datetime) -> dict[str, float]:
        """Min/max correlation stored in the window (a check: both within [-1, 1])."""
        row = self._connection.execute(select(func.min(coin_relations.c.correlation),
                                              func.max(coin_relations.c.correlation), func.count())
                                       .where(coin_relations.c.as_of > start, coin_relations.c.as_of <= end)).one()
        return {"min": float(row[0] or 0.0), "max": float(row[1] or 0.0), "rows": int(row[2])}

    def strongest_relations(self, as_of: datetime, limit: int = 10) -> list[dict[str, object]]:
        """The most confident active relations of the snapshot (materialization metadata)."""
        leader, follower = aliased(coins), aliased(coins)
        rows = self._connection.execute(
            select(leader.c.symbol.label("leader"), follower.c.symbol.label("follower"), coin_relations.c.timeframe,
                   coin_relations.c.correlation, coin_relations.c.lag_hours, coin_relations.c.confidence)
            .join(leader, leader.c.id == coin_relations.c.leader_coin_id)
            .join(follower, follower.c.id == coin_relations.c.follower_coin_id)
            .where(coin_relations.c.as_of == as_of, coin_relations.c.active)
            .order_by(coin_relations.c.confidence.desc(), coin_relations.c.leader_coin_id).limit(limit)
        ).mappings().all()
        # Keys as the flow payload names them (reference 3.14).
        return [{k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()} for r in rows]

    def latest_snapshot_time(self) -> datetime | None:
        """The newest relation snapshot."""
        value: datetime | None = self._connection.execute(select(func.max(coin_relations.c.as_of))).scalar_one()
        return value.astimezone(UTC) if value is not None else None

    def latest_sector_metrics(self, limit: int) -> list[dict[str, object]]:
        """The newest sector snapshot, strongest first (JSON-ready)."""
        newest = select(func.max(sector_metrics.c.as_of)).scalar_subquery()
        rows = self._connection.execute(
            select(sector_metrics.c.sector_id, sectors.c.code.label("sector"), sector_metrics.c.timeframe,
                   sector_metrics.c.avg_price_change_24h_pct, sector_metrics.c.avg_volume_change_24h_pct,
                   sector_metrics.c.volatility, sector_metrics.c.trend, sector_metrics.c.relative_strength,
                   sector_metrics.c.capital_flow, sector_metrics.c.as_of)
            .join(sectors, sectors.c.id == sector_metrics.c.sector_id)
            .where(sector_metrics.c.as_of == newest)
            .order_by(sector_metrics.c.relative_strength.desc().nulls_last(), sectors.c.code).limit(limit)
        ).mappings().all()
        return [{k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in r.items()} for r in rows]

    def sector_snapshot(self, timeframe: int, as_of: datetime) -> pl.DataFrame:
        """The sector metrics stored exactly at ``as_of`` joined with the sector code."""
        statement = (
            select(sector_metrics, sectors.c.code.label("sector"))
            .join(sectors, sectors.c.id == sector_metrics.c.sector_id)
            .where(sector_metrics.c.timeframe == timeframe, sector_metrics.c.as_of == as_of)
        )
        return read_frame(self._connection, statement)

    def feedback_ledger(self) -> pl.DataFrame:
        """Every feedback row."""
        frame = read_frame(self._connection, select(relation_feedback), {
            "leader_coin_id": pl.Int32(), "follower_coin_id": pl.Int32(), "timeframe": pl.Int16()})
        if frame.is_empty():
            return pl.DataFrame(schema={"prediction_id": pl.Int64, "leader_coin_id": pl.Int32,
                                        "follower_coin_id": pl.Int32, "timeframe": pl.Int16, "status": pl.String,
                                        "adjustment": pl.Float64, "created_at": pl.Datetime("us", "UTC")})
        return frame
