"""The Dagster resource for Redis Streams: relaying the outbox and reading the stream."""

from __future__ import annotations

import dagster as dg
import redis
from pydantic import Field
from sqlalchemy import Engine

from iris_resources.events.relay import RelayResult, publish_pending


class EventsResource(dg.ConfigurableResource):
    """Where committed events go: a Redis Stream trimmed to ``maxlen`` entries."""

    redis_url: str | None = Field(default=None, description="Redis URL; unset = IRIS_REDIS_URL or embedded.")
    stream: str = Field(default="iris_events", description="Stream name.")
    maxlen: int = Field(default=100_000, description="Approximate stream length kept (XADD MAXLEN ~).")

    def resolved_url(self) -> str:
        """The URL actually used."""
        if self.redis_url:
            return self.redis_url
        from iris_resources.services.runtime import resolve_urls
        from iris_resources.settings import get_settings

        return resolve_urls(get_settings()).redis_url

    def client(self) -> redis.Redis:
        """A short-timeout client: a down Redis must not stall a run."""
        return redis.Redis.from_url(self.resolved_url(), socket_timeout=2.0, socket_connect_timeout=2.0)

    def relay(self, engine: Engine) -> RelayResult:
        """Publish every committed, unpublished outbox event."""
        client = self.client()
        try:
            return publish_pending(engine, client, stream=self.stream, maxlen=self.maxlen)
        finally:
            client.close()
