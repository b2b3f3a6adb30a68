"""Snapshot metadata (DECISIONS.md 30), rendering with a weak ETag, and conditional responses.

A response body is rendered once with orjson (ARCHITECTURE.md §7), in two steps: ``prepare`` turns
the payload and the stable metadata (``consistency``, ``source_run_id``) into bytes and hashes them
into the ETag; ``Prepared.complete`` appends the volatile fields ``freshness_class``,
``generated_at`` and ``staleness_ms`` (reference B.3), so the ETag changes only when the data does.
Cached live reads keep the ``Prepared`` form and complete it per response: their ``generated_at`` is
the response's time, as for an uncached read (the data is at most the cache's bound behind it,
``iris_api.hot``); derived snapshots carry their own ``generated_at`` (the materialization's).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import orjson
from fastapi import Request, Response

from iris_api.settings import ApiSettings

JSON_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS
PUBLIC_CACHE = "public, max-age=15, stale-while-revalidate=30"
NO_STORE = "no-store"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Where a response's data came from."""

    generated_at: datetime
    source_timestamp: datetime | None
    consistency: str
    source_run_id: str | None = None

    @property
    def staleness_ms(self) -> int | None:
        """Milliseconds from the newest source data to generation, floored at 0."""
        if self.source_timestamp is None:
            return None
        return max(0, int((self.generated_at - self.source_timestamp).total_seconds() * 1000))


def live_snapshot(source_timestamps: Iterable[datetime | None]) -> Snapshot:
    """A read of the tables made now; staleness from the newest timestamp in the data."""
    present = [ts for ts in source_timestamps if ts is not None]
    return Snapshot(generated_at=datetime.now(UTC), source_timestamp=max(present) if present else None,
                    consistency="snapshot")


def freshness_class(staleness_ms: int | None, settings: ApiSettings) -> str:
    """``real_time`` … ``historical`` by staleness thresholds from settings; ``unknown`` without one."""
    if staleness_ms is None:
        return "unknown"
    if staleness_ms <= settings.api_fresh_real_time_ms:
        return "real_time"
    if staleness_ms <= settings.api_fresh_near_real_time_ms:
        return "near_real_time"
    if staleness_ms <= settings.api_fresh_delayed_ms:
        return "delayed"
    return "historical"


@dataclass(frozen=True, slots=True)
class Rendered:
    """A response body ready to send (or to cache) with its validators."""

    body: bytes
    etag: str
    last_modified: str | None


@dataclass(frozen=True, slots=True)
class Prepared:
    """A body without its volatile fields: the JSON object ``stable`` (payload, ``consistency``,
    ``source_run_id``), its validators, and what the volatile fields are computed from."""

    stable: bytes
    etag: str
    last_modified: str | None
    source_timestamp: datetime | None
    generated_at: datetime | None = None  # fixed for derived snapshots; None = the response's time

    def complete(self, settings: ApiSettings, now: datetime | None = None) -> Rendered:
        """The body with ``freshness_class``, ``generated_at`` and ``staleness_ms`` appended."""
        generated_at = self.generated_at or now or datetime.now(UTC)
        staleness = Snapshot(generated_at, self.source_timestamp, "").staleness_ms
        volatile = orjson.dumps({"freshness_class": freshness_class(staleness, settings),
                                 "generated_at": generated_at, "staleness_ms": staleness}, option=JSON_OPTIONS)
        return Rendered(body=self.stable[:-1] + b"," + volatile[1:], etag=self.etag, last_modified=self.last_modified)


def prepare(payload: Mapping[str, Any], source_timestamp: datetime | None, consistency: str,
            source_run_id: str | None = None, generated_at: datetime | None = None) -> Prepared:
    """Serialize ``payload`` plus the stable metadata once and hash it into the ETag."""
    stable = orjson.dumps({**payload, "consistency": consistency, "source_run_id": source_run_id},
                          option=JSON_OPTIONS)
    return Prepared(stable=stable, etag=weak_etag(stable), last_modified=http_date(source_timestamp),
                    source_timestamp=source_timestamp, generated_at=generated_at)


def prepare_live(payload: Mapping[str, Any], source_timestamps: Iterable[datetime | None]) -> Prepared:
    """A read of the tables (``consistency: snapshot``), generated at each response's time; staleness
    from the newest timestamp in the data."""
    present = [ts for ts in source_timestamps if ts is not None]
    return prepare(payload, max(present) if present else None, "snapshot")


def render(payload: Mapping[str, Any], snapshot: Snapshot, settings: ApiSettings) -> Rendered:
    """Serialize ``payload`` plus the snapshot metadata once; the ETag skips the volatile fields."""
    prepared = prepare(payload, snapshot.source_timestamp, snapshot.consistency, snapshot.source_run_id,
                       snapshot.generated_at)
    return prepared.complete(settings)


def weak_etag(stable_bytes: bytes) -> str:
    """``W/"<first 32 hex of sha256>"``."""
    return f'W/"{hashlib.sha256(stable_bytes).hexdigest()[:32]}"'


def http_date(value: datetime | None) -> str | None:
    """RFC 9110 date (``Last-Modified``)."""
    return format_datetime(value.astimezone(UTC), usegmt=True) if value is not None else None


def _matches(if_none_match: str, etag: str) -> bool:
    opaque = etag.removeprefix("W/")
    for candidate in if_none_match.split(","):
        token = candidate.strip()
        if token == "*" or token.removeprefix("W/") == opaque:  # weak comparison (RFC 9110 13.1.2)
            return True
    return False


def respond(request: Request, rendered: Rendered, *, cache_control: str = PUBLIC_CACHE,
            media_type: str = "application/json") -> Response:
    """200 with the body, or 304 when ``If-None-Match`` names the ETag (or ``*``)."""
    headers = {"ETag": rendered.etag, "Cache-Control": cache_control, "Vary": "Accept, If-None-Match"}
    if rendered.last_modified is not None:
        headers["Last-Modified"] = rendered.last_modified
    condition = request.headers.get("if-none-match")
    if condition is not None and _matches(condition, rendered.etag):
        return Response(status_code=304, headers=headers)
    return Response(rendered.body, media_type=media_type, headers=headers)
