"""Health of the API's dependencies and of the materialized projections."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from iris_api.schemas.common import PublicModel


class ProjectionHealthPublic(PublicModel):
    """When a projection was last materialized."""

    name: str
    generated_at: datetime
    source_timestamp: datetime | None
    run_id: str | None


class HealthPublic(PublicModel):
    """Liveness of PostgreSQL and Redis, the role the API reads as, and projection times."""

    status: Literal["ok", "degraded"]
    database: bool
    redis: bool
    projections: list[ProjectionHealthPublic]
