"""Redis cache of rendered bodies for the hot projections (radar, flow, metrics list).

Keys carry the version of the data they render (a projection's ``generated_at``), so a newer
materialization changes the key and is never hidden by an older body; the TTL only bounds memory.
When Redis fails the API serves from the database and leaves Redis alone for a short while, so an
outage costs one timeout, not one per request.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

import redis

from iris_api.settings import ApiSettings
from iris_api.snapshot import Rendered

LOGGER = logging.getLogger("iris.api")


class BodyCache:
    """Rendered bodies in Redis; every failure degrades to a miss."""

    def __init__(self, client: redis.Redis | None, settings: ApiSettings) -> None:
        self._client = client if settings.api_cache_enabled else None
        self._prefix = settings.api_cache_prefix
        self._ttl = settings.api_cache_ttl_s
        self._retry_after = settings.api_cache_retry_after_s
        self._down_until = 0.0

    def key(self, name: str, version: datetime | str, params: str) -> str:
        """``<prefix>:<name>:<version>:<params>``."""
        stamp = version.isoformat() if isinstance(version, datetime) else version
        return f"{self._prefix}:{name}:{stamp}:{params}"

    def get(self, key: str) -> Rendered | None:
        """The cached body, or ``None`` on a miss or when Redis is unavailable."""
        client = self._available()
        if client is None:
            return None
        try:
            raw = client.get(key)
        except redis.RedisError as exc:
            self._failed(exc)
            return None
        if not isinstance(raw, bytes):
            return None
        etag, last_modified, body = raw.split(b"\n", 2)
        return Rendered(body=body, etag=etag.decode(), last_modified=last_modified.decode() or None)

    def put(self, key: str, rendered: Rendered) -> None:
        """Store a body for ``api_cache_ttl_s`` (best effort)."""
        client = self._available()
        if client is None:
            return
        value = b"\n".join((rendered.etag.encode(), (rendered.last_modified or "").encode(), rendered.body))
        try:
            client.set(key, value, ex=self._ttl)
        except redis.RedisError as exc:
            self._failed(exc)

    def _available(self) -> redis.Redis | None:
        if self._client is None or time.monotonic() < self._down_until:
            return None
        return self._client

    def _failed(self, exc: Exception) -> None:
        LOGGER.warning("cache unavailable (%s); serving from the database for %.0f s",
                       type(exc).__name__, self._retry_after)
        self._down_until = time.monotonic() + self._retry_after
