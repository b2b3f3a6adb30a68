"""Publishing committed outbox rows to a Redis Stream (at-least-once, trimmed).

The relay claims unpublished rows with ``FOR UPDATE SKIP LOCKED`` (several relays never publish the
same row concurrently), ``XADD``s them with an approximate ``MAXLEN`` trim, then marks them
published in the same transaction. If Redis fails midway, the transaction rolls back: rows already
sent will be sent again on the next sweep — consumers deduplicate by ``event_id``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import redis
from sqlalchemy import Engine, select, update

from iris_resources.db.persistence_log import log_event
from iris_resources.events.tables import event_outbox

log = logging.getLogger("iris.events")


@dataclass(frozen=True, slots=True)
class RelayResult:
    """What one sweep did."""

    published: int
    failed: bool = False
    error: str = ""


def stream_fields(row: Any) -> dict[str, str]:
    """The stream entry of an outbox row (string fields, compact sorted JSON payload)."""
    return {
        "event_id": str(row.event_id),
        "event_type": row.event_type,
        "coin_id": str(row.coin_id),
        "timeframe": str(row.timeframe),
        "timestamp": row.timestamp.astimezone(UTC).isoformat() if row.timestamp else "",
        "created_at": row.created_at.astimezone(UTC).isoformat(),
        "payload": json.dumps(row.payload, sort_keys=True, separators=(",", ":"), default=str),
    }


def publish_pending(engine: Engine, client: redis.Redis, *, stream: str, maxlen: int = 100_000,
                    batch: int = 1_000, max_batches: int = 100) -> RelayResult:
    """Publish unpublished outbox rows in id order; returns how many were published."""
    published = 0
    try:
        for _ in range(max_batches):
            with engine.begin() as connection:
                rows = connection.execute(
                    select(event_outbox).where(event_outbox.c.published_at.is_(None))
                    .order_by(event_outbox.c.id).limit(batch).with_for_update(skip_locked=True)
                ).all()
                if not rows:
                    break
                pipe = client.pipeline(transaction=False)
                for row in rows:
                    pipe.xadd(stream, stream_fields(row), maxlen=maxlen, approximate=True)  # type: ignore[arg-type]
                pipe.execute()
                connection.execute(
                    update(event_outbox).where(event_outbox.c.id.in_([r.id for r in rows]))
                    .values(published_at=datetime.now(UTC), attempts=event_outbox.c.attempts + 1)
                )
            published += len(rows)
    except (redis.RedisError, OSError) as exc:
        # The rows stay unpublished; the next sweep (sensor, next commit) sends them.
        log.warning("event relay could not reach Redis: %s", exc)
        log_event("events.relay_failed", level=logging.WARNING, published=published, error=type(exc).__name__)
        return RelayResult(published=published, failed=True, error=str(exc))
    if published:
        log_event("events.relay_published", level=logging.INFO, count=published, stream=stream)
    return RelayResult(published=published)


def pending_count(engine: Engine) -> int:
    """Committed events not yet published."""
    from sqlalchemy import func

    with engine.connect() as connection:
        return int(connection.execute(
            select(func.count()).where(event_outbox.c.published_at.is_(None))).scalar_one())
