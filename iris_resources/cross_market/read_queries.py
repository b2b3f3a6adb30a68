"""Query service of the read API for sectors, sector momentum and rotations, relations and market leaders.

Every method runs exactly one statement whatever the page size (tests count them); none writes.
Statements are built once per shape (which filters are present) and executed with bound values.

Sector metrics and relations are snapshot tables (a row set per ``as_of``): a sector's metrics are its
newest row per timeframe (one primary-key probe per sector and timeframe), and relations are the rows
of the newest snapshot of each timeframe (one backward primary-key probe per timeframe finds it).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    String,
    Text,
    and_,
    bindparam,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
    true,
    union_all,
)

from iris_resources.cross_market.api_read_models import (
    CoinRelationsRead,
    LeaderRow,
    NarrativesRead,
    RelationRow,
    SectorMetricRow,
    SectorMetricsPage,
    SectorRotationRow,
    SectorRow,
)
from iris_resources.cross_market.tables import coin_relations, market_leaders, sector_metrics, sector_rotations
from iris_resources.db.keyset import before, beyond, page_params, timeframe_values, upper_symbol
from iris_resources.db.persistence_log import log_query
from iris_resources.indicators.tables import projections
from iris_resources.market_data.tables import coins, sectors

TIMEFRAMES = (1, 5, 15, 60, 240, 1440)
NARRATIVES = "sector_narratives"
_NO_STRENGTH = float("-inf")  # a sector without a relative strength sorts after every other one












# Sectors --------------------------------------------------------------------------------------------

_COIN_COUNT = (
    select(func.count()).where(coins.c.sector_id == sectors.c.id, coins.c.enabled.is_(True),
                               coins.c.deleted_at.is_(None))
    .scalar_subquery()
)
_SECTOR_KEY = (sectors.c.name, sectors.c.id)


@lru_cache(maxsize=4)
def _sectors(after: bool) -> Select:
    statement = (select(sectors.c.id, sectors.c.code, sectors.c.name, sectors.c.description, sectors.c.created_at,
                        _COIN_COUNT).order_by(*_SECTOR_KEY).limit(bindparam("limit")))
    return statement.where(beyond(_SECTOR_KEY)) if after else statement


def sector_metric_key(row: SectorMetricRow) -> tuple[Any, ...]:
    """The keyset of a sector metrics row: timeframe, relative strength descending (missing last), sector."""
    strength = row.relative_strength if row.relative_strength is not None else _NO_STRENGTH
    return (row.timeframe, -strength, row.sector_id)


@lru_cache(maxsize=16)
def _sector_metrics(after: bool, timeframe: bool, sector: bool) -> Select:
    """A page of each sector's newest metrics per timeframe, outer-joined to the narratives projection: one
    row (with a NULL page) even when the page is empty, so the narratives come in the same statement."""
    tfs = timeframe_values(TIMEFRAMES)
    newest = (
        select(sector_metrics)
        .where(sector_metrics.c.sector_id == sectors.c.id, sector_metrics.c.timeframe == tfs.c.timeframe)
        .order_by(sector_metrics.c.as_of.desc())
        .limit(1)
        .lateral("newest")
    )
    strength_key = -func.coalesce(newest.c.relative_strength, literal(_NO_STRENGTH))
    key = (tfs.c.timeframe, strength_key, sectors.c.id)
    page = (
        select(sectors.c.id.label("sector_id"), sectors.c.code, sectors.c.name, sectors.c.description,
               tfs.c.timeframe, newest.c.as_of, newest.c.sector_strength, newest.c.relative_strength,
               newest.c.capital_flow, newest.c.avg_price_change_24h_pct, newest.c.avg_volume_change_24h_pct,
               newest.c.volatility, newest.c.trend, newest.c.coin_count, strength_key.label("strength_key"))
        .select_from(sectors.join(tfs, true()).join(newest, true()))
        .order_by(*key)
        .limit(bindparam("limit"))
    )
    if after:
        page = page.where(beyond(key))
    if timeframe:
        page = page.where(tfs.c.timeframe == bindparam("timeframe"))
    if sector:
        page = page.where(sectors.c.code == bindparam("sector"))
    rows = page.subquery("page")
    stored = (select(projections.c.generated_at, projections.c.run_id,
                     cast(projections.c.payload, Text).label("payload"))
              .where(projections.c.name == NARRATIVES).subquery("stored"))
    anchor = select(literal_column("1").label("one")).subquery("anchor")
    return (
        select(stored.c.generated_at, stored.c.run_id, stored.c.payload,
               *(c for c in rows.c if c.name != "strength_key"))
        .select_from(anchor.outerjoin(stored, true()).outerjoin(rows, true()))
        .order_by(rows.c.timeframe, rows.c.strength_key, rows.c.sector_id)
    )


_source, _target = sectors.alias("source"), sectors.alias("target")
_ROTATION_KEY = (sector_rotations.c.timestamp, sector_rotations.c.source_sector_id,
                 sector_rotations.c.target_sector_id, sector_rotations.c.timeframe)


@lru_cache(maxsize=16)
def _rotations(after: bool, timeframe: bool, sector: bool) -> Select:
    statement = (
        select(sector_rotations.c.source_sector_id, _source.c.code, sector_rotations.c.target_sector_id,
               _target.c.code, sector_rotations.c.timeframe, sector_rotations.c.timestamp,
               sector_rotations.c.strength)
        .join(_source, _source.c.id == sector_rotations.c.source_sector_id)
        .join(_target, _target.c.id == sector_rotations.c.target_sector_id)
        .order_by(*(part.desc() for part in _ROTATION_KEY))
        .limit(bindparam("limit"))
    )
    if after:
        statement = statement.where(sector_rotations.c.timestamp <= bindparam("after_0"), before(_ROTATION_KEY))
    if timeframe:
        statement = statement.where(sector_rotations.c.timeframe == bindparam("timeframe"))
    if sector:
        statement = statement.where(or_(_source.c.code == bindparam("sector"), _target.c.code == bindparam("sector")))
    return statement


# Relations ------------------------------------------------------------------------------------------

_leader, _follower = coins.alias("leader"), coins.alias("follower")
_RELATION_KEY = (coin_relations.c.confidence, coin_relations.c.correlation, coin_relations.c.timeframe,
                 coin_relations.c.leader_coin_id, coin_relations.c.follower_coin_id)


def relation_key(row: RelationRow) -> tuple[Any, ...]:
    """The keyset of a relation: confidence, correlation, timeframe, leader and follower (all descending)."""
    return (row.confidence, row.correlation, row.timeframe, row.leader_coin_id, row.follower_coin_id)


def _relations_base(timeframe: bool, active_only: bool, min_confidence: bool) -> Select:
    """Relations of the newest snapshot of each timeframe, between non-deleted coins, strongest first."""
    tfs = timeframe_values(TIMEFRAMES)
    newest = select(func.max(coin_relations.c.as_of)).where(
        coin_relations.c.timeframe == tfs.c.timeframe).scalar_subquery()
    snapshot = select(tfs.c.timeframe, newest.label("as_of"))
    if timeframe:
        snapshot = snapshot.where(tfs.c.timeframe == bindparam("timeframe"))
    snap = snapshot.subquery("snapshot")
    relation = coin_relations
    statement = (
        select(relation.c.leader_coin_id, _leader.c.symbol, relation.c.follower_coin_id, _follower.c.symbol,
               relation.c.timeframe, relation.c.as_of, relation.c.correlation, relation.c.lag_bars,
               relation.c.lag_hours, relation.c.confidence, relation.c.base_confidence,
               relation.c.feedback_adjustment, relation.c.sample_size, relation.c.active)
        .select_from(relation.join(snap, and_(snap.c.timeframe == relation.c.timeframe,
                                              snap.c.as_of == relation.c.as_of))
                     .join(_leader, _leader.c.id == relation.c.leader_coin_id)
                     .join(_follower, _follower.c.id == relation.c.follower_coin_id))
        .where(_leader.c.deleted_at.is_(None), _follower.c.deleted_at.is_(None))
        .order_by(*(part.desc() for part in _RELATION_KEY))
        .limit(bindparam("limit"))
    )
    if active_only:
        statement = statement.where(relation.c.active.is_(True))
    if min_confidence:
        statement = statement.where(relation.c.confidence >= bindparam("min_confidence"))
    return statement


@lru_cache(maxsize=32)
def _relations(after: bool, symbol: bool, timeframe: bool, active_only: bool, min_confidence: bool) -> Select:
    statement = _relations_base(timeframe, active_only, min_confidence)
    if after:
        statement = statement.where(before(_RELATION_KEY))
    if symbol:
        statement = statement.where(or_(_leader.c.symbol == bindparam("symbol"),
                                        _follower.c.symbol == bindparam("symbol")))
    return statement


@lru_cache(maxsize=16)
def _coin_relations(timeframe: bool, active_only: bool, min_confidence: bool) -> Any:
    """The coin's relations as leader, then as follower (each its own ordered, limited branch), with the role."""
    branches = []
    for role, side in (("leader", coin_relations.c.leader_coin_id), ("follower", coin_relations.c.follower_coin_id)):
        branch = _relations_base(timeframe, active_only, min_confidence).where(side == bindparam("coin_id"))
        branches.append(branch.add_columns(literal(role, String).label("role")))
    return union_all(*branches)


