"""Dependencies of the routes, as ``Annotated`` aliases: settings, engine, Redis, body cache, and
the whole runtime (hot routes use its event-loop connection, see ``iris_api.hot``).

They are ``async`` on purpose: FastAPI runs a sync dependency in the thread pool, one hop per
dependency per request; these only read ``app.state``. Routes open connections with
``read_connection`` inside their (threaded) body, so no pool wait ever blocks the event loop.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import redis
from fastapi import Depends, Request
from sqlalchemy import Connection, Engine

from iris_api.cache import BodyCache
from iris_api.runtime import ApiRuntime
from iris_api.settings import ApiSettings


def _runtime(request: Request) -> ApiRuntime:
    runtime: ApiRuntime = request.app.state.runtime
    return runtime


async def get_runtime(request: Request) -> ApiRuntime:
    """Everything the process holds (hot routes use its event-loop connection)."""
    return _runtime(request)


async def get_settings(request: Request) -> ApiSettings:
    """The API's settings."""
    return _runtime(request).settings


async def get_engine(request: Request) -> Engine:
    """The API's pool (read-only role, autocommit, statement timeout)."""
    return _runtime(request).engine


async def get_redis(request: Request) -> redis.Redis:
    """The API's Redis client."""
    return _runtime(request).redis


async def get_cache(request: Request) -> BodyCache:
    """The cache of rendered hot bodies."""
    return _runtime(request).cache


RuntimeDep = Annotated[ApiRuntime, Depends(get_runtime)]
SettingsDep = Annotated[ApiSettings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]
RedisDep = Annotated[redis.Redis, Depends(get_redis)]
CacheDep = Annotated[BodyCache, Depends(get_cache)]


@contextmanager
def read_connection(engine: Engine) -> Iterator[Connection]:
    """A pooled connection for query services; returned to the pool on exit (autocommit reads)."""
    with engine.connect() as connection:
        yield connection
