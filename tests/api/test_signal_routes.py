"""Decision, final-signal, market-decision, backtest and strategy routes over the materialized pipeline.

Expectations are recomputed from the tables with plain SQL (the owner's connection), so the tests check
that "latest per coin and timeframe" really is the newest log row, that the orders are the documented
ones, and that pages walk the whole list once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, Table, delete, func, insert, select, text

from iris_api.pagination import encode_cursor
from iris_resources.signals.tables import (
    final_signals,
    investment_decisions,
    market_decisions,
    signal_backtests,
    strategies,
    strategy_performance,
)
from tests.api.openapi_schema import response_schema, validate

PREFIX = "/api/v1"
SNAPSHOT_FIELDS = {"generated_at", "staleness_ms", "freshness_class", "consistency", "source_run_id"}
# (OpenAPI path, request path with {symbol} standing for a real coin)
ROUTES = [
    ("/decisions", "/decisions"),
    ("/decisions", "/decisions?timeframe=60&limit=5"),
    ("/decisions/top", "/decisions/top"),
    ("/coins/{symbol}/decision", "/coins/{symbol}/decision"),
    ("/final-signals", "/final-signals?symbol={symbol}"),
    ("/final-signals/top", "/final-signals/top?timeframe=15&limit=3"),
    ("/coins/{symbol}/final-signal", "/coins/{symbol}/final-signal"),
    ("/market-decisions", "/market-decisions"),
    ("/market-decisions/top", "/market-decisions/top"),
    ("/coins/{symbol}/market-decision", "/coins/{symbol}/market-decision"),
    ("/coins/{symbol}/decisions/history", "/coins/{symbol}/decisions/history"),
    ("/coins/{symbol}/decisions/history", "/coins/{symbol}/decisions/history?kind=investment&timeframe=60"),
    ("/coins/{symbol}/decisions/history", "/coins/{symbol}/decisions/history?kind=market&limit=3"),
    ("/backtests", "/backtests"),
    ("/backtests", "/backtests?symbol={symbol}&lookback_days=30&timeframe=15"),
    ("/backtests/top", "/backtests/top"),
    ("/coins/{symbol}/backtests", "/coins/{symbol}/backtests?lookback_days=90"),
    ("/strategies", "/strategies"),
    ("/strategies", "/strategies?enabled_only=true&timeframe=60"),
    ("/strategies/performance", "/strategies/performance"),
]
LOGS: dict[str, tuple[Table, str, str, tuple[str, str]]] = {
    # kind: (table, list path, per-coin path, the top order's two leading columns)
    "investment": (investment_decisions, "/decisions", "/coins/{symbol}/decision", ("score", "confidence")),
    "final": (final_signals, "/final-signals", "/coins/{symbol}/final-signal", ("risk_adjusted_score", "confidence")),
    "market": (market_decisions, "/market-decisions", "/coins/{symbol}/market-decision",
               ("confidence", "signal_count")),
}


def _get(client: TestClient, path: str, **params: Any) -> dict[str, Any]:
    response = client.get(PREFIX + path, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _newest_ids(engine: Engine, table: Table) -> set[int]:
    """Ids of the newest row per (coin, timeframe), by plain SQL."""
    ranked = select(table.c.id, func.row_number().over(
        partition_by=(table.c.coin_id, table.c.timeframe), order_by=table.c.timestamp.desc()).label("n")).subquery()
    with engine.connect() as connection:
        return set(connection.execute(select(ranked.c.id).where(ranked.c.n == 1)).scalars())


def _walk(client: TestClient, path: str, params: dict[str, Any], limit: int) -> tuple[list[Any], int]:
    items: list[Any] = []
    pages, cursor = 0, None
    while True:
        body = _get(client, path, **params, limit=limit, **({"cursor": cursor} if cursor else {}))
        assert body["count"] == len(body["data"]) <= limit
        items.extend(body["data"])
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return items, pages
        assert pages < 1000


@pytest.mark.parametrize(("template", "path"), ROUTES, ids=[p for _, p in ROUTES])
def test_route_answers_with_its_documented_schema(client: TestClient, symbols: list[str], template: str,
                                                  path: str) -> None:
    response = client.get(PREFIX + path.replace("{symbol}", symbols[0]))
    assert response.status_code == 200, response.text
    body = response.json()
    document = client.app.openapi()
    assert validate(body, response_schema(document, PREFIX + template, 200), document) == []
    assert set(body) >= SNAPSHOT_FIELDS and body["consistency"] == "snapshot"
    assert body["data"], f"{path} answered no data over the pipeline"
    etag = response.headers["etag"]
    assert etag.startswith('W/"')
    assert client.get(response.url, headers={"If-None-Match": etag}).status_code == 304


@pytest.mark.parametrize("kind", list(LOGS))
def test_lists_hold_the_newest_row_per_coin_and_timeframe_newest_bar_first(
    client: TestClient, owner_engine: Engine, kind: str
) -> None:
    table, path, _, _ = LOGS[kind]
    rows = _get(client, path, limit=500)["data"]
    assert {r["id"] for r in rows} == _newest_ids(owner_engine, table)
    assert len({(r["coin_id"], r["timeframe"]) for r in rows}) == len(rows)
    keys = [(r["timestamp"], r["id"]) for r in rows]
    assert keys == sorted(keys, reverse=True)
    with owner_engine.connect() as connection:  # really the newest: no later row of the same coin/timeframe
        for r in rows:
            later = connection.execute(select(func.count()).where(
                table.c.coin_id == r["coin_id"], table.c.timeframe == r["timeframe"],
                table.c.timestamp > datetime.fromisoformat(r["timestamp"]))).scalar_one()
            assert later == 0


@pytest.mark.parametrize("kind", list(LOGS))
def test_top_lists_sort_the_same_rows_by_their_scores(client: TestClient, kind: str) -> None:
    _, path, _, (first, second) = LOGS[kind]
    latest = _get(client, path, limit=500)["data"]
    top = _get(client, f"{path}/top", limit=200)["data"]
    assert sorted(r["id"] for r in top) == sorted(r["id"] for r in latest)
    keys = [(r[first], r[second], r["timestamp"], r["id"]) for r in top]
    assert keys == sorted(keys, reverse=True)
    assert _get(client, f"{path}/top")["limit"] == 20


@pytest.mark.parametrize("kind", list(LOGS))
def test_lists_filter_by_symbol_and_timeframe(client: TestClient, symbols: list[str], kind: str) -> None:
    _, path, _, _ = LOGS[kind]
    every = _get(client, path, limit=500)["data"]
    mine = _get(client, path, symbol=symbols[1].lower(), limit=500)["data"]
    assert mine == [r for r in every if r["symbol"] == symbols[1]] and mine
    hourly = _get(client, path, timeframe=60, limit=500)["data"]
    assert hourly == [r for r in every if r["timeframe"] == 60] and hourly
    assert _get(client, path, symbol="NOPE")["data"] == []
    assert all(r["timeframe"] == 15 for r in _get(client, f"{path}/top", timeframe=15)["data"])


def test_fields_carry_the_risk_inputs_and_fusion_details(client: TestClient, owner_engine: Engine) -> None:
    final = _get(client, "/final-signals", limit=1)["data"][0]
    with owner_engine.connect() as connection:
        stored = connection.execute(select(final_signals).where(final_signals.c.id == final["id"])).mappings().one()
    for name in ("liquidity_score", "slippage_risk", "volatility_risk", "base_decision", "risk_adjusted_score",
                 "reason", "decision", "confidence", "confidence_band"):
        assert final[name] == stored[name], name
    assert datetime.fromisoformat(final["timestamp"]) == stored["timestamp"]
    market = _get(client, "/market-decisions", limit=500)["data"]
    with owner_engine.connect() as connection:
        factors = dict(connection.execute(select(market_decisions.c.id, market_decisions.c.dominant_factors)).all())
    assert all(m["dominant_factors"] == [f for f in (factors[m["id"]] or "").split(",") if f] for m in market)
    assert any(m["flags"] for m in market) and all(isinstance(m["agreement"], float) for m in market)


@pytest.mark.parametrize("kind", list(LOGS))
def test_coin_summary_lists_each_timeframe_and_picks_the_canonical_one(
    client: TestClient, symbols: list[str], kind: str
) -> None:
    _, path, coin_path, _ = LOGS[kind]
    body = _get(client, coin_path.replace("{symbol}", symbols[0].lower()))
    latest = _get(client, path, symbol=symbols[0], limit=500)["data"]
    assert body["symbol"] == symbols[0] and body["count"] == len(body["data"])
    assert body["data"] == sorted(latest, key=lambda r: r["timeframe"])
    available = {r["timeframe"]: r for r in body["data"]}
    expected = next(tf for tf in (1440, 240, 60, 15) if tf in available)
    assert body["canonical_timeframe"] == expected
    assert body["canonical_decision"] == available[expected]["decision"]


@pytest.fixture
def daily_rows(owner_engine: Engine, symbols: list[str]) -> Iterator[dict[str, int]]:
    """A 1d row per log for the first coin, OLDER than its other rows (copied from its newest row)."""
    added: dict[str, int] = {}
    with owner_engine.begin() as connection:
        coin_id = connection.execute(text("SELECT id FROM coins WHERE symbol = :s"), {"s": symbols[0]}).scalar_one()
        for kind, (table, *_rest) in LOGS.items():
            newest = connection.execute(select(table).where(table.c.coin_id == coin_id)
                                        .order_by(table.c.timestamp).limit(1)).mappings().one()
            row = {k: v for k, v in newest.items() if k != "id"}
            row.update(timeframe=1440, timestamp=newest["timestamp"] - timedelta(days=30),
                       decision="WATCH" if kind == "market" else "STRONG_BUY")
            added[kind] = connection.execute(insert(table).values(row).returning(table.c.id)).scalar_one()
    yield added
    with owner_engine.begin() as connection:
        for kind, (table, *_rest) in LOGS.items():
            connection.execute(delete(table).where(table.c.id == added[kind]))


@pytest.mark.parametrize("kind", list(LOGS))
def test_canonical_decision_prefers_the_daily_timeframe(client: TestClient, symbols: list[str], kind: str,
                                                        daily_rows: dict[str, int]) -> None:
    _, path, coin_path, _ = LOGS[kind]
    body = _get(client, coin_path.replace("{symbol}", symbols[0]))
    assert body["canonical_timeframe"] == 1440 and body["data"][-1]["id"] == daily_rows[kind]
    assert body["canonical_decision"] == ("WATCH" if kind == "market" else "STRONG_BUY")
    assert [r["timeframe"] for r in body["data"]] == sorted(r["timeframe"] for r in body["data"])
    daily = _get(client, path, timeframe=1440)["data"]
    assert [r["id"] for r in daily] == [daily_rows[kind]]


@pytest.mark.parametrize("kind", list(LOGS))
def test_history_is_the_whole_log_of_the_coin_newest_first(
    client: TestClient, owner_engine: Engine, symbols: list[str], kind: str
) -> None:
    table = LOGS[kind][0]
    path = f"/coins/{symbols[2]}/decisions/history"
    with owner_engine.connect() as connection:
        stored = connection.execute(text(
            f"SELECT l.id FROM {table.name} l JOIN coins c ON c.id = l.coin_id WHERE c.symbol = :s "
            "ORDER BY l.timestamp DESC, l.id DESC"), {"s": symbols[2]}).scalars().all()
    body = _get(client, path, kind=kind, limit=500)
    assert body["kind"] == kind and body["symbol"] == symbols[2]
    assert [r["id"] for r in body["data"]] == stored
    walked, _ = _walk(client, path, {"kind": kind}, 7)
    assert [r["id"] for r in walked] == stored
    hourly = _get(client, path, kind=kind, timeframe=60, limit=500)["data"]
    assert hourly == [r for r in body["data"] if r["timeframe"] == 60]


def test_history_defaults_to_final_signals(client: TestClient, symbols: list[str]) -> None:
    path = f"/coins/{symbols[0]}/decisions/history"
    default, final = _get(client, path, limit=50), _get(client, path, kind="final", limit=50)
    assert default["kind"] == "final" and default["data"] == final["data"]
    assert set(final["data"][0]) >= {"base_decision", "risk_adjusted_score", "liquidity_score"}


def _stored_lookbacks(engine: Engine) -> list[int]:
    with engine.connect() as connection:
        return sorted(connection.execute(select(signal_backtests.c.lookback_days).distinct()).scalars())


def test_backtests_serve_the_stored_all_coin_summaries(client: TestClient, owner_engine: Engine) -> None:
    body = _get(client, "/backtests", limit=500)
    assert body["available_lookbacks"] == _stored_lookbacks(owner_engine) and 365 in body["available_lookbacks"]
    rows = body["data"]
    with owner_engine.connect() as connection:
        count = connection.execute(select(func.count()).where(
            signal_backtests.c.lookback_days == 365, signal_backtests.c.coin_id.is_(None))).scalar_one()
    assert len(rows) == min(count, 500) and all(r["symbol"] is None and r["lookback_days"] == 365 for r in rows)
    keys = [(r["sample_size"], r["sharpe_ratio"], r["roi"], r["win_rate"], r["signal_type"], r["timeframe"])
            for r in rows]
    assert keys == sorted(keys, reverse=True)
    assert all(r["as_of"] and "sharpe_annualized" in r and "equity_drawdown" in r for r in rows)
    short = _get(client, "/backtests", lookback_days=30, timeframe=60, limit=500)["data"]
    assert short and all(r["lookback_days"] == 30 and r["timeframe"] == 60 for r in short)
    kind = rows[0]["signal_type"]
    assert {r["signal_type"] for r in _get(client, "/backtests", signal_type=kind, limit=500)["data"]} == {kind}


def test_backtests_of_one_coin(client: TestClient, owner_engine: Engine, symbols: list[str]) -> None:
    listed = _get(client, "/backtests", symbol=symbols[3].lower(), limit=500)["data"]
    with owner_engine.connect() as connection:
        count = connection.execute(text(
            "SELECT count(*) FROM signal_backtests b JOIN coins c ON c.id = b.coin_id "
            "WHERE c.symbol = :s AND b.lookback_days = 365"), {"s": symbols[3]}).scalar_one()
    assert len(listed) == count > 0 and {r["symbol"] for r in listed} == {symbols[3]}
    assert all(r["coin_count"] == 1 for r in listed)
    per_coin = _get(client, f"/coins/{symbols[3]}/backtests", limit=200)
    assert per_coin["symbol"] == symbols[3] and per_coin["data"] == listed[:200]
    assert _get(client, "/backtests", symbol="NOPE")["data"] == []


def test_top_backtests_rank_by_sharpe_over_enough_samples(client: TestClient) -> None:
    rows = _get(client, "/backtests/top", limit=200)["data"]
    assert rows and all(r["sample_size"] >= 8 and r["symbol"] is None for r in rows)
    keys = [(r["sharpe_ratio"], r["roi"], r["win_rate"], r["sample_size"]) for r in rows]
    assert keys == sorted(keys, reverse=True)
    loose = _get(client, "/backtests/top", min_sample_size=1, limit=200)["data"]
    assert len(loose) >= len(rows) and min(r["sample_size"] for r in loose) < 8


@pytest.mark.parametrize("lookback", [45, 364])
def test_an_unstored_lookback_is_a_422_naming_the_stored_ones(client: TestClient, owner_engine: Engine,
                                                              symbols: list[str], lookback: int) -> None:
    stored = _stored_lookbacks(owner_engine)
    for path in ("/backtests", "/backtests/top", f"/coins/{symbols[0]}/backtests"):
        response = client.get(PREFIX + path, params={"lookback_days": lookback})
        assert response.status_code == 422, response.text
        body = response.json()
        assert body["code"] == "lookback_unavailable" and body["details"][0]["field"] == "lookback_days"
        assert body["details"][0]["value"] == lookback
        assert all(str(days) in body["message"] for days in stored)


def test_strategies_come_enabled_first_with_rules_and_newest_performance(
    client: TestClient, owner_engine: Engine
) -> None:
    rows = _get(client, "/strategies", limit=500)["data"]
    with owner_engine.connect() as connection:
        newest = connection.execute(select(func.max(strategy_performance.c.as_of))).scalar_one()
        total = connection.execute(select(func.count()).select_from(strategies)).scalar_one()
    assert len(rows) == min(total, 500)
    keys = [(not r["enabled"], r["id"]) for r in rows]
    assert keys == sorted(keys)
    for r in rows:
        assert [rule["pattern_slug"] for rule in r["rules"]] == sorted(rule["pattern_slug"] for rule in r["rules"])
        if r["performance"] is not None:
            assert datetime.fromisoformat(r["performance"]["as_of"]) == newest
            assert r["performance"]["enabled"] == r["enabled"] and r["performance"]["strategy_id"] == r["id"]
        else:
            assert r["enabled"] is False
    assert any(r["rules"] for r in rows)
    enabled = _get(client, "/strategies", enabled_only="true", limit=500)["data"]
    assert enabled == [r for r in rows if r["enabled"]]


def test_strategy_performance_is_the_newest_snapshot_by_rank(client: TestClient, owner_engine: Engine) -> None:
    rows = _get(client, "/strategies/performance", limit=500)["data"]
    with owner_engine.connect() as connection:
        newest = connection.execute(select(func.max(strategy_performance.c.as_of))).scalar_one()
        count = connection.execute(select(func.count()).where(strategy_performance.c.as_of == newest)).scalar_one()
    assert len(rows) == min(count, 500)
    keys = [(r["enabled"], r["sharpe_ratio"], r["win_rate"], r["avg_return"], r["strategy_id"]) for r in rows]
    assert keys == sorted(keys, reverse=True)
    assert {datetime.fromisoformat(r["as_of"]) for r in rows} == {newest}
    assert all(r["rank"] >= 1 for r in rows)


def test_a_strategy_missing_from_the_newest_snapshot_is_disabled(client: TestClient, owner_engine: Engine) -> None:
    with owner_engine.begin() as connection:
        newest = connection.execute(select(func.max(strategy_performance.c.as_of))).scalar_one()
        first = connection.execute(select(strategy_performance.c.strategy_id).where(
            strategy_performance.c.as_of == newest).order_by(strategy_performance.c.rank).limit(1)).scalar_one()
        orphan = connection.execute(insert(strategies).values(
            name="api-test orphan", timeframe=60, description="only in an old snapshot").returning(
            strategies.c.id)).scalar_one()
        old = {"as_of": newest - timedelta(days=1), "rank": 1, "sample_size": 99, "win_rate": 0.99,
               "avg_return": 0.5, "sharpe_ratio": 9.0, "sharpe_annualized": 90.0, "max_drawdown": 0.0}
        connection.execute(insert(strategy_performance), [{**old, "strategy_id": orphan, "enabled": True},
                                                          {**old, "strategy_id": first, "enabled": False}])
    try:
        rows = {r["id"]: r for r in _get(client, "/strategies", limit=500)["data"]}
        assert rows[orphan]["enabled"] is False and rows[orphan]["performance"] is None
        assert rows[first]["performance"]["sample_size"] != 99 and rows[first]["enabled"] is True
        performance = _get(client, "/strategies/performance", limit=500)["data"]
        assert orphan not in {p["strategy_id"] for p in performance}
        assert orphan not in {r["id"] for r in _get(client, "/strategies", enabled_only="true", limit=500)["data"]}
    finally:
        with owner_engine.begin() as connection:
            connection.execute(delete(strategy_performance).where(strategy_performance.c.as_of < newest,
                                                                  strategy_performance.c.sample_size == 99))
            connection.execute(delete(strategies).where(strategies.c.id == orphan))


PAGED: list[tuple[str, dict[str, Any], Callable[[dict[str, Any]], Any]]] = [
    ("/decisions", {}, lambda r: r["id"]),
    ("/decisions/top", {}, lambda r: r["id"]),
    ("/final-signals", {}, lambda r: r["id"]),
    ("/final-signals/top", {}, lambda r: r["id"]),
    ("/market-decisions", {}, lambda r: r["id"]),
    ("/market-decisions/top", {}, lambda r: r["id"]),
    ("/coins/{symbol}/decisions/history", {"kind": "market"}, lambda r: r["id"]),
    ("/backtests", {}, lambda r: (r["signal_type"], r["timeframe"])),
    ("/backtests", {"symbol": "{symbol}", "lookback_days": 30}, lambda r: (r["signal_type"], r["timeframe"])),
    ("/backtests/top", {"min_sample_size": 2}, lambda r: (r["signal_type"], r["timeframe"])),
    ("/coins/{symbol}/backtests", {}, lambda r: (r["signal_type"], r["timeframe"])),
    ("/strategies", {}, lambda r: r["id"]),
    ("/strategies/performance", {}, lambda r: r["strategy_id"]),
]


@pytest.mark.parametrize(("path", "params", "identity"), PAGED, ids=[f"{p}{q}" for p, q, _ in PAGED])
@pytest.mark.parametrize("limit", [2, 7])
def test_walking_the_pages_yields_the_whole_list_once(
    client: TestClient, symbols: list[str], path: str, params: dict[str, Any], identity: Any, limit: int
) -> None:
    path = path.replace("{symbol}", symbols[0])
    params = {k: v.replace("{symbol}", symbols[0]) if isinstance(v, str) else v for k, v in params.items()}
    whole = _get(client, path, **params, limit=200)
    assert whole["next_cursor"] is None or len(whole["data"]) == 200
    paged, pages = _walk(client, path, params, limit)
    keys = [identity(item) for item in paged]
    assert len(keys) == len(set(keys)), "duplicates across pages"
    if whole["next_cursor"] is None:
        assert keys == [identity(item) for item in whole["data"]]  # the same order, nothing missing
        assert len(keys) > limit and pages == -(-len(keys) // limit)
    else:
        assert keys[:200] == [identity(item) for item in whole["data"]]


@pytest.mark.parametrize("path", [
    "/coins/NOPE/decision", "/coins/NOPE/final-signal", "/coins/NOPE/market-decision",
    "/coins/NOPE/decisions/history", "/coins/NOPE/backtests",
])
def test_unknown_symbols_get_404(client: TestClient, path: str) -> None:
    response = client.get(PREFIX + path)
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "resource_not_found" and body["details"][0]["value"] == "NOPE"
    assert body["domain"] == "signals"
    document = client.app.openapi()
    assert validate(body, response_schema(document, PREFIX + path.replace("NOPE", "{symbol}"), 404), document) == []


BAD_PARAMETERS = [
    ("/decisions", {"limit": 0}, "limit"),
    ("/decisions", {"timeframe": 7}, "timeframe"),
    ("/decisions/top", {"limit": 201}, "limit"),
    ("/decisions/top", {"cursor": encode_cursor(["not-a-number", "0.5", datetime(2024, 2, 10, tzinfo=UTC), 1])},
     "cursor"),  # the right shape, but a score that is not a number
    ("/final-signals", {"timeframe": "1h"}, "timeframe"),
    ("/final-signals/top", {"cursor": "not-a-cursor"}, "cursor"),
    ("/market-decisions", {"limit": 501}, "limit"),
    ("/market-decisions/top", {"limit": 0}, "limit"),
    ("/coins/{symbol}/decisions/history", {"kind": "bogus"}, "kind"),
    ("/coins/{symbol}/decisions/history", {"limit": 0}, "limit"),
    ("/backtests", {"lookback_days": 20}, "lookback_days"),
    ("/backtests", {"limit": 0}, "limit"),
    ("/backtests/top", {"min_sample_size": 0}, "min_sample_size"),
    ("/coins/{symbol}/backtests", {"limit": 201}, "limit"),
    ("/strategies", {"enabled_only": "maybe"}, "enabled_only"),
    ("/strategies", {"cursor": "WzFd"}, "cursor"),
    ("/strategies/performance", {"limit": 0}, "limit"),
]


@pytest.mark.parametrize(("template", "params", "field"), BAD_PARAMETERS,
                         ids=[f"{t}{p}" for t, p, _ in BAD_PARAMETERS])
def test_bad_parameters_get_the_422_envelope(client: TestClient, symbols: list[str], template: str,
                                             params: dict[str, Any], field: str) -> None:
    response = client.get(PREFIX + template.replace("{symbol}", symbols[0]), params=params)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] in ("validation_failed", "invalid_cursor") and field in {d["field"] for d in body["details"]}
    assert response.headers["cache-control"] == "no-store"
    document = client.app.openapi()
    assert validate(body, response_schema(document, PREFIX + template, 422), document) == []


def test_the_backtest_sample_check_scans_once_for_all_lookbacks_and_finds_a_wrong_size(
    owner_engine: Engine,
) -> None:
    from datetime import timedelta

    from iris_resources.signals.checks import DecisionChecks

    with owner_engine.connect() as connection:
        as_of = connection.execute(select(func.max(signal_backtests.c.as_of))).scalar_one()
        since = {days: as_of - timedelta(days=days) for days in _stored_lookbacks(owner_engine)}
        checks = DecisionChecks(connection)
        together = checks.backtest_sample_mismatches_by_lookback(since)
        assert together == {days: checks.backtest_sample_mismatches(days, start) for days, start in since.items()}
        assert set(together.values()) == {0}
        # Corrupt one all-coin 30-day row inside this (never committed) transaction.
        connection.execute(text(
            "UPDATE signal_backtests SET sample_size = sample_size + 1 WHERE ctid = (SELECT min(ctid) "
            "FROM signal_backtests WHERE lookback_days = 30 AND coin_id IS NULL)"))
        broken = checks.backtest_sample_mismatches_by_lookback(since)
        connection.rollback()
    assert broken == {**together, 30: 1}
