"""``/health``: can the API reach PostgreSQL and Redis, and when was each projection materialized?"""

from __future__ import annotations

import logging

import orjson
from fastapi import APIRouter, Response

from iris_api.deps import EngineDep, RedisDep, read_connection
from iris_api.schemas.health import HealthPublic
from iris_api.snapshot import JSON_OPTIONS, NO_STORE
from iris_resources.indicators.api_read_models import ProjectionVersion
from iris_resources.indicators.read_queries import IndicatorReadQueries

router = APIRouter(tags=["system"])
LOGGER = logging.getLogger("iris.api")


@router.get("/health", response_model=HealthPublic, responses={503: {"model": HealthPublic,
                                                                     "description": "A dependency is down."}})
def read_health(engine: EngineDep, redis_client: RedisDep) -> Response:
    """PostgreSQL and Redis liveness and each projection's last materialization; 503 when either
    dependency does not answer."""
    projections: tuple[ProjectionVersion, ...] = ()
    try:
        with read_connection(engine) as connection:
            projections = IndicatorReadQueries(connection).projection_versions()
        database = True
    except Exception as exc:
        LOGGER.warning("health: database unreachable (%s)", type(exc).__name__)
        database = False
    try:
        redis_ok = bool(redis_client.ping())
    except Exception as exc:
        LOGGER.warning("health: redis unreachable (%s)", type(exc).__name__)
        redis_ok = False
    healthy = database and redis_ok
    body = {"status": "ok" if healthy else "degraded", "database": database, "redis": redis_ok,
            "projections": projections}
    return Response(orjson.dumps(body, option=JSON_OPTIONS), status_code=200 if healthy else 503,
                    media_type="application/json", headers={"Cache-Control": NO_STORE})
