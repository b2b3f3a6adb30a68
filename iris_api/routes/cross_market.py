"""Sectors, sector metrics and narratives, sector rotations, lead/lag relations and market leaders
(reference 5.5, patterns 7.1; DECISIONS.md 18–20: relations, leaders and rotations are tables).

Relations and sector metrics are snapshot tables: only each timeframe's newest snapshot is served.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request, Response

from iris_api.deps import EngineDep, SettingsDep, read_connection
from iris_api.errors import not_found
from iris_api.pagination import decode_cursor, page
from iris_api.params import NOT_FOUND, NOT_MODIFIED, CursorQuery, SymbolPath, Timeframe
from iris_api.routes.signals import decode_key, encodable
from iris_api.schemas.cross_market import (
    CoinRelationsPublic,
    MarketLeadersPublic,
    RelationsPublic,
    SectorMetricsPublic,
    SectorNarrativePublic,
    SectorRotationsPublic,
    SectorsPublic,
)
from iris_api.snapshot import live_snapshot, render, respond
from iris_resources.cross_market.api_read_models import NarrativesRead
from iris_resources.cross_market.read_queries import CrossMarketReadQueries, relation_key, sector_metric_key
from iris_resources.market_data.read_queries import MarketDataReadQueries

router = APIRouter(tags=["cross_market"])
DOMAIN = "cross_market"
ListLimit = Annotated[int, Query(ge=1, le=500)]
SymbolQuery = Annotated[str | None, Query(max_length=32, description="Only this coin; an unknown one matches nothing.")]
SectorQuery = Annotated[str | None, Query(max_length=32, description="A sector code, e.g. `defi`.")]
ActiveOnly = Annotated[bool, Query(description="Only relations above the threshold (default).")]
MinConfidence = Annotated[float | None, Query(ge=0.0, le=1.0, description="Only relations at least this confident.")]


class Direction(StrEnum):
    """Which way a leader moved."""

    UP = "up"
    DOWN = "down"


def _minutes(timeframe: Timeframe | None) -> int | None:
    return int(timeframe) if timeframe is not None else None


def _list(items: Any, limit: int, next_cursor: str | None) -> dict[str, Any]:
    return {"data": items, "count": len(items), "limit": limit, "next_cursor": next_cursor}


@router.get("/sectors", response_model=SectorsPublic, responses=NOT_MODIFIED)
def read_sectors(request: Request, engine: EngineDep, settings: SettingsDep, limit: ListLimit = 100,
                 cursor: CursorQuery = None) -> Response:
    """Sectors by name, each with the number of its enabled coins."""
    after = decode_cursor(cursor, (str, int))
    with read_connection(engine) as connection:
        rows = CrossMarketReadQueries(connection).sectors(limit=limit + 1, after=after)
    items, next_cursor = page(rows, limit, lambda s: (s.name, s.id))
    return respond(request, render(_list(items, limit, next_cursor), live_snapshot([]), settings))


def _narratives(stored: NarrativesRead | None, timeframe: int | None) -> list[dict[str, Any]]:
    if stored is None:
        return []
    listed = orjson.loads(stored.payload_json).get("narratives") or []
    return [SectorNarrativePublic.model_validate(item).model_dump(mode="json") for item in listed
            if timeframe is None or item.get("timeframe") == timeframe]


@router.get("/sectors/metrics", response_model=SectorMetricsPublic, responses=NOT_MODIFIED)
def read_sector_metrics(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    timeframe: Timeframe | None = None,
    sector: SectorQuery = None,
    limit: ListLimit = 100,
    cursor: CursorQuery = None,
) -> Response:
    """Each sector's newest momentum snapshot per timeframe, by timeframe then relative strength
    (descending), with the market narrative of each timeframe (top sector, rotation state, BTC
    dominance, capital wave) from the latest ``sector_narratives`` materialization."""
    after = decode_key(cursor, (int, float, int))
    minutes = _minutes(timeframe)
    with read_connection(engine) as connection:
        result = CrossMarketReadQueries(connection).sector_metrics(limit=limit + 1, after=after, timeframe=minutes,
                                                                   sector=sector)
    items, next_cursor = page(result.rows, limit, lambda m: encodable(sector_metric_key(m)))
    stored = result.narratives
    payload = {**_list(items, limit, next_cursor), "narratives": _narratives(stored, minutes),
               "narratives_generated_at": stored.generated_at if stored else None}
    snapshot = replace(live_snapshot(m.as_of for m in items), source_run_id=stored.run_id if stored else None)
    return respond(request, render(payload, snapshot, settings))


@router.get("/sectors/rotations", response_model=SectorRotationsPublic, responses=NOT_MODIFIED)
def read_sector_rotations(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    timeframe: Timeframe | None = None,
    sector: Annotated[str | None, Query(max_length=32, description="A sector code, source or target.")] = None,
    limit: ListLimit = 100,
    cursor: CursorQuery = None,
) -> Response:
    """Capital rotating between sectors, newest first."""
    after = decode_cursor(cursor, (datetime, int, int, int))
    with read_connection(engine) as connection:
        rows = CrossMarketReadQueries(connection).sector_rotations(limit=limit + 1, after=after,
                                                                   timeframe=_minutes(timeframe), sector=sector)
    items, next_cursor = page(rows, limit,
                              lambda r: (r.timestamp, r.source_sector_id, r.target_sector_id, r.timeframe))
    return respond(request, render(_list(items, limit, next_cursor), live_snapshot(r.timestamp for r in items),
                                   settings))


@router.get("/relations", response_model=RelationsPublic, responses=NOT_MODIFIED)
def read_relations(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    symbol: Annotated[str | None, Query(max_length=32, description="Relations this coin leads or follows.")] = None,
    timeframe: Timeframe | None = None,
    active_only: ActiveOnly = True,
    min_confidence: MinConfidence = None,
    limit: ListLimit = 100,
    cursor: CursorQuery = None,
) -> Response:
    """Lead/lag relations of each timeframe's newest snapshot, by confidence, correlation, timeframe,
    leader and follower (all descending)."""
    after = decode_key(cursor, (float, float, int, int, int))
    with read_connection(engine) as connection:
        rows = CrossMarketReadQueries(connection).relations(
            limit=limit + 1, after=after, symbol=symbol, timeframe=_minutes(timeframe), active_only=active_only,
            min_confidence=min_confidence)
    items, next_cursor = page(rows, limit, lambda r: encodable(relation_key(r)))
    return respond(request, render(_list(items, limit, next_cursor), live_snapshot(r.as_of for r in items), settings))


@router.get("/coins/{symbol}/relations", response_model=CoinRelationsPublic, responses={**NOT_FOUND, **NOT_MODIFIED})
def read_coin_relations(
    request: Request,
    symbol: SymbolPath,
    engine: EngineDep,
    settings: SettingsDep,
    timeframe: Timeframe | None = None,
    active_only: ActiveOnly = True,
    min_confidence: MinConfidence = None,
    limit: Annotated[int, Query(ge=1, le=500, description="Relations per role.")] = 100,
) -> Response:
    """The relations of each timeframe's newest snapshot a coin leads, and those it follows, each
    strongest first."""
    with read_connection(engine) as connection:
        coin = MarketDataReadQueries(connection).get_coin(symbol)
        if coin is None:
            raise not_found("coin", symbol.strip().upper(), domain=DOMAIN)
        result = CrossMarketReadQueries(connection).coin_relations(
            coin.id, limit=limit, timeframe=_minutes(timeframe), active_only=active_only,
            min_confidence=min_confidence)
    payload = {"coin_id": coin.id, "symbol": coin.symbol, "limit": limit, "as_leader": result.as_leader,
               "as_follower": result.as_follower}
    snapshot = live_snapshot(r.as_of for r in (*result.as_leader, *result.as_follower))
    return respond(request, render(payload, snapshot, settings))


@router.get("/market/leaders", response_model=MarketLeadersPublic, responses=NOT_MODIFIED)
def read_market_leaders(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    symbol: SymbolQuery = None,
    timeframe: Timeframe | None = None,
    direction: Direction | None = None,
    limit: ListLimit = 100,
    cursor: CursorQuery = None,
) -> Response:
    """Market-leader detections (a coin moving hard on rising volume in a regime that agrees), newest
    first; each one may create predictions for the coins that follow it."""
    after = decode_cursor(cursor, (datetime, int, int))
    with read_connection(engine) as connection:
        rows = CrossMarketReadQueries(connection).leaders(
            limit=limit + 1, after=after, symbol=symbol, timeframe=_minutes(timeframe),
            direction=direction.value if direction else None)
    items, next_cursor = page(rows, limit, lambda r: (r.timestamp, r.leader_coin_id, r.timeframe))
    return respond(request, render(_list(items, limit, next_cursor), live_snapshot(r.timestamp for r in items),
                                   settings))
