"""Dagster fixtures: one ephemeral instance per test process, resources on the test database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import dagster as dg
import pytest

import iris_assets.parallel as parallel
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


@pytest.fixture
def worker_processes(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], list[int]]:
    """``use(n)`` makes steps compute with ``n`` workers (1 = inline), even for small runs; it returns
    the list that collects the worker count of every process pool started from then on."""

    def use(workers: int) -> list[int]:
        started: list[int] = []

        class CountingPool(ProcessPoolExecutor):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                started.append(kwargs.get("max_workers", 0))
                super().__init__(*args, **kwargs)

        monkeypatch.setattr(parallel, "worker_count", lambda: workers)
        monkeypatch.setattr(parallel, "MIN_PARALLEL_COIN_DAYS", 0)
        monkeypatch.setattr(parallel, "ProcessPoolExecutor", CountingPool)
        return started

    return use
