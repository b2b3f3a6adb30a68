"""Dagster resources for the application database.

``DatabaseResource`` owns one SQLAlchemy engine per run process (created at setup, disposed at
teardown). ``TransactionResource`` hands out units of work: assets write with
``with transaction.begin() as uow: ... uow.commit()``, one transaction per asset body, so a failed
asset leaves nothing behind and Dagster never records a materialization for uncommitted data.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
from pydantic import Field, PrivateAttr
from sqlalchemy import Connection, Engine

from iris_resources.db.engine import create_db_engine
from iris_resources.db.uow import UnitOfWork
from iris_resources.events.resources import EventsResource


class DatabaseResource(dg.ConfigurableResource):
    """The IRIS application database (PostgreSQL via psycopg 3)."""

    url: str | None = Field(
        default=None,
        description="SQLAlchemy/libpq URL; unset = IRIS_DATABASE_URL or the running embedded server.",
    )
    pool_size: int = Field(default=4, description="Connections kept per run process.")
    statement_timeout_ms: int = Field(default=600_000, description="Per-statement timeout.")

    _engine: Engine | None = PrivateAttr(default=None)

    def resolved_url(self) -> str:
        """The URL actually used (explicit, external, or the embedded server's)."""
        if self.url:
            return self.url
        from iris_resources.services.runtime import resolve_urls
        from iris_resources.settings import get_settings

        return resolve_urls(get_settings()).database_url

    @property
    def engine(self) -> Engine:
        """The engine, created lazily outside a Dagster run (scripts, tests)."""
        if self._engine is None:
            self._engine = create_db_engine(
                self.resolved_url(), pool_size=self.pool_size, statement_timeout_ms=self.statement_timeout_ms
            )
        return self._engine

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        _ = self.engine

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only connection for query services (rolled back on exit, never committed)."""
        with self.engine.connect() as connection:
            try:
                yield connection
            finally:
                connection.rollback()


class TransactionResource(dg.ConfigurableResource):
    """Units of work over the application database; only their holders commit.

    With ``events`` set, events appended to the outbox are relayed to Redis right after each
    commit (best effort; the outbox sweep sensor delivers whatever that misses).
    """

    database: DatabaseResource
    events: EventsResource | None = None

    def begin(self, isolation_level: str | None = None) -> UnitOfWork:
        """A new unit of work; use as ``with transaction.begin() as uow:``.

        ``isolation_level="REPEATABLE READ"`` gives every statement of the unit one snapshot."""
        engine = self.database.engine
        events = self.events
        publisher = (lambda: events.relay(engine)) if events is not None else None
        return UnitOfWork(engine, publisher=publisher, isolation_level=isolation_level)
