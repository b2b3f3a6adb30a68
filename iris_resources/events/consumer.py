"""Consumer-side helpers: delivery is at-least-once, so every consumer deduplicates by event id."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis

PROCESSED_TTL_S = 7 * 24 * 3600


@dataclass(frozen=True, slots=True)
class StreamEvent:
    """A decoded stream entry."""

    stream_id: str
    event_id: str
    event_type: str
    coin_id: int
    timeframe: int
    timestamp: str
    payload: dict[str, Any]


def decode(stream_id: bytes | str, fields: dict[bytes, bytes] | dict[str, str]) -> StreamEvent:
    """A stream entry as read by ``XRANGE``/``XREAD``."""
    text = {(k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v)
            for k, v in fields.items()}
    return StreamEvent(
        stream_id=stream_id.decode() if isinstance(stream_id, bytes) else stream_id,
        event_id=text["event_id"], event_type=text["event_type"], coin_id=int(text["coin_id"]),
        timeframe=int(text["timeframe"]), timestamp=text["timestamp"], payload=json.loads(text["payload"]),
    )


def handle_once(client: redis.Redis, group: str, event: StreamEvent, handler: Callable[[StreamEvent], None]) -> bool:
    """Run ``handler`` unless ``group`` already processed this event id; True when it ran.

    The processed mark is set after the handler succeeds, so a crash re-delivers (at-least-once)
    and a duplicate delivery of a handled event changes nothing.
    """
    key = f"iris:events:processed:{group}:{event.event_id}"
    if client.exists(key):
        return False
    handler(event)
    client.set(key, "1", ex=PROCESSED_TTL_S)
    return True
