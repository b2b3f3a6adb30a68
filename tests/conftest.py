"""Shared fixtures: real PostgreSQL and Redis, a fresh migrated database per test.

External mode: ``IRIS_DATABASE_URL`` / ``IRIS_REDIS_URL`` point at running servers (CI has them on
127.0.0.1). Embedded mode (neither set): each test process starts its own throwaway PostgreSQL and
Redis under a temporary directory. Either way every test gets its own database, cloned from a
migrated template, and drops it afterwards.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import Engine

from iris_resources.db.admin import drop_database, ensure_database
from iris_resources.db.engine import create_db_engine
from iris_resources.db.migrate import upgrade
from iris_resources.db.resources import DatabaseResource, TransactionResource
from iris_resources.services import embedded_postgres, embedded_redis
from iris_resources.services.runtime import with_database

REPO_ROOT = Path(__file__).resolve().parents[1]
MARKET_DATA_DIR = REPO_ROOT.parent / "shared" / "data" / "market"


@pytest.fixture(scope="session")
def services_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="iris-test-services-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def server_url(services_dir: Path) -> Iterator[str]:
    """A PostgreSQL server URL (database ``postgres``)."""
    external = os.environ.get("IRIS_DATABASE_URL")
    if external:
        yield with_database(external, "postgres")
        return
    handle = embedded_postgres.start(services_dir / "postgres", preferred_port=0)
    yield handle.url
    embedded_postgres.destroy(handle.pgdata)


@pytest.fixture(scope="session")
def redis_url(services_dir: Path) -> Iterator[str]:
    """A Redis URL; tests namespace their keys and streams."""
    external = os.environ.get("IRIS_REDIS_URL")
    if external:
        yield external
        return
    handle = embedded_redis.start(services_dir / "redis", preferred_port=0)
    yield handle.url
    embedded_redis.stop(handle.directory)


@pytest.fixture(scope="session")
def template_database(server_url: str) -> Iterator[str]:
    """A migrated database that every test database is cloned from."""
    url = with_database(server_url, f"iris_tpl_{uuid.uuid4().hex[:10]}")
    ensure_database(url)
    upgrade(url)
    yield url
    drop_database(url)


@pytest.fixture
def database_url(template_database: str) -> Iterator[str]:
    """A fresh, migrated, private database for one test."""
    from sqlalchemy.engine import make_url

    url = with_database(template_database, f"iris_test_{uuid.uuid4().hex[:12]}")
    ensure_database(url, template=make_url(template_database).database)
    yield url
    drop_database(url)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(database_url, pool_size=2)
    yield engine
    engine.dispose()


@pytest.fixture
def database(database_url: str) -> Iterator[DatabaseResource]:
    resource = DatabaseResource(url=database_url, pool_size=2)
    yield resource
    if resource._engine is not None:
        resource._engine.dispose()


@pytest.fixture
def transaction(database: DatabaseResource) -> TransactionResource:
    return TransactionResource(database=database)


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()
