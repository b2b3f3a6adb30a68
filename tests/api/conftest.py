"""API fixtures: a database filled by really materializing the pipeline, one fresh copy per module.

The pipeline (every asset of ``iris_assets.definitions.ALL_ASSETS``: 6 synthetic coins, 5 days) is
materialized once per test process into a database cloned from the migrated template; each test
module then gets its own clone of that (a file-copy, well under a second), so modules may change
data without affecting one another. Anomalies are not produced by any asset yet, so a small,
deterministic set is written next to the pipeline's output.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import dagster as dg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, insert, select
from sqlalchemy.engine import make_url

from iris_api.app import create_app
from iris_api.settings import ApiSettings
from iris_assets.definitions import ALL_ASSETS
from iris_resources.anomalies.tables import market_anomalies
from iris_resources.db.admin import drop_database, ensure_database
from iris_resources.db.engine import create_db_engine
from iris_resources.db.resources import DatabaseResource, TransactionResource
from iris_resources.events.resources import EventsResource
from iris_resources.events.versions import DOMAINS, bump_data_versions
from iris_resources.market_data.tables import candle_aggregates, coins
from iris_resources.services.runtime import with_database
from iris_resources.sources.balances import ExchangeBalancesResource
from iris_resources.sources.resource import CandleSourceResource

FIRST_DAY, LAST_DAY = "2024-02-06", "2024-02-10"
N_COINS = 6
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
STATUSES = ("new", "active", "cooling", "resolved")
SEVERITIES = ("low", "medium", "high", "critical")
WRITES = ("INSERT", "UPDATE", "DELETE", "TRUNCATE")


def pipeline_phases(assets: list[dg.AssetsDefinition]) -> tuple[list[Any], list[Any], list[Any]]:
    """Unpartitioned roots (the universe), the daily-partitioned assets (one range run), and the
    unpartitioned "latest state" products downstream of them."""
    partitioned = [a for a in assets if a.partitions_def is not None]
    downstream = {key for a in partitioned for key in a.keys}
    grew = True
    while grew:
        grew = False
        for a in assets:
            upstream = {dep for deps in a.asset_deps.values() for dep in deps}
            if upstream & downstream and not set(a.keys) <= downstream:
                downstream |= set(a.keys)
                grew = True
    roots = [a for a in assets if a.partitions_def is None and not set(a.keys) & downstream]
    latest = [a for a in assets if a.partitions_def is None and set(a.keys) & downstream]
    return roots, partitioned, latest


def materialize_pipeline(database_url: str, redis_url: str) -> None:
    """Run every asset in-process against ``database_url``."""
    database = DatabaseResource(url=database_url, pool_size=2)
    resources = {
        "database": database,
        "transaction": TransactionResource(database=database),
        "events": EventsResource(redis_url=redis_url, stream=f"iris_api_test_{uuid.uuid4().hex[:8]}"),
        "candle_source": CandleSourceResource(spec="synthetic", seed=3, n_coins=N_COINS),
        "exchange_balances": ExchangeBalancesResource(),
    }
    roots, partitioned, latest = pipeline_phases(list(ALL_ASSETS))
    try:
        with dg.DagsterInstance.ephemeral() as instance:
            for assets, tags in ((roots, {}), (partitioned, {"dagster/asset_partition_range_start": FIRST_DAY,
                                                             "dagster/asset_partition_range_end": LAST_DAY}),
                                 (latest, {})):
                if assets:
                    result = dg.materialize(assets, resources=resources, instance=instance, run_config=QUIET,
                                            tags=tags)
                    assert result.success
    finally:
        if database._engine is not None:
            database._engine.dispose()


def seed_anomalies(engine: Engine) -> int:
    """Anomalies on 1h candles of every coin, cycling statuses and severities (no asset writes them yet)."""
    with engine.begin() as connection:
        listed = connection.execute(select(coins.c.id, coins.c.symbol).order_by(coins.c.id)).all()
        rows = []
        for n, (coin_id, symbol) in enumerate(listed):
            hours = connection.execute(
                select(candle_aggregates.c.timestamp)
                .where(candle_aggregates.c.coin_id == coin_id, candle_aggregates.c.timeframe == 60,
                       candle_aggregates.c.is_partial.is_(False))
                .order_by(candle_aggregates.c.timestamp.desc()).limit(40)
            ).scalars().all()
            for k, at in enumerate(hours[::5]):
                rows.append({
                    "coin_id": coin_id, "symbol": symbol, "timeframe": 60, "anomaly_type": f"probe_{k % 3}",
                    "severity": SEVERITIES[(n + k) % 4], "confidence": 0.5 + k / 40, "score": 0.4 + k / 50,
                    "status": STATUSES[(n + k) % 4], "detected_at": at, "window_start": at - timedelta(hours=24),
                    "window_end": at, "market_regime": "sideways_range", "sector": None,
                    "summary": f"{symbol} probe anomaly {k}", "payload_json": {"k": k, "nested": {"symbol": symbol}},
                    "cooldown_until": at + timedelta(hours=2), "last_confirmed_at": at, "resolved_at": None,
                    "source_pipeline": "test", "created_at": datetime.now(UTC), "updated_at": datetime.now(UTC),
                })
        connection.execute(insert(market_anomalies), rows)
    return len(rows)


@pytest.fixture(scope="session")
def pipeline_database(template_database: str, redis_url: str) -> Iterator[str]:
    """A database holding the materialized pipeline (built once per test process)."""
    url = with_database(template_database, f"iris_api_tpl_{uuid.uuid4().hex[:10]}")
    ensure_database(url, template=make_url(template_database).database)
    materialize_pipeline(url, redis_url)
    engine = create_db_engine(url, pool_size=1)
    try:
        seed_anomalies(engine)
    finally:
        engine.dispose()
    yield url
    drop_database(url)


@pytest.fixture(scope="module")
def api_database_url(pipeline_database: str) -> Iterator[str]:
    """A private copy of the pipeline database for one test module."""
    url = with_database(pipeline_database, f"iris_api_{uuid.uuid4().hex[:12]}")
    ensure_database(url, template=make_url(pipeline_database).database)
    yield url
    drop_database(url)


def bump_on_write(engine: Engine) -> None:
    """Make every INSERT/UPDATE/DELETE ``engine`` runs bump all data versions in its transaction, as a
    unit of work bumps the domains it writes (the API's cached list routes follow the versions)."""
    def bump(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if statement.lstrip()[:8].upper().startswith(WRITES) and "data_versions" not in statement:
            bump_data_versions(conn, DOMAINS)

    event.listen(engine, "after_cursor_execute", bump)


@pytest.fixture(scope="module")
def owner_engine(api_database_url: str) -> Iterator[Engine]:
    """The database owner's engine (to change data under the API's feet; its writes bump the data
    versions like a unit of work's)."""
    engine = create_db_engine(api_database_url, pool_size=1)
    bump_on_write(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def api_settings(api_database_url: str, redis_url: str) -> ApiSettings:
    """Settings of the API under test: the module's database, the test Redis, private cache keys."""
    # Versions re-read on every request: a test sees its own writes at once (the bound: test_http_cache).
    return ApiSettings(database_url=api_database_url, redis_url=redis_url,
                       api_cache_prefix=f"iris:test:{uuid.uuid4().hex[:8]}", api_version_max_age_ms=0)


@pytest.fixture(scope="module")
def client(api_settings: ApiSettings) -> Iterator[TestClient]:
    """The API, started (lifespan included) over the module's database."""
    with TestClient(create_app(api_settings)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def symbols(client: TestClient) -> list[str]:
    """The coin symbols, in the API's order."""
    return [c["symbol"] for c in client.get("/api/v1/coins").json()["data"]]


def database_name(url: str) -> str:
    """The database a URL names."""
    return str(make_url(url).database)
