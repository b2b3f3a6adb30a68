"""The API's connection pool: autocommit reads under the read-only role, with a statement timeout.

Every request statement is a read, so connections run in autocommit: one round trip per statement,
no BEGIN/ROLLBACK around it. Each new connection switches to the read role (``SET ROLE``) in the
pool's ``connect`` event, before any request can use it.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Engine, create_engine, event, text

from iris_api.settings import ApiSettings
from iris_resources.db.engine import sqlalchemy_url

LOGGER = logging.getLogger("iris.api")


class ReadRoleUnavailableError(RuntimeError):
    """The API cannot switch to its read-only role and writing is not allowed."""


def create_api_engine(url: str, settings: ApiSettings, *, pool_size: int | None = None,
                      overflow: int | None = None, statement_timeout_ms: int | None = None) -> Engine:
    """A pool sized by settings; connections assume the read role unless ``api_allow_write``."""
    timeout = statement_timeout_ms or settings.api_statement_timeout_ms
    # UTC sessions: timestamps come back as +00:00 and are sent as ``...Z`` whatever the server's zone.
    options = f"-c application_name=iris-api -c statement_timeout={timeout} -c timezone=UTC"
    engine = create_engine(
        sqlalchemy_url(url),
        isolation_level="AUTOCOMMIT",
        pool_size=pool_size or settings.api_pool_size,
        max_overflow=settings.api_pool_overflow if overflow is None else overflow,
        pool_timeout=settings.api_pool_timeout_s,
        pool_pre_ping=settings.api_pool_pre_ping,
        pool_recycle=settings.api_pool_recycle_s,
        connect_args={"options": options, "connect_timeout": settings.api_connect_timeout_s},
    )
    if not settings.api_allow_write:
        event.listen(engine, "connect", _read_role_listener(settings.api_read_role))
    return engine


def _read_role_listener(role: str) -> Any:
    statement = f'SET ROLE "{role}"'  # role name validated by ApiSettings' pattern

    def assume_read_role(dbapi_connection: Any, connection_record: Any) -> None:
        # Outside a transaction, so that the pool's reset (a rollback) cannot undo it.
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True
        try:
            with dbapi_connection.cursor() as cursor:
                cursor.execute(statement)
        finally:
            dbapi_connection.autocommit = autocommit

    return assume_read_role


def verify_read_role(engine: Engine, settings: ApiSettings) -> str:
    """The role API connections run as; raises ``ReadRoleUnavailableError`` when the read role
    cannot be assumed (and writing is not explicitly allowed)."""
    try:
        with engine.connect() as connection:
            role = str(connection.execute(text("SELECT current_user")).scalar_one())
    except Exception as exc:
        if settings.api_allow_write:
            raise
        raise ReadRoleUnavailableError(
            f"IRIS API refuses to start: it cannot switch to the read-only role {settings.api_read_role!r} "
            f"({type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}). "
            "Run the migrations (`alembic upgrade head` creates the role and grants it to the migrating user), "
            "or set IRIS_API_ALLOW_WRITE=true to run without it (development only)."
        ) from exc
    if settings.api_allow_write:
        LOGGER.warning("IRIS API runs WITHOUT the read-only role (IRIS_API_ALLOW_WRITE=true), as %s", role)
    return role
