"""``/health``: can the API reach its database and Redis?"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel
from sqlalchemy import text

from iris_api.deps import EngineDep, RedisDep

router = APIRouter(tags=["system"])


class HealthPublic(BaseModel):
    """Liveness of the API's dependencies."""

    status: Literal["ok", "degraded"]
    database: bool
    redis: bool


@router.get("/health", response_model=HealthPublic)
def read_health(response: Response, engine: EngineDep, redis_client: RedisDep) -> HealthPublic:
    """Report whether PostgreSQL and Redis answer; 503 when either does not."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        database = True
    except Exception:
        database = False
    try:
        redis_ok = bool(redis_client.ping())
    except Exception:
        redis_ok = False
    healthy = database and redis_ok
    if not healthy:
        response.status_code = 503
    return HealthPublic(status="ok" if healthy else "degraded", database=database, redis=redis_ok)
