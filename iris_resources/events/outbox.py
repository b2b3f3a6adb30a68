"""Appending events to the outbox inside a unit of work (never publishes by itself).

Event ids are derived from the event's content (type, coin, timeframe, candle time, payload), like
the reference's idempotency key: re-running a partition that produces the same results appends
nothing new, and consumers deduplicate redeliveries by the same id.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.dialects.postgresql import insert as pg_insert

from iris_resources.db.persistence_log import log_repo
from iris_resources.events.tables import event_outbox


@dataclass(frozen=True, slots=True)
class PendingEvent:
    """An event appended in the current transaction."""

    event_id: uuid.UUID
    event_type: str


_NAMESPACE = uuid.UUID("6f1c3a52-5b0e-4c61-9d1e-1c0de5e7a11e")


def event_id(event_type: str, event: dict[str, Any]) -> uuid.UUID:
    """A deterministic id from the event's content."""
    timestamp = event.get("timestamp")
    payload = json.dumps(event.get("payload", {}), sort_keys=True, separators=(",", ":"), default=str)
    key = (f"{event_type}:{event.get('coin_id', 0)}:{event.get('timeframe', 0)}:"
           f"{timestamp.isoformat() if timestamp else ''}:{hashlib.sha256(payload.encode()).hexdigest()}")
    return uuid.uuid5(_NAMESPACE, key)


class EventOutbox:
    """Write side of the outbox; the relay publishes committed rows after commit."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self.appended: list[PendingEvent] = []

    def append(self, event_type: str, *, coin_id: int = 0, timeframe: int = 0, timestamp: datetime | None = None,
               payload: dict[str, Any] | None = None) -> uuid.UUID:
        """Add one event (``timestamp`` is a candle **open** time, DECISIONS.md 4); returns its id."""
        return self.extend(event_type, [{"coin_id": coin_id, "timeframe": timeframe, "timestamp": timestamp,
                                         "payload": payload or {}}])[0]

    def extend(self, event_type: str, events: list[dict[str, Any]]) -> list[uuid.UUID]:
        """Add many events of one type (dicts with coin_id, timeframe, timestamp, payload)."""
        if not events:
            return []
        now = datetime.now(UTC)
        rows = [
            {"event_id": event_id(event_type, e), "event_type": event_type, "coin_id": e.get("coin_id", 0),
             "timeframe": e.get("timeframe", 0), "timestamp": e.get("timestamp"), "payload": e.get("payload", {}),
             "created_at": now}
            for e in events
        ]
        self._connection.execute(pg_insert(event_outbox).on_conflict_do_nothing(index_elements=["event_id"]), rows)
        self.appended += [PendingEvent(r["event_id"], event_type) for r in rows]
        log_repo("events", "append_events", mode="write", count=len(rows), event_type=event_type)
        return [r["event_id"] for r in rows]
