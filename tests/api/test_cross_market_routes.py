"""Sector, sector-metric, rotation, relation and market-leader routes over the materialized pipeline.

Expectations come from plain SQL over the module's copy of the pipeline database; a few fixtures add rows
(another timeframe's snapshots, a disabled coin) to check what the pipeline alone cannot show: only the
newest snapshot of EACH timeframe is served, missing strengths sort last, counts follow the coins.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, insert, text, update

from iris_api.pagination import encode_cursor
from iris_resources.cross_market.tables import coin_relations, sector_metrics
from iris_resources.market_data.tables import coins
from tests.api.openapi_schema import response_schema, validate

PREFIX = "/api/v1"
SNAPSHOT_FIELDS = {"generated_at", "staleness_ms", "freshness_class", "consistency", "source_run_id"}
ROUTES = [
    ("/sectors", "/sectors"),
    ("/sectors/metrics", "/sectors/metrics"),
    ("/sectors/metrics", "/sectors/metrics?timeframe=15&sector=defi"),
    ("/sectors/rotations", "/sectors/rotations"),
    ("/sectors/rotations", "/sectors/rotations?timeframe=15&sector=layer1&limit=1"),
    ("/relations", "/relations"),
    ("/relations", "/relations?symbol={symbol}&timeframe=60&active_only=false&min_confidence=0.1"),
    ("/coins/{symbol}/relations", "/coins/{symbol}/relations"),
    ("/coins/{symbol}/relations", "/coins/{symbol}/relations?active_only=false&timeframe=60&limit=2"),
    ("/market/leaders", "/market/leaders"),
    ("/market/leaders", "/market/leaders?direction=up&timeframe=15&limit=3"),
]
RELATION_COLUMNS = ("leader_coin_id", "follower_coin_id", "timeframe", "as_of", "correlation", "lag_bars",
                    "lag_hours", "confidence", "base_confidence", "feedback_adjustment", "sample_size", "active")


def _openapi(client: TestClient) -> dict[str, Any]:
    return cast(FastAPI, client.app).openapi()


def _get(client: TestClient, path: str, **params: Any) -> dict[str, Any]:
    response = client.get(PREFIX + path, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


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


def _sql(engine: Engine, statement: str, **params: Any) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(text(statement), params).all())


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value)


@pytest.mark.parametrize(("template", "path"), ROUTES, ids=[p for _, p in ROUTES])
def test_route_answers_with_its_documented_schema(client: TestClient, symbols: list[str], template: str,
                                                  path: str) -> None:
    response = client.get(PREFIX + path.replace("{symbol}", symbols[0]))
    assert response.status_code == 200, response.text
    body = response.json()
    document = _openapi(client)
    assert validate(body, response_schema(document, PREFIX + template, 200), document) == []
    assert set(body) >= SNAPSHOT_FIELDS
    assert body.get("data") or body.get("as_leader") or body.get("as_follower"), f"{path} answered no data"
    etag = response.headers["etag"]
    assert etag.startswith('W/"')
    assert client.get(response.url, headers={"If-None-Match": etag}).status_code == 304


def test_sectors_count_their_enabled_coins(client: TestClient, owner_engine: Engine, symbols: list[str]) -> None:
    stored = _sql(owner_engine, (
        "SELECT s.id, s.code, count(c.id) FILTER (WHERE c.enabled AND c.deleted_at IS NULL) FROM sectors s "
        "LEFT JOIN coins c ON c.sector_id = s.id GROUP BY s.id ORDER BY s.name, s.id"))
    body = _get(client, "/sectors")
    assert [(s["id"], s["code"], s["coin_count"]) for s in body["data"]] == [tuple(r) for r in stored]
    assert sum(s["coin_count"] for s in body["data"]) == len(symbols)
    walked, pages = _walk(client, "/sectors", {}, 2)
    assert walked == body["data"] and pages == -(-len(stored) // 2) > 1
    with owner_engine.begin() as connection:
        connection.execute(update(coins).where(coins.c.symbol == symbols[0]).values(enabled=False))
    try:
        after = {s["id"]: s["coin_count"] for s in _get(client, "/sectors")["data"]}
        sector = _sql(owner_engine, "SELECT sector_id FROM coins WHERE symbol = :s", s=symbols[0])[0][0]
        before = {s["id"]: s["coin_count"] for s in body["data"]}
        assert after == {**before, sector: before[sector] - 1}
    finally:
        with owner_engine.begin() as connection:
            connection.execute(update(coins).where(coins.c.symbol == symbols[0]).values(enabled=True))


def _newest_sector_metrics(engine: Engine) -> dict[tuple[int, int], tuple[Any, ...]]:
    rows = _sql(engine, "SELECT DISTINCT ON (sector_id, timeframe) sector_id, timeframe, as_of, relative_strength, "
                        "trend, coin_count FROM sector_metrics ORDER BY sector_id, timeframe, as_of DESC")
    return {(r[0], r[1]): tuple(r[2:]) for r in rows}


def test_sector_metrics_are_each_sectors_newest_snapshot_with_the_narratives(
    client: TestClient, owner_engine: Engine
) -> None:
    newest = _newest_sector_metrics(owner_engine)
    body = _get(client, "/sectors/metrics")
    assert body["count"] == len(newest) > 1
    for m in body["data"]:
        assert (_time(m["as_of"]), m["relative_strength"], m["trend"], m["coin_count"]) == newest[
            (m["sector_id"], m["timeframe"])]
    snapshots = _sql(owner_engine, "SELECT count(DISTINCT as_of) FROM sector_metrics")[0][0]
    assert snapshots > 1  # older snapshots exist and are not served
    keys = [(m["timeframe"], -m["relative_strength"], m["sector_id"]) for m in body["data"]]
    assert keys == sorted(keys)
    payload, generated_at, run_id = _sql(owner_engine, "SELECT payload, generated_at, run_id FROM projections "
                                                       "WHERE name = 'sector_narratives'")[0]
    assert body["narratives"] == payload["narratives"] and body["narratives"]
    assert _time(body["narratives_generated_at"]) == generated_at and body["source_run_id"] == run_id
    assert {n["timeframe"] for n in _get(client, "/sectors/metrics", timeframe=60)["narratives"]} == {60}
    defi = _get(client, "/sectors/metrics", sector="DeFi")["data"]
    assert defi == [m for m in body["data"] if m["sector"] == "defi"] and defi


@pytest.fixture
def hourly_sector_metrics(owner_engine: Engine) -> Iterator[list[int]]:
    """An older and a newer 1h snapshot for every sector; in the newer, one sector has no relative strength."""
    ids = [r[0] for r in _sql(owner_engine, "SELECT id FROM sectors ORDER BY id")]
    newer, older = datetime(2024, 2, 10, tzinfo=UTC), datetime(2024, 2, 9, tzinfo=UTC)
    rows = [{"sector_id": sid, "timeframe": 60, "as_of": at, "coin_count": 1, "trend": f"t{n}",
             "relative_strength": None if (at == newer and n == 0) else float(n if at == newer else 100 + n)}
            for n, sid in enumerate(ids) for at in (older, newer)]
    with owner_engine.begin() as connection:
        connection.execute(insert(sector_metrics), rows)
    yield ids
    with owner_engine.begin() as connection:
        connection.execute(delete(sector_metrics).where(sector_metrics.c.timeframe == 60))


def test_each_timeframe_has_its_own_newest_snapshot_and_missing_strengths_come_last(
    client: TestClient, hourly_sector_metrics: list[int]
) -> None:
    every, pages = _walk(client, "/sectors/metrics", {}, 2)
    hourly = [m for m in every if m["timeframe"] == 60]
    assert [m["timeframe"] for m in every] == sorted(m["timeframe"] for m in every) and pages > 2
    assert {_time(m["as_of"]) for m in hourly} == {datetime(2024, 2, 10, tzinfo=UTC)}
    ids = hourly_sector_metrics
    assert [m["sector_id"] for m in hourly] == [*reversed(ids[1:]), ids[0]]  # strongest first, the unknown last
    assert hourly[-1]["relative_strength"] is None
    assert _get(client, "/sectors/metrics", timeframe=60, limit=500)["data"] == hourly


def test_sector_rotations_newest_first(client: TestClient, owner_engine: Engine) -> None:
    stored = _sql(owner_engine, (
        "SELECT r.timestamp, s.code, t.code, r.strength FROM sector_rotations r JOIN sectors s ON s.id = "
        "r.source_sector_id JOIN sectors t ON t.id = r.target_sector_id ORDER BY r.timestamp DESC, "
        "r.source_sector_id DESC, r.target_sector_id DESC, r.timeframe DESC"))
    walked, pages = _walk(client, "/sectors/rotations", {}, 1)
    assert [(_time(r["timestamp"]), r["source_sector"], r["target_sector"], r["strength"]) for r in walked] == [
        tuple(s) for s in stored] and pages == len(stored) > 1
    code = walked[0]["source_sector"]
    touching = _get(client, "/sectors/rotations", sector=code)["data"]
    assert touching == [r for r in walked if code in (r["source_sector"], r["target_sector"])]
    assert _get(client, "/sectors/rotations", timeframe=1440)["data"] == []


def _newest_relations(engine: Engine, active_only: bool) -> list[tuple[Any, ...]]:
    rows = _sql(engine, (
        f"SELECT {', '.join(RELATION_COLUMNS)} FROM coin_relations r WHERE as_of = (SELECT max(as_of) FROM "
        f"coin_relations WHERE timeframe = r.timeframe) {'AND active' if active_only else ''} "
        "ORDER BY confidence DESC, correlation DESC, timeframe DESC, leader_coin_id DESC, follower_coin_id DESC"))
    return [tuple(r) for r in rows]


def _relation(item: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(_time(item[c]) if c == "as_of" else item[c] for c in RELATION_COLUMNS)


def test_relations_are_the_newest_snapshot_strongest_first(client: TestClient, owner_engine: Engine) -> None:
    active = _get(client, "/relations", limit=500)["data"]
    assert [_relation(r) for r in active] == _newest_relations(owner_engine, True) and active
    every, pages = _walk(client, "/relations", {"active_only": "false"}, 7)
    assert [_relation(r) for r in every] == _newest_relations(owner_engine, False)
    assert len(every) == 6 * 5 and pages == 5  # every ordered pair once
    newest = _sql(owner_engine, "SELECT max(as_of) FROM coin_relations")[0][0]
    assert {_time(r["as_of"]) for r in every} == {newest}
    names = dict(_sql(owner_engine, "SELECT id, symbol FROM coins"))
    assert all(names[r["leader_coin_id"]] == r["leader_symbol"] and names[r["follower_coin_id"]] == r["follower_symbol"]
               for r in every)
    confident = _get(client, "/relations", active_only="false", min_confidence=0.3, limit=500)["data"]
    assert confident == [r for r in every if r["confidence"] >= 0.3] and confident


def test_relations_filter_by_symbol(client: TestClient, symbols: list[str]) -> None:
    every = _get(client, "/relations", active_only="false", limit=500)["data"]
    mine = _get(client, "/relations", symbol=symbols[2].lower(), active_only="false", limit=500)["data"]
    assert mine == [r for r in every if symbols[2] in (r["leader_symbol"], r["follower_symbol"])]
    assert len(mine) == 2 * 5
    assert _get(client, "/relations", symbol="NOPE")["data"] == []


@pytest.fixture
def four_hour_snapshot(owner_engine: Engine) -> Iterator[datetime]:
    """A 4h snapshot OLDER than the newest 1h one (yet the newest of 4h), plus an even older 4h one."""
    hourly = _sql(owner_engine, "SELECT max(as_of) FROM coin_relations WHERE timeframe = 60")[0][0]
    newest = hourly - timedelta(days=1)
    rows = _sql(owner_engine, "SELECT * FROM coin_relations WHERE timeframe = 60 AND as_of = :at", at=hourly)
    with owner_engine.begin() as connection:
        for at in (newest, newest - timedelta(days=1)):
            connection.execute(insert(coin_relations), [
                {**r._mapping, "timeframe": 240, "as_of": at, "active": True} for r in rows])
    yield newest
    with owner_engine.begin() as connection:
        connection.execute(delete(coin_relations).where(coin_relations.c.timeframe == 240))


def test_each_timeframe_serves_its_own_newest_relation_snapshot(
    client: TestClient, owner_engine: Engine, four_hour_snapshot: datetime
) -> None:
    every = _get(client, "/relations", limit=500)["data"]
    four_hourly = [r for r in every if r["timeframe"] == 240]
    assert len(four_hourly) == 30 and {_time(r["as_of"]) for r in four_hourly} == {four_hour_snapshot}
    assert [_relation(r) for r in every] == _newest_relations(owner_engine, True)
    assert _get(client, "/relations", timeframe=240, limit=500)["data"] == four_hourly


def test_coin_relations_as_leader_and_as_follower(client: TestClient, symbols: list[str]) -> None:
    every = _get(client, "/relations", active_only="false", limit=500)["data"]
    body = _get(client, f"/coins/{symbols[0].lower()}/relations", active_only="false")
    assert body["symbol"] == symbols[0] and body["limit"] == 100
    assert body["as_leader"] == [r for r in every if r["leader_symbol"] == symbols[0]]
    assert body["as_follower"] == [r for r in every if r["follower_symbol"] == symbols[0]]
    assert len(body["as_leader"]) == len(body["as_follower"]) == 5
    active = _get(client, f"/coins/{symbols[0]}/relations")
    assert all(r["active"] for r in active["as_leader"] + active["as_follower"])
    two = _get(client, f"/coins/{symbols[0]}/relations", active_only="false", limit=2)
    assert two["as_leader"] == body["as_leader"][:2] and two["as_follower"] == body["as_follower"][:2]


def test_market_leaders_newest_first(client: TestClient, owner_engine: Engine, symbols: list[str]) -> None:
    stored = _sql(owner_engine, "SELECT coin_id, timeframe, timestamp, direction, confidence FROM market_leaders "
                                "ORDER BY timestamp DESC, coin_id DESC, timeframe DESC")
    walked, pages = _walk(client, "/market/leaders", {}, 4)
    assert [(r["leader_coin_id"], r["timeframe"], _time(r["timestamp"]), r["direction"], r["confidence"])
            for r in walked] == [tuple(s) for s in stored] and pages == -(-len(stored) // 4) > 1
    sectors = dict(_sql(owner_engine, "SELECT c.id, s.code FROM coins c JOIN sectors s ON s.id = c.sector_id"))
    assert all(r["sector"] == sectors[r["leader_coin_id"]] for r in walked)
    leader = walked[0]["symbol"]
    assert _get(client, "/market/leaders", symbol=leader.lower(), limit=500)["data"] == [
        r for r in walked if r["symbol"] == leader]
    assert _get(client, "/market/leaders", direction="down", limit=500)["data"] == [
        r for r in walked if r["direction"] == "down"]


def test_unknown_symbols_get_404(client: TestClient) -> None:
    response = client.get(f"{PREFIX}/coins/NOPE/relations")
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "resource_not_found" and body["domain"] == "cross_market"
    document = _openapi(client)
    assert validate(body, response_schema(document, PREFIX + "/coins/{symbol}/relations", 404), document) == []


BAD_PARAMETERS = [
    ("/sectors", {"limit": 0}, "limit"),
    ("/sectors", {"cursor": encode_cursor(["AI"])}, "cursor"),
    ("/sectors/metrics", {"timeframe": 30}, "timeframe"),
    ("/sectors/metrics", {"cursor": encode_cursor([15, "strong", 1])}, "cursor"),
    ("/sectors/rotations", {"limit": 501}, "limit"),
    ("/relations", {"min_confidence": 1.5}, "min_confidence"),
    ("/relations", {"active_only": "sometimes"}, "active_only"),
    ("/relations", {"cursor": "bm90IGEgY3Vyc29y"}, "cursor"),
    ("/coins/{symbol}/relations", {"limit": 0}, "limit"),
    ("/coins/{symbol}/relations", {"min_confidence": -0.1}, "min_confidence"),
    ("/market/leaders", {"direction": "sideways"}, "direction"),
    ("/market/leaders", {"cursor": encode_cursor([1, 2, 3])}, "cursor"),
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
    document = _openapi(client)
    assert validate(body, response_schema(document, PREFIX + template, 422), document) == []