_LEADER_KEY = (market_leaders.c.timestamp, market_leaders.c.coin_id, market_leaders.c.timeframe)


@lru_cache(maxsize=32)
def _leaders(after: bool, symbol: bool, timeframe: bool, direction: bool) -> Select:
    statement = (
        select(market_leaders.c.coin_id, coins.c.symbol, coins.c.name, sectors.c.code, market_leaders.c.timeframe,
               market_leaders.c.timestamp, market_leaders.c.direction, market_leaders.c.confidence,
               market_leaders.c.price_change_24h_pct, market_leaders.c.volume_change_24h_pct,
               market_leaders.c.market_regime)
        .join(coins, coins.c.id == market_leaders.c.coin_id)
        .join(sectors, sectors.c.id == coins.c.sector_id)
        .where(coins.c.deleted_at.is_(None))
        .order_by(*(part.desc() for part in _LEADER_KEY))
        .limit(bindparam("limit"))
    )
    if after:
        statement = statement.where(market_leaders.c.timestamp <= bindparam("after_0"), before(_LEADER_KEY))
    if symbol:
        statement = statement.where(coins.c.symbol == bindparam("symbol"))
    if timeframe:
        statement = statement.where(market_leaders.c.timeframe == bindparam("timeframe"))
    if direction:
        statement = statement.where(market_leaders.c.direction == bindparam("direction"))
    return statement


