"""Dagster fixtures: one ephemeral instance per test process, resources on the test database."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import dagster as dg
import pytest

from iris_resources.db.resources import DatabaseResource, TransactionResource
from iris_resources.sources.balances import ExchangeBalancesResource
from iris_resources.sources.resource import CandleSourceResource


@pytest.fixture(scope="session")
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.DagsterInstance.ephemeral() as ephemeral:
        yield ephemeral


@pytest.fixture
def resources(database: DatabaseResource, transaction: TransactionResource) -> dict[str, Any]:
    return {
        "database": database,
        "transaction": transaction,
        "candle_source": CandleSourceResource(spec="synthetic", seed=3, n_coins=6),
        "exchange_balances": ExchangeBalancesResource(),
    }
