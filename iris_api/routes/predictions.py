"""Cross-market predictions and their quality (reference 5.1; DECISIONS.md 21–23).

``/predictions/quality`` is declared before ``/predictions/{prediction_id}`` so that it is not read as an id.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel

from iris_api.deps import EngineDep, SettingsDep, read_connection
from iris_api.errors import not_found
from iris_api.pagination import decode_cursor, page
from iris_api.params import NOT_FOUND, NOT_MODIFIED, CursorQuery, Timeframe
from iris_api.schemas.predictions import (
    PredictionItemPublic,
    PredictionQualityPublic,
    PredictionsPublic,
    QualityPublic,
    RelationQualityPublic,
    TimeframeQualityPublic,
)
from iris_api.snapshot import Snapshot, live_snapshot, render, respond
from iris_resources.predictions.read_queries import PredictionReadQueries

router = APIRouter(tags=["predictions"])
DOMAIN = "predictions"


class PredictionStatus(StrEnum):
    """Lifecycle status of a prediction."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    FAILED = "failed"
    EXPIRED = "expired"


@router.get("/predictions", response_model=PredictionsPublic, responses=NOT_MODIFIED)
def read_predictions(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    status: PredictionStatus | None = None,
    symbol: Annotated[str | None, Query(max_length=32, description="Predictions this coin leads or is the "
                                                                   "target of.")] = None,
    timeframe: Timeframe | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: CursorQuery = None,
) -> Response:
    """Predictions newest first, with their expected magnitude and target, deadline and, once decided,
    outcome."""
    after = decode_cursor(cursor, (datetime, int))
    with read_connection(engine) as connection:
        rows = PredictionReadQueries(connection).predictions(
            limit=limit + 1, after=after, status=status.value if status else None, symbol=symbol,
            timeframe=int(timeframe) if timeframe is not None else None)
    items, next_cursor = page(rows, limit, lambda p: (p.created_at, p.id))
    payload = {"data": items, "count": len(items), "limit": limit, "next_cursor": next_cursor}
    snapshot = live_snapshot(t for p in items for t in (p.created_at, p.evaluated_at))
    return respond(request, render(payload, snapshot, settings))


def _scores(entries: Any, model: type[BaseModel], symbols: dict[str, str]) -> list[dict[str, Any]]:
    scored = []
    for entry in entries or ():
        values = dict(entry)
        for side in ("leader", "follower"):
            if f"{side}_coin_id" in values:
                values[f"{side}_symbol"] = symbols.get(str(values[f"{side}_coin_id"]))
        scored.append(model.model_validate(values).model_dump(mode="json"))
    return scored


@router.get("/predictions/quality", response_model=PredictionQualityPublic, responses=NOT_MODIFIED)
def read_prediction_quality(request: Request, engine: EngineDep, settings: SettingsDep) -> Response:
    """Hit rate, information coefficient and rank IC of the decided predictions overall, per timeframe and
    per relation, from the latest ``prediction_quality`` materialization."""
    with read_connection(engine) as connection:
        stored = PredictionReadQueries(connection).quality()
    if stored is None:  # never materialized
        snapshot = Snapshot(datetime.now(UTC), None, "derived")
        report: dict[str, Any] = {}
        symbols: dict[str, str] = {}
    else:
        snapshot = Snapshot(stored.generated_at, stored.source_timestamp, "derived", stored.run_id)
        report = orjson.loads(stored.payload_json)
        symbols = orjson.loads(stored.symbols_json)
    overall = _scores(report.get("overall"), QualityPublic, symbols)
    payload = {"overall": overall[0] if overall else None,
               "timeframes": _scores(report.get("timeframe"), TimeframeQualityPublic, symbols),
               "relations": _scores(report.get("relation"), RelationQualityPublic, symbols)}
    return respond(request, render(payload, snapshot, settings))


@router.get("/predictions/{prediction_id}", response_model=PredictionItemPublic,
            responses={**NOT_FOUND, **NOT_MODIFIED})
def read_prediction(request: Request, prediction_id: Annotated[int, Path(ge=1, le=2**63 - 1)], engine: EngineDep,
                    settings: SettingsDep) -> Response:
    """One prediction, whatever its status."""
    with read_connection(engine) as connection:
        row = PredictionReadQueries(connection).prediction(prediction_id)
    if row is None:
        raise not_found("prediction", prediction_id, domain=DOMAIN)
    return respond(request, render({"data": row}, live_snapshot([row.created_at, row.evaluated_at]), settings))