class CrossMarketReadQueries:
    """Sectors, sector metrics and rotations, relations and market leaders (of non-deleted coins)."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def sectors(self, *, limit: int, after: Sequence[Any] | None = None) -> tuple[SectorRow, ...]:
        """Sectors by name (then id) with their enabled coin counts, after the keyset ``after``."""
        rows = self._connection.execute(_sectors(after is not None), page_params(limit, after)).all()
        log_query("cross_market", "api_sectors", count=len(rows))
        return tuple(SectorRow(*row) for row in rows)

    def sector_metrics(self, *, limit: int, after: Sequence[Any] | None = None, timeframe: int | None = None,
                       sector: str | None = None) -> SectorMetricsPage:
        """Each sector's newest metrics per timeframe by timeframe, then relative strength (descending,
        missing last), then sector id, after the keyset ``after`` (see :func:`sector_metric_key`); with the
        narratives projection."""
        params = page_params(limit, after, timeframe=timeframe, sector=sector.strip().lower() if sector else None)
        statement = _sector_metrics(after is not None, timeframe is not None, bool(sector))  # as params
        rows = self._connection.execute(statement, params).all()
        log_query("cross_market", "api_sector_metrics", count=len(rows))
        first = rows[0] if rows else None
        narratives = NarrativesRead(first[0], first[1], first[2]) if first is not None and first[0] else None
        metrics = tuple(SectorMetricRow(*row[3:]) for row in rows if row[3] is not None)  # row[3]: sector_id
        return SectorMetricsPage(narratives=narratives, rows=metrics)

    def sector_rotations(self, *, limit: int, after: Sequence[Any] | None = None, timeframe: int | None = None,
                         sector: str | None = None) -> tuple[SectorRotationRow, ...]:
        """Rotations newest first (then source, target and timeframe, descending), after ``after``; ``sector``
        (a code) matches either side."""
        params = page_params(limit, after, timeframe=timeframe, sector=sector.strip().lower() if sector else None)
        rows = self._connection.execute(_rotations(after is not None, timeframe is not None, bool(sector)),
                                        params).all()
        log_query("cross_market", "api_sector_rotations", count=len(rows))
        return tuple(SectorRotationRow(*row) for row in rows)

    def relations(self, *, limit: int, after: Sequence[Any] | None = None, symbol: str | None = None,
                  timeframe: int | None = None, active_only: bool = True, min_confidence: float | None = None
                  ) -> tuple[RelationRow, ...]:
        """Relations of each timeframe's newest snapshot, strongest first (see :func:`relation_key`), after
        ``after``; ``symbol`` matches the leader or the follower."""
        params = page_params(limit, after, symbol=upper_symbol(symbol), timeframe=timeframe,
                             min_confidence=min_confidence)
        statement = _relations(after is not None, symbol is not None, timeframe is not None, active_only,
                               min_confidence is not None)
        rows = self._connection.execute(statement, params).all()
        log_query("cross_market", "api_relations", count=len(rows))
        return tuple(RelationRow(*row) for row in rows)

    def coin_relations(self, coin_id: int, *, limit: int, timeframe: int | None = None, active_only: bool = True,
                       min_confidence: float | None = None) -> CoinRelationsRead:
        """Up to ``limit`` relations of the newest snapshots where the coin leads, and as many where it
        follows, each strongest first."""
        params = page_params(limit, None, coin_id=coin_id, timeframe=timeframe, min_confidence=min_confidence)
        statement = _coin_relations(timeframe is not None, active_only, min_confidence is not None)
        rows = self._connection.execute(statement, params).all()
        log_query("cross_market", "api_coin_relations", count=len(rows))
        return CoinRelationsRead(as_leader=tuple(RelationRow(*row[:-1]) for row in rows if row[-1] == "leader"),
                                 as_follower=tuple(RelationRow(*row[:-1]) for row in rows if row[-1] == "follower"))

    def leaders(self, *, limit: int, after: Sequence[Any] | None = None, symbol: str | None = None,
                timeframe: int | None = None, direction: str | None = None) -> tuple[LeaderRow, ...]:
        """Leader detections newest first (then coin id and timeframe, descending), after ``after``."""
        params = page_params(limit, after, symbol=upper_symbol(symbol), timeframe=timeframe, direction=direction)
        statement = _leaders(after is not None, symbol is not None, timeframe is not None, direction is not None)
        rows = self._connection.execute(statement, params).all()
        log_query("cross_market", "api_market_leaders", count=len(rows))
        return tuple(LeaderRow(*row) for row in rows)
