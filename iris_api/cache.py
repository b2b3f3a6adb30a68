"""Cache of rendered bodies: Redis, shared by every API process, in front of which each process
keeps a small in-memory copy; and the data versions the list routes key their bodies by.

Keys carry the version of the data they render, so newer data changes the key and is never hidden
by an older body; the TTL only bounds memory. Two kinds of version:

- hot projections (radar, flow, metrics list): the projection's own ``generated_at``, looked up per
  request (``iris_api.hot``);
- list routes (coins, history, coin metrics, indicators, signals, anomalies): the versions of the
  data domains they read (``iris_resources.events.versions``), bumped in the very transaction that
  changes the data. ``DataVersions`` re-reads them at most every ``api_version_max_age_ms``, so a
  cache hit runs no statement and a body is never served more than that bound after a commit
  that changed its data.

The in-process copy saves the Redis round trip on the hottest keys (measured: a cached radar
request spent as long in the Redis client as in everything else); bodies larger than
``api_cache_local_max_bytes`` live in Redis only. When Redis fails the API serves from the
database (and from the in-process copies, whose keys still follow the versions) and leaves Redis
alone for a short while, so an outage costs one timeout, not one per request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

import redis
from sqlalchemy.exc import SQLAlchemyError

from iris_api.settings import ApiSettings
from iris_api.snapshot import Prepared

LOGGER = logging.getLogger("iris.api")


class DataVersions:
    """The data versions this process trusts, re-read at most every ``api_version_max_age_ms``.

    Only the event loop uses it (no lock): a refresh is one statement on the loop's connection. When
    the read fails, nothing is cached until the next attempt (one per bound, so a database outage
    does not stall the loop on every request).
    """

    def __init__(self, settings: ApiSettings) -> None:
        self._enabled = settings.api_cache_enabled
        self._max_age_s = settings.api_version_max_age_ms / 1000
        self._values: Mapping[str, int] = {}
        self._read_at = float("-inf")

    def token(self, domains: Iterable[str], read: Callable[[], Mapping[str, int]]) -> str | None:
        """``"<v1>.<v2>…"`` for ``domains``, re-read through ``read`` when older than the bound;
        ``None`` (do not cache) when caching is off or a domain has no version."""
        if not self._enabled:
            return None
        started = time.monotonic()
        if started - self._read_at >= self._max_age_s:
            try:
                self._values = read()
            except SQLAlchemyError as exc:  # no versions, no cache: the route's own read reports the error
                LOGGER.warning("data versions unavailable (%s); not caching for %.1f s", type(exc).__name__,
                               self._max_age_s)
                self._values = {}
            self._read_at = started  # the bound counts from before the read
        parts = [self._values.get(domain) for domain in domains]
        if any(part is None for part in parts):
            return None
        return ".".join(str(part) for part in parts)

    def expire(self) -> None:
        """Forget the versions read (the next ``token`` re-reads them)."""
        self._read_at = float("-inf")


class BodyCache:
    """Prepared bodies in Redis and in process memory; every Redis failure degrades to a miss."""

    def __init__(self, client: redis.Redis | None, settings: ApiSettings) -> None:
        self._client = client if settings.api_cache_enabled else None
        self._prefix = settings.api_cache_prefix
        self._ttl = settings.api_cache_ttl_s
        self._retry_after = settings.api_cache_retry_after_s
        self._down_until = 0.0
        self._local: OrderedDict[str, tuple[float, Prepared]] = OrderedDict()
        self._local_entries = settings.api_cache_local_entries if settings.api_cache_enabled else 0
        self._local_max_bytes = settings.api_cache_local_max_bytes
        self._lock = threading.Lock()

    def key(self, name: str, version: datetime | str, params: str) -> str:
        """``<prefix>:<name>:<version>:<params>``."""
        stamp = version.isoformat() if isinstance(version, datetime) else version
        return f"{self._prefix}:{name}:{stamp}:{params}"

    def get(self, key: str) -> Prepared | None:
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
        try:
            etag, last_modified, source, generated, stable = raw.split(b"\n", 4)
            prepared = Prepared(stable=stable, etag=etag.decode(), last_modified=last_modified.decode() or None,
                                source_timestamp=_time(source), generated_at=_time(generated))
        except ValueError:  # written in another format (an older release): a miss
            return None
        self._put_local(key, prepared)
        return prepared

    def put(self, key: str, prepared: Prepared) -> None:
        """Store a body for ``api_cache_ttl_s`` (best effort)."""
        self._put_local(key, prepared)
        client = self._available()
        if client is None:
            return
        value = b"\n".join((prepared.etag.encode(), (prepared.last_modified or "").encode(),
                            _stamp(prepared.source_timestamp), _stamp(prepared.generated_at), prepared.stable))
        try:
            client.set(key, value, ex=self._ttl)
        except redis.RedisError as exc:
            self._failed(exc)

    def get_local(self, key: str) -> Prepared | None:
        """The body this process holds for ``key`` (no I/O: safe on the event loop)."""
        return self._get_local(key)

    def _get_local(self, key: str) -> Prepared | None:
        with self._lock:
            entry = self._local.get(key)
            if entry is None:
                return None
            if entry[0] < time.monotonic():
                del self._local[key]
                return None
            self._local.move_to_end(key)
            return entry[1]

    def _put_local(self, key: str, prepared: Prepared) -> None:
        if not self._local_entries or len(prepared.stable) > self._local_max_bytes:
            return
        with self._lock:
            self._local[key] = (time.monotonic() + self._ttl, prepared)
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


def _stamp(value: datetime | None) -> bytes:
    return value.isoformat().encode() if value is not None else b""


def _time(raw: bytes) -> datetime | None:
    return datetime.fromisoformat(raw.decode()) if raw else None
