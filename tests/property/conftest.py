"""Property-based bad-input tests: fixtures shared by the candle, file and API properties.

Hypothesis runs many examples inside one test function, so a function-scoped database is shared
by the examples of that test: every property states its expectation relative to what the database
held just before the example, never relative to an empty database.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from iris_api.app import create_app
from iris_api.settings import ApiSettings
from iris_resources.db.admin import drop_database, ensure_database
from iris_resources.db.resources import DatabaseResource, TransactionResource
from iris_resources.services.runtime import with_database
from iris_resources.sources.base import CoinSpec, SectorSpec

KNOWN_SYMBOL = "AAAUSD"


@pytest.fixture(scope="module")
def empty_api_database(template_database: str) -> Iterator[str]:
    """A migrated database holding one sector and one coin (no candles or products), for one module."""
    url = with_database(template_database, f"iris_prop_{uuid.uuid4().hex[:12]}")
    ensure_database(url, template=make_url(template_database).database)
    database = DatabaseResource(url=url, pool_size=1)
    try:
        with TransactionResource(database=database).begin() as uow:
            sector_ids = uow.coins.upsert_sectors([SectorSpec("layer1", "Layer 1")])
            uow.coins.upsert_coins([CoinSpec(KNOWN_SYMBOL, "Aaa", "layer1")], sector_ids, source="test")
            uow.commit()
    finally:
        database.engine.dispose()
    yield url
    drop_database(url)


@pytest.fixture(scope="module")
def api_client(empty_api_database: str, redis_url: str) -> Iterator[TestClient]:
    """The read API over that database; server errors come back as responses, not exceptions."""
    settings = ApiSettings(database_url=empty_api_database, redis_url=redis_url,
                           api_cache_prefix=f"iris:test:{uuid.uuid4().hex[:8]}")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client
