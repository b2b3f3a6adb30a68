"""Market radar and market flow, served from their materialized projections (reference 3.14).

Hot routes: the prepared body is cached (in process and in Redis) under the request parameters and
the version of the ``indicators`` domain (projections are written through the indicators
repository), so a hit runs no statement and no thread hop (``iris_api.hot.versioned_body``). The
body carries the projection's own ``generated_at``, staleness and run id.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel

from iris_api.deps import RuntimeDep, read_connection
from iris_api.hot import query_key, versioned_body
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
from iris_api.snapshot import Prepared, Rendered, prepare, respond
from iris_resources.indicators.read_queries import IndicatorReadQueries

router = APIRouter(tags=["market"])
PROJECTION_DOMAINS = ("indicators",)
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


def projection_body(runtime: ApiRuntime, name: str, build: Callable[[dict[str, Any]], dict[str, Any]]) -> Prepared:
    """Projection ``name`` read from the database and shaped by ``build`` (empty lists and unknown
    freshness when it was never materialized)."""
    with read_connection(runtime.engine) as connection:
        projection = IndicatorReadQueries(connection).projection(name)
    if projection is None:
        return prepare(build({}), None, "derived")
    return prepare(build(orjson.loads(projection.payload_json)), projection.source_timestamp, "derived",
                   projection.run_id, generated_at=projection.generated_at)


async def _hot_projection(runtime: ApiRuntime, name: str, params: str,
                          build: Callable[[dict[str, Any]], dict[str, Any]]) -> Rendered:
    return await versioned_body(runtime, name, PROJECTION_DOMAINS, params,
                                lambda: projection_body(runtime, name, build))


@router.get("/market/radar", response_model=MarketRadarPublic, responses=NOT_MODIFIED)
async def read_market_radar(request: Request, runtime: RuntimeDep, limit: Limit = 8) -> Response:
    """Hot coins, emerging coins, volatility spikes and recent regime changes, from the latest
    ``market_radar`` materialization."""
    def build(payload: dict[str, Any]) -> dict[str, Any]:
        return {"limit": limit, **{name: _items(payload, name, model, limit) for name, model in RADAR_LISTS.items()}}

    return respond(request, await _hot_projection(runtime, "market_radar", query_key(limit=limit), build))


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

    params = query_key(limit=limit, timeframe=minutes)
    return respond(request, await _hot_projection(runtime, "market_flow", params, build))
