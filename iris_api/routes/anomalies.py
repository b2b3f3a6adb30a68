"""Market anomalies (the reference had a query service but no route; reference 4.9).

The list is cached by (normalized query, versions of the ``coins`` and ``anomalies`` domains): a hit
runs no statement (``iris_api.hot.versioned_body``).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Path, Query, Request, Response

from iris_api.deps import EngineDep, RuntimeDep, SettingsDep, read_connection
from iris_api.errors import not_found
from iris_api.hot import query_key, versioned_body
from iris_api.pagination import decode_cursor, page
from iris_api.params import NOT_FOUND, NOT_MODIFIED, CursorQuery, Timeframe
from iris_api.schemas.anomalies import AnomaliesPublic, AnomalyItemPublic
from iris_api.snapshot import Prepared, live_snapshot, prepare_live, render, respond
from iris_resources.anomalies.api_read_models import AnomalyRow
from iris_resources.anomalies.read_queries import ACTIVE_STATUSES, AnomalyReadQueries

router = APIRouter(tags=["anomalies"])
_FIELDS = AnomalyRow.__slots__
ANOMALY_DOMAINS = ("coins", "anomalies")


class Status(StrEnum):
    """Lifecycle status of an anomaly."""

    NEW = "new"
    ACTIVE = "active"
    COOLING = "cooling"
    RESOLVED = "resolved"


class Severity(StrEnum):
    """Severity of an anomaly."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


def _anomaly_public(row: AnomalyRow) -> dict[str, Any]:
    values = {name: getattr(row, name) for name in _FIELDS}
    values["payload_json"] = orjson.Fragment(row.payload_json)  # already JSON: embedded, not re-parsed
    return values


@router.get("/anomalies", response_model=AnomaliesPublic, responses=NOT_MODIFIED)
async def read_anomalies(
    request: Request,
    runtime: RuntimeDep,
    symbol: Annotated[str | None, Query(max_length=32)] = None,
    timeframe: Timeframe | None = None,
    status: Annotated[list[Status] | None, Query(description="Repeatable; default `new` and `active`.")] = None,
    severity: Annotated[list[Severity] | None, Query(description="Repeatable; default all.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: CursorQuery = None,
) -> Response:
    """Anomalies, newest detection first; by default only open ones (status ``new`` or ``active``)."""
    after = decode_cursor(cursor, (datetime, int))
    statuses = sorted({s.value for s in status} if status else ACTIVE_STATUSES)
    severities = sorted({s.value for s in severity}) if severity else []

    def load() -> Prepared:
        with read_connection(runtime.engine) as connection:
            rows = AnomalyReadQueries(connection).list_anomalies(
                limit=limit + 1, after=after, symbol=symbol, timeframe=int(timeframe) if timeframe else None,
                statuses=statuses, severities=severities)
        items, next_cursor = page(rows, limit, lambda a: (a.detected_at, a.id))
        payload = {"data": [_anomaly_public(a) for a in items], "count": len(items), "limit": limit,
                   "next_cursor": next_cursor}
        return prepare_live(payload, (a.updated_at for a in items))

    params = query_key(symbol=symbol.strip().upper() if symbol is not None else None,
                       timeframe=int(timeframe) if timeframe else None, status=statuses, severity=severities,
                       limit=limit, cursor=cursor)
    return respond(request, await versioned_body(runtime, "anomalies", ANOMALY_DOMAINS, params, load))


@router.get("/anomalies/{anomaly_id}", response_model=AnomalyItemPublic, responses={**NOT_FOUND, **NOT_MODIFIED})
def read_anomaly(request: Request, anomaly_id: Annotated[int, Path(ge=1, le=2**63 - 1)], engine: EngineDep,
                 settings: SettingsDep) -> Response:
    """One anomaly, whatever its status."""
    with read_connection(engine) as connection:
        row = AnomalyReadQueries(connection).get_anomaly(anomaly_id)
    if row is None:
        raise not_found("anomaly", anomaly_id, domain="anomalies")
    return respond(request, render({"data": _anomaly_public(row)}, live_snapshot([row.updated_at]), settings))
