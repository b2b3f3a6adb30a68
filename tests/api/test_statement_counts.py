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
    ("/coins/metrics", "limit", (1, 500), 2),  # materialization, rows (cache disabled here)
    ("/coins/{symbol}/metrics", None, (0, 0), 2),  # coin, rows
    ("/coins/{symbol}/indicators", "limit", (1, 2000), 2),  # coin, rows
    ("/signals", "limit", (1, 500), 1),
    ("/coins/{symbol}/signals", "limit", (1, 500), 2),  # coin, signals
    ("/market/radar", "limit", (1, 24), 1),  # payload (cache disabled here)
    ("/market/flow", "limit", (1, 24), 1),
    ("/anomalies", "limit", (1, 500), 1),
    ("/anomalies/{anomaly_id}", None, (0, 0), 1),
    ("/coins/{symbol}/chart", "limit", (10, 1000), 7),  # coin, candles, SMAs, signals, anomalies, patterns, decisions
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
    ("/patterns", "limit", (1, 500), 1),  # statistics included
    ("/patterns/bull_flag", None, (0, 0), 1),
    ("/coins/{symbol}/patterns", "limit", (1, 500), 2),  # coin, signals (cycle phase and clusters included)
    ("/coins/{symbol}/signal-history", "limit", (1, 500), 2),  # coin, outcomes
    ("/coins/{symbol}/regime", None, (0, 0), 2),  # coin, regimes (newest change included)
    ("/market/regimes", "limit", (1, 500), 1),
    ("/market/cycle", "limit", (1, 500), 1),
    ("/sectors", "limit", (1, 500), 1),
    ("/sectors/metrics", "limit", (1, 500), 1),  # narratives included
    ("/sectors/rotations", "limit", (1, 500), 1),
    ("/relations", "limit", (1, 500), 1),
    ("/coins/{symbol}/relations", None, (0, 0), 2),  # coin, both roles
    ("/market/leaders", "limit", (1, 500), 1),
    ("/predictions", None, (0, 0), 1),  # page sizes and by id: tests/api/test_prediction_routes.py
    ("/predictions/quality", None, (0, 0), 1),  # coin symbols included
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


# Cached routes: (path, statements of a miss besides the data-version read).
CACHED = [("/coins?limit=3", 1), ("/coins/{symbol}/history?interval=1h&limit=5", 2), ("/coins/metrics?limit=3", 2),
          ("/coins/{symbol}/metrics", 2), ("/coins/{symbol}/indicators?interval=4h&limit=3", 2),
          ("/signals?limit=3", 1), ("/anomalies?limit=3", 1), ("/market/radar?limit=3", 1),
          ("/market/flow?limit=3", 1), ("/decisions?limit=3", 1), ("/final-signals/top?limit=3", 1),
          ("/market-decisions?limit=3", 1), ("/portfolio/state", 1), ("/coins/{symbol}/patterns?limit=3", 2)]


@pytest.fixture(scope="module")
def cached_client(api_settings: ApiSettings) -> Iterator[TestClient]:
    """The API with its cache, trusting the data versions it read for a minute."""
    with TestClient(create_app(api_settings.model_copy(update={"api_version_max_age_ms": 60_000}))) as test_client:
        yield test_client


@pytest.mark.parametrize(("path", "statements"), CACHED, ids=[c[0] for c in CACHED])
def test_a_cache_miss_runs_a_fixed_number_of_statements_and_a_hit_none(
    cached_client: TestClient, symbols: list[str], path: str, statements: int
) -> None:
    url = PREFIX + path.replace("{symbol}", symbols[1])
    cached_client.app.state.runtime.versions.expire()
    with counting(cached_client) as cold:
        first = cached_client.get(url)
    with counting(cached_client) as warm:
        second = cached_client.get(url)
    assert first.status_code == second.status_code == 200
    assert (len(cold), len(warm)) == (1 + statements, 0)  # versions + the route's own; then nothing
    assert first.headers["etag"] == second.headers["etag"]
    volatile = ("generated_at", "staleness_ms", "freshness_class")
    assert {k: v for k, v in first.json().items() if k not in volatile} == {
        k: v for k, v in second.json().items() if k not in volatile}
