"""The API reads through ``iris_api_reader``: it cannot write, and it will not start without it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.exc import ProgrammingError

from iris_api.app import create_app
from iris_api.database import ReadRoleUnavailableError
from iris_api.settings import READ_ROLE, ApiSettings


def test_api_connections_run_as_the_read_role(client: TestClient) -> None:
    for engine in (client.app.state.runtime.engine, client.app.state.runtime.loop_engine):
        with engine.connect() as connection:
            assert connection.execute(text("SELECT current_user")).scalar_one() == READ_ROLE
            assert connection.execute(text("SELECT count(*) FROM coins")).scalar_one() == 6


@pytest.mark.parametrize("statement", [
    "INSERT INTO sectors (code, name) VALUES ('hacked', 'Hacked')",
    "UPDATE coins SET name = 'hacked'",
    "DELETE FROM market_anomalies",
    "TRUNCATE candles",
    "CREATE TABLE intruder (id int)",
])
def test_the_api_connection_cannot_write(client: TestClient, statement: str) -> None:
    engine: Engine = client.app.state.runtime.engine
    with engine.connect() as connection, pytest.raises(ProgrammingError) as failure:
        connection.execute(text(statement))
    assert failure.value.orig is not None and failure.value.orig.sqlstate == "42501"  # insufficient_privilege


def test_a_pool_reset_does_not_drop_the_role(client: TestClient) -> None:
    engine: Engine = client.app.state.runtime.engine
    for _ in range(3):  # the same pooled connection, returned and checked out again
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
            assert connection.exec_driver_sql("SELECT current_user").scalar_one() == READ_ROLE


def test_tables_created_after_the_migration_are_readable(client: TestClient, owner_engine: Engine) -> None:
    with owner_engine.begin() as connection:
        connection.execute(text("CREATE TABLE later_product (id int)"))
        connection.execute(text("INSERT INTO later_product VALUES (1)"))
    with client.app.state.runtime.engine.connect() as connection:
        assert connection.execute(text("SELECT id FROM later_product")).scalar_one() == 1


def test_the_api_refuses_to_start_without_its_role(api_settings: ApiSettings) -> None:
    missing = api_settings.model_copy(update={"api_read_role": "iris_no_such_role"})
    with pytest.raises(ReadRoleUnavailableError, match="IRIS_API_ALLOW_WRITE"), TestClient(create_app(missing)):
        pass


def test_allow_write_starts_without_the_role(api_settings: ApiSettings) -> None:
    unsafe = api_settings.model_copy(update={"api_read_role": "iris_no_such_role", "api_allow_write": True})
    with TestClient(create_app(unsafe)) as client:
        assert client.get("/api/v1/coins").status_code == 200
        with client.app.state.runtime.engine.connect() as connection:
            assert connection.execute(text("SELECT current_user")).scalar_one() != "iris_no_such_role"


def test_the_role_cannot_log_in_and_exists_once(owner_engine: Engine) -> None:
    with owner_engine.connect() as connection:
        rows = connection.execute(text("SELECT rolcanlogin, rolsuper FROM pg_roles WHERE rolname = :r"),
                                  {"r": READ_ROLE}).all()
    assert rows == [(False, False)]


def test_statements_are_cut_off_by_the_timeout(api_settings: ApiSettings) -> None:
    from sqlalchemy.exc import OperationalError

    from iris_api.database import create_api_engine

    engine = create_api_engine(str(api_settings.database_url.get_secret_value()),  # type: ignore[union-attr]
                               api_settings.model_copy(update={"api_statement_timeout_ms": 200}))
    try:
        with engine.connect() as connection, pytest.raises(OperationalError, match="statement timeout"):
            connection.execute(text("SELECT pg_sleep(5)"))
    finally:
        engine.dispose()


def test_the_role_migration_reverts_and_reapplies(database_url: str) -> None:
    """Down to before the role and up again on a fresh database: the grants go and come back, and
    re-creating an existing (cluster-wide) role is harmless."""
    from alembic import command

    from iris_resources.db.engine import create_db_engine
    from iris_resources.db.migrate import alembic_config, upgrade

    def can_read() -> bool:
        engine = create_db_engine(database_url, pool_size=1)
        try:
            with engine.connect() as connection:
                return bool(connection.execute(text(  # the role itself may be gone: it is cluster-wide
                    "SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :r) "
                    "THEN has_table_privilege(:r, 'coins', 'SELECT') ELSE false END"), {"r": READ_ROLE}).scalar_one())
        finally:
            engine.dispose()

    assert can_read()
    command.downgrade(alembic_config(database_url), "0003_event_outbox")
    assert not can_read()
    upgrade(database_url)
    assert can_read()
