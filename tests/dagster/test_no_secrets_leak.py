"""No configured secret reaches a log line, a Dagster event, materialization metadata, the run
record, the Dagster UI's view of the resources, or an event in the outbox.

The slice runs the way a deployment does: ``IRIS_DATABASE_URL`` carries a password (a login role
created for the test), ``IRIS_REDIS_URL`` a password Redis refuses (so the relay's failure path is
exercised too), and an exchange account reads its keys from an environment variable. Resources
come from ``build_resources`` — the code location's own wiring — not from test doubles.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import dagster as dg
import pytest
from dagster._core.remote_representation.external_data import RepositorySnap
from dagster._serdes import serialize_value
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from iris_assets.market_data.assets.aggregates import candle_aggregates
from iris_assets.market_data.assets.candles import candles
from iris_assets.market_data.assets.universe import coins
from iris_assets.portfolio.assets.balances import portfolio_balances
from iris_assets.resources import build_resources
from iris_resources.db.engine import create_db_engine
from iris_resources.db.persistence_log import JsonFormatter
from iris_resources.db.resources import TransactionResource
from iris_resources.events.tables import event_outbox
from iris_resources.settings import IrisSettings, get_settings

DAY = "2024-03-05"
CREDENTIALS_VAR = "IRIS_TEST_EXCHANGE_CREDENTIALS"


@dataclass(frozen=True)
class Secrets:
    database_password: str
    redis_password: str
    api_key: str
    api_secret: str

    def values(self) -> tuple[str, ...]:
        return self.database_password, self.redis_password, self.api_key, self.api_secret


@pytest.fixture
def password_role(database_url: str) -> Iterator[tuple[str, str]]:
    """A login role with a password that can use the test database (member of its owner)."""
    role, password = f"iris_secret_{uuid.uuid4().hex[:10]}", f"pw-{uuid.uuid4().hex}"
    admin = create_db_engine(database_url, pool_size=1)
    try:
        with admin.begin() as connection:
            owner = connection.execute(text("SELECT current_user")).scalar_one()
            connection.exec_driver_sql(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
            connection.exec_driver_sql(f'GRANT "{owner}" TO {role}')
        yield role, password
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f"DROP ROLE IF EXISTS {role}")
        admin.dispose()


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch, database_url: str, redis_url: str,
            password_role: tuple[str, str]) -> Iterator[Secrets]:
    """The environment of a deployment with secrets, read through ``get_settings`` as in production."""
    role, password = password_role
    configured = Secrets(password, f"redis-{uuid.uuid4().hex}", f"key-{uuid.uuid4().hex}", f"sec-{uuid.uuid4().hex}")
    url = make_url(database_url).set(username=role, password=password).render_as_string(hide_password=False)
    redis_with_password = make_url(redis_url).set(username="iris", password=configured.redis_password)
    monkeypatch.setenv("IRIS_DATABASE_URL", url)
    monkeypatch.setenv("IRIS_REDIS_URL", redis_with_password.render_as_string(hide_password=False))
    monkeypatch.setenv("IRIS_SYNTHETIC_COINS", "3")
    monkeypatch.setenv(CREDENTIALS_VAR, json.dumps({"apiKey": configured.api_key, "secret": configured.api_secret}))
    get_settings.cache_clear()
    yield configured
    get_settings.cache_clear()


def _record_text(record: logging.LogRecord) -> str:
    """Everything a handler could write: message, structured fields, exception, every attribute."""
    return JsonFormatter().format(record) + repr(record.__dict__)


def _run_slice(instance: dg.DagsterInstance, resources: dict[str, Any]) -> list[dg.ExecuteInProcessResult]:
    with resources["transaction"].begin() as uow:
        uow.portfolio.register_exchange_account("iris_no_such_exchange", "main", f"env:{CREDENTIALS_VAR}")
        uow.commit()
    debug = {"loggers": {"console": {"config": {"log_level": "DEBUG"}}}}
    return [
        dg.materialize([coins], resources=resources, instance=instance, run_config=debug),
        dg.materialize([candles, candle_aggregates], resources=resources, instance=instance, partition_key=DAY,
                       run_config=debug),
        dg.materialize([portfolio_balances], resources=resources, instance=instance, run_config=debug),
    ]


def test_a_pipeline_slice_with_secrets_configured_leaks_none_of_them(
    secrets: Secrets, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    resources = build_resources(IrisSettings())
    assert resources["database"].resolved_url().count(secrets.database_password) == 1  # really configured
    with caplog.at_level(logging.DEBUG), dg.DagsterInstance.ephemeral() as instance:
        results = _run_slice(instance, resources)
        assert all(result.success for result in results)
        runs = [instance.get_run_by_id(result.run_id) for result in results]
        event_log = [serialize_value(entry) for result in results for entry in instance.all_logs(result.run_id)]
    engine = resources["database"].engine
    try:
        with engine.connect() as connection:
            outbox = [json.dumps(row._asdict(), default=str) for row in connection.execute(select(event_outbox))]
    finally:
        engine.dispose()
    metadata = [repr(event.materialization.metadata)
                for result in results for event in result.get_asset_materialization_events()]
    ui_view = serialize_value(RepositorySnap.from_def(dg.Definitions(
        assets=[coins, candles, candle_aggregates, portfolio_balances], resources=resources).get_repository_def()))

    captured = capfd.readouterr()
    sources = {
        "log records": "\n".join(_record_text(r) for r in caplog.records),
        "dagster event log": "\n".join(event_log),
        "run records": "\n".join(serialize_value(run) for run in runs if run is not None),
        "materialization metadata": "\n".join(metadata),
        "event_outbox": "\n".join(outbox),
        "resource config shown in the UI": ui_view,
        "stdout/stderr": captured.out + captured.err,
    }
    # The slice did real work through all of it (else the assertions below prove nothing).
    assert "candle_closed" in sources["event_outbox"]
    assert "balance sync skipped" in sources["dagster event log"]  # the credentials were read, then refused
    assert "events.relay_failed" in sources["log records"]  # Redis refused the password
    assert "repo.upsert_candles" in sources["log records"]
    leaks = [f"{name} contain {value[:6]}…" for name, blob in sources.items() for value in secrets.values()
             if value in blob]
    assert leaks == []


def test_a_failing_connection_does_not_put_the_password_in_the_failure(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    password = f"pw-{uuid.uuid4().hex}"
    monkeypatch.setenv("IRIS_DATABASE_URL", f"postgresql://iris:{password}@127.0.0.1:9/iris")  # nothing listens
    monkeypatch.setenv("IRIS_REDIS_URL", f"redis://iris:{password}@127.0.0.1:9/0")
    get_settings.cache_clear()
    try:
        resources = build_resources(IrisSettings())
        assert isinstance(resources["transaction"], TransactionResource)
        with caplog.at_level(logging.DEBUG), dg.DagsterInstance.ephemeral() as instance:
            result = dg.materialize([coins], resources=resources, instance=instance, raise_on_error=False)
            event_log = "\n".join(serialize_value(entry) for entry in instance.all_logs(result.run_id))
    finally:
        get_settings.cache_clear()
    assert not result.success
    assert "127.0.0.1" in event_log  # the failure names the server…
    assert password not in event_log  # …but not the password
    assert password not in "\n".join(_record_text(r) for r in caplog.records)
