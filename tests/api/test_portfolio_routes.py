"""Portfolio routes over the pipeline database, then over a small deterministic ledger written here.

The first test runs on whatever the pipeline left in the portfolio tables (a simulated paper ledger, or
nothing) and holds either way; the second empties the tables and runs the same checks. The ``ledger``
fixture then writes a known set: two paper accounts (the disabled one is older, so the default must skip
it), an exchange account with balances and a credentials reference that must never show, positions,
actions, equity points and a state.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, insert, select

from iris_api.app import create_app
from iris_api.settings import ApiSettings
from iris_resources.market_data.tables import coins
from iris_resources.portfolio.tables import (
    portfolio_accounts,
    portfolio_actions,
    portfolio_balances,
    portfolio_equity,
    portfolio_positions,
    portfolio_state,
)
from iris_resources.signals.tables import final_signals
from tests.api.openapi_schema import response_schema, validate
from tests.api.test_statement_counts import counting

PREFIX = "/api/v1"
T0 = datetime(2024, 2, 8, tzinfo=UTC)
ROUTES = ["/portfolio/state", "/portfolio/positions", "/portfolio/actions", "/portfolio/equity",
          "/portfolio/accounts", "/portfolio/balances"]
SECRET = "env:IRIS_TEST_EXCHANGE_KEYS"
TABLES = (portfolio_actions, portfolio_positions, portfolio_equity, portfolio_state, portfolio_balances,
          portfolio_accounts)


@dataclass(frozen=True)
class Ledger:
    """Ids and expectations of the seeded portfolio."""

    paper_id: int
    archive_id: int
    exchange_id: int
    coin_ids: list[int]
    symbols: list[str]
    sector_ids: list[int]  # two distinct sectors of the seeded coins


def _check(client: TestClient, path: str, response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    document = client.app.openapi()
    body: dict[str, Any] = response.json()
    assert validate(body, response_schema(document, PREFIX + path, 200), document) == []
    assert "credentials_ref" not in response.text and "env:" not in response.text
    return body


def _consistent(client: TestClient) -> dict[str, Any]:
    """Every route answers 200 with its schema, and the answers agree with one another."""
    state = _check(client, "/portfolio/state", client.get(f"{PREFIX}/portfolio/state"))
    accounts = _check(client, "/portfolio/accounts", client.get(f"{PREFIX}/portfolio/accounts"))["data"]
    positions = _check(client, "/portfolio/positions", client.get(f"{PREFIX}/portfolio/positions",
                                                                    params={"limit": 500}))
    for path in ("/portfolio/actions", "/portfolio/equity", "/portfolio/balances"):
        assert _check(client, path, client.get(PREFIX + path))["account"] == state["account"]
    default = [a for a in accounts if a["is_default"]]
    if state["account"] is None:  # no paper account: zeros and empty lists
        assert default == [] and state["equity"] == state["capital"] == 0 and state["exposure_by_sector"] == []
        assert positions["data"] == [] and positions["account"] is None
    else:
        assert default == [state["account"]] and state["account"]["kind"] == "paper"
        assert positions["account"] == state["account"]
        if positions["next_cursor"] is None:
            assert state["open_positions"] == positions["count"]
        assert state["equity"] == pytest.approx(state["capital"] + state["realized_pnl"] + state["unrealized_pnl"])
    return state


def test_routes_answer_on_the_pipeline_tables_empty_or_filled(client: TestClient) -> None:
    _consistent(client)


def test_routes_answer_when_the_portfolio_tables_are_empty(client: TestClient, owner_engine: Engine) -> None:
    with owner_engine.begin() as connection:
        for table in TABLES:
            connection.execute(delete(table))
    state = _consistent(client)
    assert state["account"] is None and state["as_of"] is None and state["staleness_ms"] is None
    assert client.get(f"{PREFIX}/portfolio/accounts").json()["data"] == []


def seed_ledger(engine: Engine) -> Ledger:
    """Replace every portfolio row with a known set; returns its ids."""
    with engine.begin() as connection:
        for table in TABLES:
            connection.execute(delete(table))
        listed = connection.execute(select(coins.c.id, coins.c.symbol, coins.c.sector_id)
                                    .where(coins.c.deleted_at.is_(None)).order_by(coins.c.id).limit(3)).all()
        coin_ids, symbols, coin_sectors = [r[0] for r in listed], [r[1] for r in listed], [r[2] for r in listed]
        sector_ids = sorted(set(coin_sectors))[:2]
        assert len(sector_ids) == 2

        def account(kind: str, exchange: str, name: str, capital: float, enabled: bool, ref: str | None) -> int:
            return int(connection.execute(insert(portfolio_accounts).values(
                kind=kind, exchange_name=exchange, account_name=name, starting_capital=capital, enabled=enabled,
                credentials_ref=ref).returning(portfolio_accounts.c.id)).scalar_one())

        archive = account("paper", "paper", "api-test-archive", 5_000.0, False, None)
        paper = account("paper", "paper", "api-test-main", 100_000.0, True, None)
        exchange = account("exchange", "binance", "api-test-trading", 0.0, True, SECRET)
        positions = []
        for k in range(6):  # coin k % 3, timeframes 60/240; the first four open
            coin, timeframe, opened = coin_ids[k % 3], (60, 240)[k // 3], T0 + timedelta(hours=5 * k)
            is_open = k < 4
            positions.append({
                "account_id": paper, "position_id": k + 1, "coin_id": coin, "timeframe": timeframe,
                "sector_id": coin_sectors[k % 3], "opened_at": opened,
                "status": "open" if is_open else "closed", "units": 2.0 if is_open else 0.0,
                "entry_price": 100.0 + k, "cost_basis": 200.0 + 2 * k, "stop_loss": 90.0 + k if k != 1 else None,
                "take_profit": 130.0 + k, "closed_at": None if is_open else opened + timedelta(hours=3),
                "realized_pnl": 0.0 if is_open else 5.0 * k, "last_price": 104.0 + k,
                "market_value": (2.0 if is_open else 0.0) * (104.0 + k), "unrealized_pnl": 8.0 if is_open else 0.0,
            })
        connection.execute(insert(portfolio_positions), positions)
        actions = [{
            "account_id": paper, "sequence": n + 1, "executed_at": T0 + timedelta(hours=2 * n),
            "position_id": n % 3 + 1, "coin_id": coin_ids[n % 3], "timeframe": 60,
            "action": ("OPEN_POSITION", "CLOSE_POSITION")[n % 2],
            "reason": "signal", "decision": ("BUY", "SELL")[n % 2], "decision_timestamp": T0 + timedelta(hours=2 * n),
            "confidence": 0.5 + n / 100, "units": 1.0 + n, "price": 100.0 + n, "notional": (1.0 + n) * (100.0 + n),
            "fee": 0.0, "realized_pnl": float(n % 2), "position_units_after": 0.0 if n % 2 else 1.0 + n,
            "position_entry_after": None if n % 2 else 100.0 + n, "stop_loss": None, "take_profit": None,
        } for n in range(9)]
        actions.append({**actions[0], "account_id": archive, "sequence": 1, "units": 99.0})
        connection.execute(insert(portfolio_actions), actions)
        connection.execute(insert(portfolio_equity), [{
            "account_id": paper, "timestamp": T0 + timedelta(hours=h), "cash": 100_000.0 - 10 * h,
            "allocated": 10.0 * h,
            "realized_pnl": float(h), "unrealized_pnl": 2.0 * h, "equity": 100_000.0 + 3.0 * h,
            "drawdown": -0.001 * (h % 4),
        } for h in range(30)])
        connection.execute(insert(portfolio_state), [{
            "account_id": paper, "as_of": T0 + timedelta(hours=29), "capital": 100_000.0, "realized_pnl": 29.0,
            "unrealized_pnl": 32.0, "allocated": 824.0, "available": 99_205.0, "equity": 100_061.0,
            "open_positions": 4,
            "exposure_by_sector": {str(sector_ids[0]): 0.004, str(sector_ids[1]): 0.006, "999999": 0.001},
            "updated_at": T0 + timedelta(days=1),
        }])
        connection.execute(insert(portfolio_balances), [
            {"account_id": exchange, "symbol": symbol, "coin_id": coin_id, "balance": 1.5 * (n + 1),
             "value_usd": 1000.0 * (n + 1), "updated_at": T0}
            for n, (symbol, coin_id) in enumerate([*zip(symbols, coin_ids, strict=True), ("USDT", None)])
        ])
    return Ledger(paper, archive, exchange, coin_ids, symbols, sector_ids)


@pytest.fixture(scope="module")
def ledger(owner_engine: Engine) -> Ledger:
    """The known portfolio (replacing whatever the pipeline wrote)."""
    return seed_ledger(owner_engine)


@pytest.fixture(scope="module")
def uncached_client(api_settings: ApiSettings) -> Iterator[TestClient]:
    """The API without its Redis cache."""
    with TestClient(create_app(api_settings.model_copy(update={"api_cache_enabled": False}))) as test_client:
        yield test_client


@pytest.mark.parametrize("path", ROUTES)
def test_every_route_answers_with_its_documented_schema(client: TestClient, ledger: Ledger, path: str) -> None:
    response = client.get(PREFIX + path)
    body = _check(client, path, response)
    assert {"generated_at", "staleness_ms", "freshness_class", "consistency", "source_run_id"} <= set(body)
    assert response.headers["etag"].startswith('W/"')
    assert response.headers["cache-control"] == "private, max-age=5, stale-while-revalidate=10"
    again = client.get(PREFIX + path, headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304


def test_state_of_the_default_paper_account(client: TestClient, ledger: Ledger) -> None:
    body = client.get(f"{PREFIX}/portfolio/state").json()
    assert body["account"]["id"] == ledger.paper_id and body["account"]["is_default"] is True
    assert body["account"]["account_name"] == "api-test-main" and body["account"]["kind"] == "paper"
    assert (body["capital"], body["realized_pnl"], body["unrealized_pnl"]) == (100_000.0, 29.0, 32.0)
    assert (body["allocated"], body["available"], body["equity"], body["open_positions"]) == (
        824.0, 99_205.0, 100_061.0, 4)
    assert body["as_of"] == "2024-02-09T05:00:00Z"
    exposure = body["exposure_by_sector"]
    assert [e["exposure"] for e in exposure] == [0.006, 0.004, 0.001]  # largest first
    assert [e["sector_id"] for e in exposure] == [ledger.sector_ids[1], ledger.sector_ids[0], 999999]
    assert exposure[0]["sector_name"] and exposure[0]["sector"]
    assert exposure[2]["sector_name"] is None  # a sector id the sectors table does not know
    explicit = client.get(f"{PREFIX}/portfolio/state", params={"account_id": ledger.paper_id}).json()
    assert {k: v for k, v in explicit.items() if k not in ("generated_at", "staleness_ms")} == {
        k: v for k, v in body.items() if k not in ("generated_at", "staleness_ms")}


def test_an_account_without_state_shows_its_starting_capital(client: TestClient, ledger: Ledger) -> None:
    body = client.get(f"{PREFIX}/portfolio/state", params={"account_id": ledger.archive_id}).json()
    assert body["account"]["is_default"] is False and body["account"]["enabled"] is False
    assert (body["capital"], body["equity"], body["available"], body["open_positions"]) == (5000.0, 5000.0, 5000.0, 0)
    assert body["as_of"] is None and body["exposure_by_sector"] == [] and body["staleness_ms"] is None


def test_positions_filter_by_status_newest_first(client: TestClient, ledger: Ledger) -> None:
    def fetch(**params: Any) -> list[dict[str, Any]]:
        body = client.get(f"{PREFIX}/portfolio/positions", params=params).json()
        assert body["status"] == params.get("status", "open")
        return list(body["data"])

    open_, closed, every = fetch(), fetch(status="closed"), fetch(status="all")
    assert [p["status"] for p in open_] == ["open"] * 4 and [p["status"] for p in closed] == ["closed"] * 2
    assert sorted(p["opened_at"] for p in every) == sorted(p["opened_at"] for p in open_ + closed)
    assert [p["opened_at"] for p in every] == sorted((p["opened_at"] for p in every), reverse=True)
    newest = every[0]  # k = 5: coin 2, 240m, closed
    assert (newest["symbol"], newest["timeframe"], newest["closed_at"]) == (ledger.symbols[2], 240,
                                                                           "2024-02-09T04:00:00Z")
    assert newest["sector_name"] and newest["realized_pnl"] == 25.0
    by_entry = {p["entry_price"]: p for p in every}
    assert by_entry[100.0]["risk_to_stop"] == pytest.approx(0.1)  # (100 − 90) / 100
    assert by_entry[101.0]["risk_to_stop"] is None  # no stop
    assert client.get(f"{PREFIX}/portfolio/positions", params={"account_id": ledger.exchange_id}).json()["data"] == []


def test_positions_carry_the_newest_final_signal_of_their_coin_and_timeframe(
    client: TestClient, ledger: Ledger, owner_engine: Engine
) -> None:
    with owner_engine.connect() as connection:
        newest = connection.execute(
            select(final_signals.c.decision, final_signals.c.timestamp)
            .where(final_signals.c.coin_id == ledger.coin_ids[0], final_signals.c.timeframe == 60)
            .order_by(final_signals.c.timestamp.desc()).limit(1)).first()
    position = next(p for p in client.get(f"{PREFIX}/portfolio/positions", params={"status": "all"}).json()["data"]
                    if p["coin_id"] == ledger.coin_ids[0] and p["timeframe"] == 60)
    if newest is None:
        assert position["latest_decision"] is None
    else:
        assert position["latest_decision"] == newest.decision
        assert datetime.fromisoformat(position["latest_decision_at"]) == newest.timestamp


def test_actions_are_the_accounts_ledger_newest_first(client: TestClient, ledger: Ledger) -> None:
    body = client.get(f"{PREFIX}/portfolio/actions").json()
    assert [a["sequence"] for a in body["data"]] == list(range(9, 0, -1))
    assert body["data"][0]["symbol"] == ledger.symbols[8 % 3] and body["data"][0]["executed_at"] == (
        "2024-02-08T16:00:00Z")
    archived = client.get(f"{PREFIX}/portfolio/actions", params={"account_id": ledger.archive_id}).json()["data"]
    assert [(a["sequence"], a["units"]) for a in archived] == [(1, 99.0)]


def test_equity_curve_is_oldest_first_from_since(client: TestClient, ledger: Ledger) -> None:
    points = client.get(f"{PREFIX}/portfolio/equity").json()["data"]
    assert len(points) == 30 and points[0]["timestamp"] == "2024-02-08T00:00:00Z"
    assert [p["timestamp"] for p in points] == sorted(p["timestamp"] for p in points)
    assert points[7]["equity"] == 100_021.0 and points[7]["drawdown"] == pytest.approx(-0.003)
    later = client.get(f"{PREFIX}/portfolio/equity", params={"since": "2024-02-09T00:00:00"}).json()["data"]
    assert [p["timestamp"] for p in later] == [p["timestamp"] for p in points[24:]]


def test_accounts_never_expose_credentials(client: TestClient, ledger: Ledger) -> None:
    response = client.get(f"{PREFIX}/portfolio/accounts")
    body = response.json()
    assert [a["id"] for a in body["data"]] == [ledger.archive_id, ledger.paper_id, ledger.exchange_id]
    assert [a["is_default"] for a in body["data"]] == [False, True, False]
    assert body["data"][2] == {**body["data"][2], "kind": "exchange", "exchange_name": "binance",
                               "starting_capital": 0.0, "enabled": True}
    assert SECRET not in response.text and "credentials" not in response.text


def test_balances_of_an_exchange_account(client: TestClient, ledger: Ledger) -> None:
    assert client.get(f"{PREFIX}/portfolio/balances").json()["data"] == []  # the paper account has none
    body = client.get(f"{PREFIX}/portfolio/balances", params={"account_id": ledger.exchange_id}).json()
    assert body["account"]["kind"] == "exchange"
    assert [b["symbol"] for b in body["data"]] == sorted([*ledger.symbols, "USDT"])
    usdt = next(b for b in body["data"] if b["symbol"] == "USDT")
    assert (usdt["coin_id"], usdt["value_usd"]) == (None, 4000.0)


@pytest.mark.parametrize("path", [r for r in ROUTES if r != "/portfolio/accounts"])
def test_an_unknown_account_is_a_404(client: TestClient, ledger: Ledger, path: str) -> None:
    response = client.get(PREFIX + path, params={"account_id": 987654})
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "resource_not_found" and body["domain"] == "portfolio"
    assert body["details"][0]["value"] == 987654


@pytest.mark.parametrize(("path", "params", "field"), [
    ("/portfolio/positions", {"limit": 0}, "limit"),
    ("/portfolio/positions", {"status": "partial"}, "status"),
    ("/portfolio/actions", {"limit": 501}, "limit"),
    ("/portfolio/actions", {"cursor": "WzFd"}, "cursor"),
    ("/portfolio/equity", {"since": "yesterday"}, "since"),
    ("/portfolio/equity", {"limit": 5001}, "limit"),
    ("/portfolio/state", {"account_id": 0}, "account_id"),
    ("/portfolio/balances", {"account_id": "paper"}, "account_id"),
    ("/portfolio/accounts", {"cursor": "not-a-cursor"}, "cursor"),
])
def test_bad_parameters_get_the_422_envelope(client: TestClient, ledger: Ledger, path: str, params: dict[str, Any],
                                             field: str) -> None:
    response = client.get(PREFIX + path, params=params)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] in ("validation_failed", "invalid_cursor") and field in {d["field"] for d in body["details"]}
    document = client.app.openapi()
    assert validate(body, response_schema(document, PREFIX + path, 422), document) == []


def _walk(client: TestClient, path: str, params: dict[str, Any], limit: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(200):
        body = client.get(PREFIX + path, params={**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
                          ).json()
        assert body["count"] == len(body["data"]) <= limit
        items.extend(body["data"])
        cursor = body["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("no last page")


@pytest.mark.parametrize(("path", "params", "identity"), [
    ("/portfolio/positions", {"status": "all"}, lambda p: p["position_id"]),
    ("/portfolio/actions", {}, lambda a: a["sequence"]),
    ("/portfolio/equity", {}, lambda e: e["timestamp"]),
    ("/portfolio/accounts", {}, lambda a: a["id"]),
    ("/portfolio/balances", {"account_id": "exchange"}, lambda b: b["symbol"]),
])
@pytest.mark.parametrize("limit", [1, 2])
def test_pages_are_disjoint_and_cover_the_list(client: TestClient, ledger: Ledger, path: str, params: dict[str, Any],
                                               identity: Any, limit: int) -> None:
    if params.get("account_id") == "exchange":
        params = {"account_id": ledger.exchange_id}
    whole = client.get(PREFIX + path, params={**params, "limit": 500}).json()["data"]
    paged = _walk(client, path, params, limit)
    assert len(whole) > limit
    assert [identity(i) for i in paged] == [identity(i) for i in whole]  # same order, no gap, no repeat


@pytest.mark.parametrize(("path", "params"), [
    ("/portfolio/state", {}),
    ("/portfolio/positions", {"status": "all"}),
    ("/portfolio/actions", {}),
    ("/portfolio/equity", {}),
    ("/portfolio/accounts", {}),
    ("/portfolio/balances", {"account_id": "exchange"}),
])
def test_one_statement_whatever_the_page_size(uncached_client: TestClient, ledger: Ledger, path: str,
                                              params: dict[str, Any]) -> None:
    if params.get("account_id") == "exchange":
        params = {"account_id": ledger.exchange_id}
    counts, lengths = [], []
    for limit in ((None,) if path == "/portfolio/state" else (1, 500)):
        with counting(uncached_client) as statements:
            response = uncached_client.get(PREFIX + path, params={**params, **({"limit": limit} if limit else {})})
        assert response.status_code == 200, response.text
        counts.append(len(statements))
        lengths.append(len(response.content))
    assert set(counts) == {1}
    assert lengths == sorted(lengths) and (len(lengths) == 1 or lengths[1] > lengths[0])
