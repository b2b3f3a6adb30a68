"""The transactional outbox: events are rows written in the same transaction as the data."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, SmallInteger, String, Table, Uuid, text
from sqlalchemy.dialects.postgresql import JSONB

from iris_resources.db.schema import metadata

event_outbox = Table(
    "event_outbox",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("event_id", Uuid, nullable=False, unique=True),
    Column("event_type", String(64), nullable=False),
    Column("coin_id", Integer, nullable=False),
    Column("timeframe", SmallInteger, nullable=False),
    Column("timestamp", DateTime(timezone=True)),
    Column("payload", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("published_at", DateTime(timezone=True)),
    Column("attempts", Integer, nullable=False, server_default="0"),
    # The relay scans only what is still unpublished.
    Index("ix_event_outbox_unpublished", "id", postgresql_where=text("published_at IS NULL")),
)

# One row per data domain; every unit of work bumps the rows of the domains it wrote, in the same
# transaction (``iris_resources.events.versions``). The read API keys cached bodies by them.
data_versions = Table(
    "data_versions",
    metadata,
    Column("domain", String(32), primary_key=True),
    Column("version", BigInteger, nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
)
