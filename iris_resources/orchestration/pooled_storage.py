"""dagster-postgres instance storage that keeps a connection per process instead of one per event.

``dagster-postgres`` opens its engines with ``NullPool``: every event written (step start, each
partition's planned and done materialization, every captured-log notice) connects to PostgreSQL
anew, and the server forks a backend for it. A 31-day backfill run writes a few thousand events, so
connecting cost more than the events: 2,450 connections (10 s in the bench process alone) for a
three-coin, two-range backfill. Here the event-log and run storages hold one connection per process
(a few more under concurrent threads), checked with a ping before use so a restarted server costs a
reconnect, not a failed run. Everything else is dagster-postgres' own storage, schema and config.

Configure it as the instance's ``storage: custom:`` (``iris_resources.orchestration.instance``).
"""

from __future__ import annotations

import os
from typing import Any

import sqlalchemy
from dagster._serdes import ConfigurableClassData
from dagster_postgres import (
    DagsterPostgresStorage,
    PostgresEventLogStorage,
    PostgresRunStorage,
    PostgresScheduleStorage,
)
from dagster_postgres.utils import create_pg_engine, get_token_provider_from_config, pg_url_from_config
from sqlalchemy import event, exc

# One connection per process serves the executor's single writer thread; the overflow covers the
# run monitor and log-watching threads of the daemon and webserver.
POOL_SIZE = 1
MAX_OVERFLOW = 4
# Reconnect well before a proxy or firewall would drop an idle connection.
POOL_RECYCLE_SECONDS = 600


def pooled_engine(postgres_url: str, token_provider: Any = None) -> sqlalchemy.Engine:
    """An autocommit engine with a small pool, pinged before use and never shared across a fork."""
    engine = create_pg_engine(postgres_url, token_provider, isolation_level="AUTOCOMMIT", pool_size=POOL_SIZE,
                              max_overflow=MAX_OVERFLOW, pool_recycle=POOL_RECYCLE_SECONDS, pool_pre_ping=True)

    # SQLAlchemy's recipe for pools in forked processes: a child never uses its parent's sockets.
    @event.listens_for(engine, "connect")
    def _remember_process(dbapi_connection: Any, connection_record: Any) -> None:
        connection_record.info["pid"] = os.getpid()

    @event.listens_for(engine, "checkout")
    def _refuse_foreign_process(dbapi_connection: Any, connection_record: Any, connection_proxy: Any) -> None:
        if connection_record.info.get("pid") != os.getpid():
            connection_record.dbapi_connection = connection_proxy.dbapi_connection = None
            raise exc.DisconnectionError("connection opened by another process")

    return engine


class _KeptConnections:
    """Mixed in before a dagster-postgres storage class: its ``NullPool`` engine becomes a
    :func:`pooled_engine` (dagster-postgres reads ``_engine`` in every ``_connect()``, pinned version),
    closed when the storage is disposed."""

    _engine: sqlalchemy.Engine

    def __init__(self, postgres_url: str, should_autocreate_tables: bool = True,
                 inst_data: ConfigurableClassData | None = None, token_provider: Any = None) -> None:
        super().__init__(postgres_url, should_autocreate_tables, inst_data, token_provider)  # type: ignore[call-arg]
        self._engine.dispose()
        self._engine = pooled_engine(postgres_url, token_provider)

    def dispose(self) -> None:
        """What the storage disposes of, then the kept connections."""
        super().dispose()  # type: ignore[misc]
        self._engine.dispose()


class PooledPostgresEventLogStorage(_KeptConnections, PostgresEventLogStorage):
    """dagster-postgres' event log over :func:`pooled_engine`."""


class PooledPostgresRunStorage(_KeptConnections, PostgresRunStorage):
    """dagster-postgres' run storage over :func:`pooled_engine`."""


class PooledPostgresStorage(DagsterPostgresStorage):
    """``DagsterPostgresStorage`` whose event log and run storage keep their connections (see module)."""

    def __init__(self, postgres_url: str, should_autocreate_tables: bool = True,
                 inst_data: ConfigurableClassData | None = None, token_provider: Any = None) -> None:
        # DagsterPostgresStorage.__init__ with the pooled event log and run storage in place of its own.
        self.postgres_url = postgres_url
        self.should_autocreate_tables = should_autocreate_tables
        self._inst_data = inst_data
        self._run_storage = PooledPostgresRunStorage(postgres_url, should_autocreate_tables,
                                                     token_provider=token_provider)
        self._event_log_storage = PooledPostgresEventLogStorage(postgres_url, should_autocreate_tables,
                                                                token_provider=token_provider)
        self._schedule_storage = PostgresScheduleStorage(postgres_url, should_autocreate_tables,
                                                         token_provider=token_provider)
        super(DagsterPostgresStorage, self).__init__()  # what DagsterPostgresStorage.__init__ ends with

    def dispose(self) -> None:
        """Close every storage's connections (an instance disposes them one by one; this is for direct use)."""
        for storage in (self._event_log_storage, self._run_storage, self._schedule_storage):
            storage.dispose()

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData | None,
                          config_value: Any) -> PooledPostgresStorage:
        """The storage for a ``dagster.yaml`` ``storage: custom:`` block (dagster-postgres' config schema)."""
        return cls(inst_data=inst_data, postgres_url=pg_url_from_config(config_value),
                   should_autocreate_tables=config_value.get("should_autocreate_tables", True),
                   token_provider=get_token_provider_from_config(config_value))
