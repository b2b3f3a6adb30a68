"""What one API process holds: settings, the database pool, Redis, the body cache and the data versions."""

from __future__ import annotations

from dataclasses import dataclass

import redis
from sqlalchemy import Engine

from iris_api.cache import BodyCache, DataVersions
from iris_api.database import create_api_engine
from iris_api.settings import ApiSettings


@dataclass(frozen=True, slots=True)
class ApiRuntime:
    """The process-wide resources of the API (built by ``create_app``, closed at shutdown)."""

    settings: ApiSettings
    engine: Engine
    loop_engine: Engine
    redis: redis.Redis
    cache: BodyCache
    versions: DataVersions

    def close(self) -> None:
        """Release the pools and Redis connections."""
        self.engine.dispose()
        self.loop_engine.dispose()
        self.redis.close()


def _urls(settings: ApiSettings) -> tuple[str, str]:
    database = settings.database_url.get_secret_value() if settings.database_url else None
    cache = settings.redis_url.get_secret_value() if settings.redis_url else None
    if database is None or cache is None:  # embedded services: where they listen is in runtime.json
        from iris_resources.services.runtime import resolve_urls
        from iris_resources.settings import get_settings

        resolved = resolve_urls(get_settings())
        database, cache = database or resolved.database_url, cache or resolved.redis_url
    return database, cache


def build_runtime(settings: ApiSettings) -> ApiRuntime:
    """Create (without connecting yet) the pool and the Redis client."""
    database_url, redis_url = _urls(settings)
    client = redis.Redis.from_url(redis_url, socket_timeout=settings.api_redis_timeout_s,
                                  socket_connect_timeout=settings.api_redis_timeout_s)
    # One connection for the event loop's own short lookups (hot routes): only the loop thread uses
    # it, one statement at a time, so it never waits for the pool and never blocks on a busy pool.
    loop_engine = create_api_engine(database_url, settings, pool_size=1, overflow=0,
                                    statement_timeout_ms=settings.api_inline_statement_timeout_ms)
    return ApiRuntime(settings=settings, engine=create_api_engine(database_url, settings), loop_engine=loop_engine,
                      redis=client, cache=BodyCache(client, settings), versions=DataVersions(settings))
