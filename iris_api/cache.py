"""Cache of rendered bodies for the hot projections (radar, flow, metrics list): Redis, shared by
every API process, in front of which each process keeps a small in-memory copy.

Keys carry the version of the data they render (a projection's ``generated_at``), so a newer
materialization changes the key and is never hidden by an older body; the TTL only bounds memory.
The in-process copy saves the Redis round trip on the hottest keys (measured: a cached radar
request spent as long in the Redis client as in everything else). When Redis fails the API serves
from the database and leaves Redis alone for a short while, so an outage costs one timeout, not
one per request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
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
        self._local: OrderedDict[str, tuple[float, Rendered]] = OrderedDict()
        self._local_entries = settings.api_cache_local_entries if settings.api_cache_enabled else 0
        self._lock = threading.Lock()

    def key(self, name: str, version: datetime | str, params: str) -> str:
        """``<prefix>:<name>:<version>:<params>``."""
        stamp = version.isoformat() if isinstance(version, datetime) else version
        return f"{self._prefix}:{name}:{stamp}:{params}"

    def get(self, key: str) -> Rendered | None:
        """The cached body, or ``None`` on a miss or when Redis is unavailable."""
        local = self._get_local(key)
        if local is not None:
            return local
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
        rendered = Rendered(body=body, etag=etag.decode(), last_modified=last_modified.decode() or None)
        self._put_local(key, rendered)
        return rendered

    def put(self, key: str, rendered: Rendered) -> None:
        """Store a body for ``api_cache_ttl_s`` (best effort)."""
        self._put_local(key, rendered)
        client = self._available()
        if client is None:
            return
        value = b"\n".join((rendered.etag.encode(), (rendered.last_modified or "").encode(), rendered.body))
        try:
            client.set(key, value, ex=self._ttl)
        except redis.RedisError as exc:
            self._failed(exc)

    def get_local(self, key: str) -> Rendered | None:
        """The body this process holds for ``key`` (no I/O: safe on the event loop)."""
        return self._get_local(key)

    def _get_local(self, key: str) -> Rendered | None:
        with self._lock:
            entry = self._local.get(key)
            if entry is None:
                return None
            if entry[0] < time.monotonic():
                del self._local[key]
                return None
            self._local.move_to_end(key)
            return entry[1]

    def _put_local(self, key: str, rendered: Rendered) -> None:
        if not self._local_entries:
            return
        with self._lock:
            self._local[key] = (time.monotonic() + self._ttl, rendered)
            self._local.move_to_end(key)
            while len(self._local) > self._local_entries:
                self._local.popitem(last=False)

    def _available(self) -> redis.Redis | None:
        if self._client is None or time.monotonic() < self._down_until:
            return None
        return self._client

    def _failed(self, exc: Exception) -> None:
        LOGGER.warning("cache unavailable (%s); serving from the database for %.0f s",
                       type(exc).__name__, self._retry_after)
        self._down_until = time.monotonic() + self._retry_after
