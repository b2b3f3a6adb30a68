"""Each route runs a fixed number of SQL statements, whatever the page size (no N+1)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event

from iris_api.app import create_app
from iris_api.settings import ApiSettings

PREFIX = "/api/v1"
# (path, parameter that sizes the page, small and large sizes, statements)
ROUTES = [
    ("/coins", "limit", (1, 500), 1),
    ("/coins/{symbol}/history", "limit", (1, 5000), 2),  # coin, candles
    ("/coins/metrics", "limit", (1, 500), 2),  # version, rows (cache disabled here)
    ("/coins/{symbol}/metrics", None, (0, 0), 2),  # coin, rows
    ("/coins/{symbol}/indicators", "limit", (1, 2000), 2),  # coin, rows
    ("/signals", "limit", (1, 500), 1),
    ("/coins/{symbol}/signals", "limit", (1, 500), 2),  # coin, signals
    ("/market/radar", "limit", (1, 24), 2),  # version, payload (cache disabled here)
    ("/market/flow", "limit", (1, 24), 2),
    ("/anomalies", "limit", (1, 500), 1),
    ("/anomalies/{anomaly_id}", None, (0, 0), 1),
    ("/coins/{symbol}/chart", "limit", (10, 1000), 5),  # coin, candles, SMAs, signals, anomalies
    ("/decisions", "limit", (1, 500), 1),
    ("/decisions/top", "limit", (1, 200), 1),
    ("/coins/{symbol}/decision", None, (0, 0), 2),  # coin, rows
    ("/final-signals", "limit", (1, 500), 1),
    ("/final-signals/top", "limit", (1, 200), 1),
    ("/coins/{symbol}/final-signal", None, (0, 0), 2),
    ("/market-decisions", "limit", (1, 500), 1),
    ("/market-decisions/top", "limit", (1, 200), 1),
    ("/coins/{symbol}/market-decision", None, (0, 0), 2),
    ("/coins/{symbol}/decisions/history", "limit", (1, 500), 2),  # coin, rows
    ("/backtests", "limit", (1, 500), 1),  # rows and the stored lookbacks together
    ("/backtests/top", "limit", (1, 200), 1),
    ("/coins/{symbol}/backtests", "limit", (1, 200), 2),
    ("/strategies", "limit", (1, 500), 1),  # rules and newest performance included
    ("/strategies/performance", "limit", (1, 500), 1),
    ("/portfolio/state", None, (0, 0), 1),  # account resolution included
    ("/portfolio/positions", None, (0, 0), 1),  # page sizes: tests/api/test_portfolio_routes.py
    ("/portfolio/actions", None, (0, 0), 1),
    ("/portfolio/equity", None, (0, 0), 1),
    ("/portfolio/accounts", None, (0, 0), 1),
    ("/portfolio/balances", None, (0, 0), 1),
    ("/health", None, (0, 0), 1),
]


@contextmanager
def counting(client: TestClient) -> Iterator[list[str]]:
    """The SQL statements the API runs inside the block (its pool and its event-loop connection)."""
    statements: list[str] = []
    runtime = client.app.state.runtime

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        statements.append(statement)

    engines: tuple[Engine, ...] = (runtime.engine, runtime.loop_engine)
    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)


@pytest.fixture(scope="module")
def uncached_client(api_settings: ApiSettings) -> Iterator[TestClient]:
    """The API without its Redis cache: hot routes run their database path every time."""
    with TestClient(create_app(api_settings.model_copy(update={"api_cache_enabled": False}))) as test_client:
        yield test_client


@pytest.mark.parametrize(("path", "size", "sizes", "expected"), ROUTES, ids=[r[0] for r in ROUTES])
def test_statement_count_does_not_grow_with_the_page(
    uncached_client: TestClient, symbols: list[str], path: str, size: str | None, sizes: tuple[int, int],
    expected: int,
) -> None:
    anomaly = uncached_client.get(f"{PREFIX}/anomalies", params={"limit": 1}).json()["data"][0]["id"]
    url = PREFIX + path.replace("{symbol}", symbols[0]).replace("{anomaly_id}", str(anomaly))
    counts, lengths = [], []
    for n in sizes:
        with counting(uncached_client) as statements:
            response = uncached_client.get(url, params={size: n} if size else {})
        assert response.status_code == 200, response.text
        counts.append(len(statements))
        lengths.append(len(response.content))
    assert counts == [expected, expected]
    if size and path != "/coins/{symbol}/chart":
        assert lengths[1] > lengths[0]  # the large page really is larger


def test_a_cached_hot_route_runs_one_statement(client: TestClient) -> None:
    for path in ("/market/radar?limit=3", "/market/flow?limit=3", "/coins/metrics?limit=3"):
        with counting(client) as cold:
            first = client.get(PREFIX + path)
        with counting(client) as warm:
            second = client.get(PREFIX + path)
        assert (len(cold), len(warm)) == (2, 1), path
        assert first.content == second.content
