"""Shared dependencies of the read API: settings, the database engine, Redis."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

import redis
from fastapi import Depends
from sqlalchemy import Engine

from iris_resources.db.engine import create_db_engine
from iris_resources.services.runtime import resolve_urls
from iris_resources.settings import get_settings


@lru_cache(maxsize=1)
def get_engine() -> Engine:
    """The API's engine (one pool per process)."""
    settings = get_settings()
    return create_db_engine(
        resolve_urls(settings).database_url,
        pool_size=settings.db_pool_size,
        statement_timeout_ms=5_000,
        application_name="iris-api",
    )


@lru_cache(maxsize=1)
def get_redis() -> redis.Redis:
    """The API's Redis client."""
    return redis.Redis.from_url(resolve_urls(get_settings()).redis_url, socket_timeout=1.0)


EngineDep = Annotated[Engine, Depends(get_engine)]
RedisDep = Annotated[redis.Redis, Depends(get_redis)]
