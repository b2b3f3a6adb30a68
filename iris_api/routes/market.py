"""Market radar and market flow, served from their materialized projections (reference 3.14).

Hot routes: the rendered body is cached (in process and in Redis) under the projection's
``generated_at`` and the request parameters, so a hit costs one primary-key lookup (the version)
run on the event loop, and no thread hop (``iris_api.hot``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel
from sqlalchemy import Engine

from iris_api.cache import BodyCache
from iris_api.deps import RuntimeDep, read_connection
from iris_api.hot import hot_body, on_loop_connection
from iris_api.params import NOT_MODIFIED, Timeframe
from iris_api.runtime import ApiRuntime
from iris_api.schemas.market import (
    CoinRelationPublic,
    MarketFlowPublic,
    MarketLeaderPublic,
    MarketRadarPublic,
    RadarCoinPublic,
    RegimeChangePublic,
    SectorMomentumPublic,
    SectorRotationPublic,
)
from iris_api.settings import ApiSettings
from iris_api.snapshot import Rendered, Snapshot, render, respond
from iris_resources.indicators.read_queries import IndicatorReadQueries

router = APIRouter(tags=["market"])
Limit = Annotated[int, Query(ge=1, le=24, description="Items per list (the projection keeps 24).")]
RADAR_LISTS: dict[str, type[BaseModel]] = {
    "hot_coins": RadarCoinPublic, "emerging_coins": RadarCoinPublic, "regime_changes": RegimeChangePublic,
    "volatility_spikes": RadarCoinPublic,
}
FLOW_LISTS: dict[str, type[BaseModel]] = {
    "leaders": MarketLeaderPublic, "relations": CoinRelationPublic, "sectors": SectorMomentumPublic,
    "rotations": SectorRotationPublic,
}


def _items(payload: dict[str, Any], name: str, model: type[BaseModel], limit: int,
           keep: Callable[[dict[str, Any]], bool] = lambda item: True) -> list[dict[str, Any]]:
    """The first ``limit`` items of a stored list, validated and reduced to the documented fields."""
    stored = payload.get(name) or []
    return [model.model_validate(item).model_dump(mode="json") for item in stored if keep(item)][:limit]


def _projection_version(runtime: ApiRuntime, name: str) -> datetime | None:
    version = on_loop_connection(runtime, lambda c: IndicatorReadQueries(c).projection_version(name))
    return version.generated_at if version is not None else None


def projection_body(engine: Engine, cache: BodyCache, settings: ApiSettings, name: str, params: str,
                    build: Callable[[dict[str, Any]], dict[str, Any]], version: datetime | None) -> Rendered:
    """Projection ``name`` at ``version`` (its ``generated_at``), rendered: from the cache, else from
    the database, then cached under the version actually read."""
    if version is None:  # never materialized: empty lists, freshness unknown
        return render(build({}), Snapshot(datetime.now(UTC), None, "derived"), settings)
    cached = cache.get(cache.key(name, version, params))
    if cached is not None:
        return cached
    with read_connection(engine) as connection:
        projection = IndicatorReadQueries(connection).projection(name)
    if projection is None:  # removed meanwhile
        return render(build({}), Snapshot(datetime.now(UTC), None, "derived"), settings)
    snapshot = Snapshot(projection.generated_at, projection.source_timestamp, "derived", projection.run_id)
    rendered = render(build(orjson.loads(projection.payload_json)), snapshot, settings)
    cache.put(cache.key(name, projection.generated_at, params), rendered)
    return rendered


async def _hot_projection(runtime: ApiRuntime, name: str, params: str,
                          build: Callable[[dict[str, Any]], dict[str, Any]]) -> Rendered:
    return await hot_body(
        runtime, name, params, lambda rt: _projection_version(rt, name), lambda version: version,
        lambda version: projection_body(runtime.engine, runtime.cache, runtime.settings, name, params, build,
                                        version))


@router.get("/market/radar", response_model=MarketRadarPublic, responses=NOT_MODIFIED)
async def read_market_radar(request: Request, runtime: RuntimeDep, limit: Limit = 8) -> Response:
    """Hot coins, emerging coins, volatility spikes and recent regime changes, from the latest
    ``market_radar`` materialization."""
    def build(payload: dict[str, Any]) -> dict[str, Any]:
        return {"limit": limit, **{name: _items(payload, name, model, limit) for name, model in RADAR_LISTS.items()}}

    return respond(request, await _hot_projection(runtime, "market_radar", f"limit={limit}", build))


@router.get("/market/flow", response_model=MarketFlowPublic, responses=NOT_MODIFIED)
async def read_market_flow(request: Request, runtime: RuntimeDep, limit: Limit = 8,
                           timeframe: Timeframe = Timeframe.H1) -> Response:
    """Market leaders, lead/lag relations, sector momentum on ``timeframe`` and sector rotations,
    from the latest ``market_flow`` materialization."""
    minutes = int(timeframe)

    def build(payload: dict[str, Any]) -> dict[str, Any]:
        lists = {name: _items(payload, name, model, limit) for name, model in FLOW_LISTS.items() if name != "sectors"}
        sectors = _items(payload, "sectors", SectorMomentumPublic, limit, lambda s: s.get("timeframe") == minutes)
        return {"limit": limit, "timeframe": minutes, **lists, "sectors": sectors}

    return respond(request, await _hot_projection(runtime, "market_flow", f"limit={limit}:tf={minutes}", build))
