"""Pattern, pattern-signal, signal-outcome, regime and market-cycle routes over the materialized pipeline.

Expectations are recomputed from the tables with plain SQL (the owner's connection): the orders are the
documented ones, "newest per coin and timeframe" really is the newest row, counts match the tables, and
walking the pages yields every row once.
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
from iris_resources.indicators.tables import coin_metrics
from iris_resources.patterns.tables import market_cycles
from tests.api.openapi_schema import response_schema, validate

PREFIX = "/api/v1"
SNAPSHOT_FIELDS = {"generated_at", "staleness_ms", "freshness_class", "consistency", "source_run_id"}
# (OpenAPI path, request path with {symbol} standing for a real coin)
ROUTES = [
    ("/patterns", "/patterns"),
    ("/patterns", "/patterns?category=momentum&timeframe=60&limit=5"),
    ("/patterns/{slug}", "/patterns/bull_flag"),
    ("/patterns/{slug}", "/patterns/HEAD_SHOULDERS?timeframe=15"),
    ("/coins/{symbol}/patterns", "/coins/{symbol}/patterns"),
    ("/coins/{symbol}/patterns", "/coins/{symbol}/patterns?kind=cluster&kind=hierarchy&timeframe=15&limit=5"),
    ("/coins/{symbol}/signal-history", "/coins/{symbol}/signal-history"),
    ("/coins/{symbol}/signal-history", "/coins/{symbol}/signal-history?timeframe=60&signal_type=volume_spike"),
    ("/coins/{symbol}/regime", "/coins/{symbol}/regime"),
    ("/market/regimes", "/market/regimes"),
    ("/market/regimes", "/market/regimes?symbol={symbol}&timeframe=15&limit=3"),
    ("/market/cycle", "/market/cycle"),
    ("/market/cycle", "/market/cycle?symbol={symbol}&timeframe=60"),
]
KIND_RANK = ("CASE WHEN signal_type LIKE 'pattern\\_cluster\\_%' THEN 1 "
             "WHEN signal_type LIKE 'pattern\\_hierarchy\\_%' THEN 0 ELSE 2 END")


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


def _coin_id(engine: Engine, symbol: str) -> int:
    return int(_sql(engine, "SELECT id FROM coins WHERE symbol = :s", s=symbol)[0][0])


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
    assert body["data"], f"{path} answered no data over the pipeline"
    etag = response.headers["etag"]
    assert etag.startswith('W/"')
    assert client.get(response.url, headers={"If-None-Match": etag}).status_code == 304


def test_patterns_are_the_registry_with_every_statistic(client: TestClient, owner_engine: Engine) -> None:
    body = _get(client, "/patterns", limit=500)
    registry = _sql(owner_engine, "SELECT slug, category, bias, lifecycle_state, enabled FROM pattern_registry "
                                  "ORDER BY category, slug")
    assert [(p["slug"], p["category"], p["bias"], p["lifecycle_state"], p["enabled"]) for p in body["data"]] == [
        tuple(r) for r in registry]
    stored = _sql(owner_engine, "SELECT pattern_slug, timeframe, market_regime, total_signals, successful_signals, "
                                "success_rate, avg_return, temperature FROM pattern_statistics")
    by_key = {(r[0], r[1], r[2]): r[3:] for r in stored}
    served = [(p["slug"], s) for p in body["data"] for s in p["statistics"]]
    assert len(served) == len(stored) > 0
    for slug, s in served:
        assert (s["total_signals"], s["successful_signals"], s["success_rate"], s["avg_return"],
                s["temperature"]) == tuple(by_key[(slug, s["timeframe"], s["market_regime"])])
        assert s["sample_size"] == s["total_signals"]
    for p in body["data"]:  # by timeframe, the global bucket first
        keys = [(s["timeframe"], s["market_regime"] != "all", s["market_regime"]) for s in p["statistics"]]
        assert keys == sorted(keys)
    assert any(not p["statistics"] for p in body["data"])  # patterns that never fired have none


def test_patterns_filter_by_category_and_statistics_timeframe(client: TestClient, owner_engine: Engine) -> None:
    every = _get(client, "/patterns", limit=500)["data"]
    momentum = _get(client, "/patterns", category="momentum", limit=500)["data"]
    assert momentum == [p for p in every if p["category"] == "momentum"] and momentum
    hourly = _get(client, "/patterns", timeframe=60, limit=500)["data"]
    assert [p["slug"] for p in hourly] == [p["slug"] for p in every]
    count = _sql(owner_engine, "SELECT count(*) FROM pattern_statistics WHERE timeframe = 60")[0][0]
    assert sum(len(p["statistics"]) for p in hourly) == count > 0
    assert all(s["timeframe"] == 60 for p in hourly for s in p["statistics"])
    assert _get(client, "/patterns", category="nothing")["data"] == []


def test_a_pattern_by_slug_is_its_registry_row(client: TestClient) -> None:
    listed = {p["slug"]: p for p in _get(client, "/patterns", limit=500)["data"]}
    for slug in ("bull_flag", "head_shoulders"):
        assert _get(client, f"/patterns/{slug.upper()}")["data"] == listed[slug]
    daily = _get(client, "/patterns/bull_flag", timeframe=1440)["data"]
    assert daily["statistics"] == [s for s in listed["bull_flag"]["statistics"] if s["timeframe"] == 1440]


def test_coin_patterns_walk_the_pattern_signals_in_the_documented_order(
    client: TestClient, owner_engine: Engine, symbols: list[str]
) -> None:
    coin_id = _coin_id(owner_engine, symbols[0])
    expected = [r[0] for r in _sql(owner_engine, (
        f"SELECT id FROM signals WHERE coin_id = :c AND source = 'pattern' "
        f"ORDER BY candle_timestamp DESC, {KIND_RANK} DESC, confidence DESC, id DESC"), c=coin_id)]
    walked, pages = _walk(client, f"/coins/{symbols[0].lower()}/patterns", {}, 500)
    assert [r["id"] for r in walked] == expected and len(expected) > 500 and pages == -(-len(expected) // 500)
    assert {r["symbol"] for r in walked} == {symbols[0]}
    for r in walked:
        if r["kind"] == "pattern":
            assert r["signal_type"] == f"pattern_{r['pattern_slug']}"
        else:
            assert r["signal_type"].startswith(f"pattern_{r['kind']}_") and r["pattern_slug"] is None
    clusters = {(tf, ts): sorted(types) for tf, ts, types in _sql(owner_engine, (
        "SELECT timeframe, candle_timestamp, array_agg(signal_type) FROM signals WHERE coin_id = :c "
        "AND signal_type LIKE 'pattern\\_cluster\\_%' GROUP BY 1, 2"), c=coin_id)}
    assert clusters, "the pipeline raised no cluster"
    for r in walked:
        assert r["cluster_membership"] == clusters.get((r["timeframe"], _time(r["candle_timestamp"])), [])
    cycles = {(tf, ts): (phase, conf) for tf, ts, phase, conf in _sql(owner_engine, (
        "SELECT timeframe, timestamp, cycle_phase, confidence FROM market_cycles WHERE coin_id = :c"), c=coin_id)}
    for r in walked:
        assert (r["cycle_phase"], r["cycle_confidence"]) == cycles.get(
            (r["timeframe"], _time(r["candle_timestamp"])), (None, None))


def test_coin_patterns_filter_by_kind_and_timeframe(client: TestClient, owner_engine: Engine,
                                                    symbols: list[str]) -> None:
    coin_id = _coin_id(owner_engine, symbols[1])
    path = f"/coins/{symbols[1]}/patterns"
    metas, _ = _walk(client, path, {"kind": ["cluster", "hierarchy"], "timeframe": 15}, 7)
    count = _sql(owner_engine, (
        "SELECT count(*) FROM signals WHERE coin_id = :c AND timeframe = 15 AND (signal_type LIKE "
        "'pattern\\_cluster\\_%' OR signal_type LIKE 'pattern\\_hierarchy\\_%')"), c=coin_id)[0][0]
    assert len(metas) == count > 7 and len({r["id"] for r in metas}) == count
    assert {r["kind"] for r in metas} <= {"cluster", "hierarchy"} and {r["timeframe"] for r in metas} == {15}
    keys = [(r["candle_timestamp"], {"cluster": 1, "hierarchy": 0}[r["kind"]], r["confidence"], r["id"])
            for r in metas]
    assert keys == sorted(keys, reverse=True)


def test_signal_history_is_every_outcome_of_the_coin_newest_first(
    client: TestClient, owner_engine: Engine, symbols: list[str]
) -> None:
    coin_id = _coin_id(owner_engine, symbols[1])
    stored = _sql(owner_engine, (
        "SELECT candle_timestamp, timeframe, signal_type, result_return, return_4b, mae_72h FROM signal_outcomes "
        "WHERE coin_id = :c ORDER BY candle_timestamp DESC, timeframe DESC, signal_type DESC"), c=coin_id)
    walked, _ = _walk(client, f"/coins/{symbols[1]}/signal-history", {}, 500)
    assert [(_time(r["candle_timestamp"]), r["timeframe"], r["signal_type"]) for r in walked] == [
        tuple(s[:3]) for s in stored] and len(stored) > 500
    for r, s in zip(walked, stored, strict=True):
        assert (r["result_return"], r["return_4b"], r["mae_72h"]) == tuple(s[3:])
        assert r["result"] == (None if s[3] is None else "win" if s[3] > 0 else "loss")
    assert {"win", "loss"} <= {r["result"] for r in walked}


def test_signal_history_filters_and_pages(client: TestClient, owner_engine: Engine, symbols: list[str]) -> None:
    path = f"/coins/{symbols[2]}/signal-history"
    every = _walk(client, path, {}, 500)[0]
    kinds = sorted({r["signal_type"] for r in every})[:2]
    chosen = _get(client, path, signal_type=kinds, limit=500)["data"]
    assert chosen == [r for r in every if r["signal_type"] in kinds][:500] and chosen
    hourly, pages = _walk(client, path, {"timeframe": 60}, 50)
    assert hourly == [r for r in every if r["timeframe"] == 60] and pages > 2
    count = _sql(owner_engine, "SELECT count(*) FROM signal_outcomes WHERE coin_id = :c AND timeframe = 60",
                 c=_coin_id(owner_engine, symbols[2]))[0][0]
    assert len(hourly) == count


def test_coin_regime_lists_each_timeframe_and_the_primary_one_is_canonical(
    client: TestClient, owner_engine: Engine, symbols: list[str]
) -> None:
    coin_id = _coin_id(owner_engine, symbols[0])
    stored = _sql(owner_engine, (
        "SELECT timeframe, market_regime, regime_confidence, is_primary FROM coin_metrics WHERE coin_id = :c "
        "AND market_regime IS NOT NULL ORDER BY timeframe"), c=coin_id)
    body = _get(client, f"/coins/{symbols[0].lower()}/regime")
    assert [(r["timeframe"], r["regime"], r["confidence"], r["is_primary"]) for r in body["data"]] == [
        tuple(s) for s in stored] and body["count"] == len(stored) > 1
    primary = next(s for s in stored if s[3])
    assert (body["canonical_timeframe"], body["canonical_regime"]) == (primary[0], primary[1])
    for r in body["data"]:
        newest = _sql(owner_engine, (
            "SELECT regime, timestamp, previous_regime FROM regime_changes WHERE coin_id = :c AND timeframe = :t "
            "ORDER BY timestamp DESC LIMIT 1"), c=coin_id, t=r["timeframe"])
        if newest and newest[0][0] == r["regime"]:
            assert (_time(r["since"]), r["previous_regime"]) == (newest[0][1], newest[0][2])
        else:
            assert r["since"] is None and r["previous_regime"] is None
    assert any(r["since"] for r in body["data"])


@pytest.fixture
def primary_without_regime(owner_engine: Engine, symbols: list[str]) -> Iterator[int]:
    """The first coin's primary row loses its regime (restored afterwards)."""
    coin_id = _coin_id(owner_engine, symbols[0])
    with owner_engine.begin() as connection:
        saved = connection.execute(text(
            "SELECT timeframe, market_regime, regime_confidence FROM coin_metrics WHERE coin_id = :c AND is_primary"),
            {"c": coin_id}).one()
        connection.execute(update(coin_metrics).where(coin_metrics.c.coin_id == coin_id, coin_metrics.c.is_primary)
                           .values(market_regime=None, regime_confidence=None))
    yield coin_id
    with owner_engine.begin() as connection:
        connection.execute(update(coin_metrics).where(coin_metrics.c.coin_id == coin_id,
                                                      coin_metrics.c.timeframe == saved[0])
                           .values(market_regime=saved[1], regime_confidence=saved[2]))


def test_without_a_primary_regime_the_canonical_one_is_the_longest_timeframe(
    client: TestClient, owner_engine: Engine, symbols: list[str], primary_without_regime: int
) -> None:
    body = _get(client, f"/coins/{symbols[0]}/regime")
    known = {r["timeframe"]: r["regime"] for r in body["data"]}
    assert not any(r["is_primary"] for r in body["data"])
    expected = next(tf for tf in (1440, 240, 60, 15) if tf in known)
    assert (body["canonical_timeframe"], body["canonical_regime"]) == (expected, known[expected])


def test_market_regimes_walk_every_change_newest_first(client: TestClient, owner_engine: Engine,
                                                       symbols: list[str]) -> None:
    stored = _sql(owner_engine, "SELECT coin_id, timeframe, timestamp, regime FROM regime_changes "
                                "ORDER BY timestamp DESC, coin_id DESC, timeframe DESC")
    walked, pages = _walk(client, "/market/regimes", {}, 100)
    assert [(r["coin_id"], r["timeframe"], _time(r["timestamp"]), r["regime"]) for r in walked] == [
        tuple(s) for s in stored] and pages == -(-len(stored) // 100) > 1
    mine = _get(client, "/market/regimes", symbol=symbols[3].lower(), timeframe=15, limit=500)["data"]
    assert mine == [r for r in walked if r["symbol"] == symbols[3] and r["timeframe"] == 15] and mine
    bullish = _get(client, "/market/regimes", regime="bull_trend", limit=500)["data"]
    assert bullish == [r for r in walked if r["regime"] == "bull_trend"][:500] and bullish
    assert _get(client, "/market/regimes", symbol="NOPE")["data"] == []


def _newest_cycles(engine: Engine) -> dict[tuple[int, int], tuple[Any, ...]]:
    rows = _sql(engine, "SELECT DISTINCT ON (coin_id, timeframe) coin_id, timeframe, cycle_phase, confidence, "
                        "timestamp FROM market_cycles ORDER BY coin_id, timeframe, timestamp DESC")
    return {(r[0], r[1]): tuple(r[2:]) for r in rows}


def test_market_cycle_is_each_coins_newest_phase_by_confidence(client: TestClient, owner_engine: Engine) -> None:
    newest = _newest_cycles(owner_engine)
    body = _get(client, "/market/cycle", limit=500)
    assert body["count"] == len(newest) == 6 * 4
    for r in body["data"]:
        assert (r["cycle_phase"], r["confidence"], _time(r["detected_at"])) == newest[(r["coin_id"], r["timeframe"])]
    order = dict(_sql(owner_engine, "SELECT symbol, sort_order FROM coins"))
    keys = [(-r["confidence"], order[r["symbol"]], r["symbol"], r["timeframe"]) for r in body["data"]]
    assert keys == sorted(keys)
    walked, pages = _walk(client, "/market/cycle", {}, 5)
    assert walked == body["data"] and pages == 5
    hourly = _get(client, "/market/cycle", timeframe=60)["data"]
    assert hourly == [r for r in body["data"] if r["timeframe"] == 60]
    phase = body["data"][0]["cycle_phase"]
    assert _get(client, "/market/cycle", phase=phase)["data"] == [r for r in body["data"] if r["cycle_phase"] == phase]


@pytest.fixture
def old_confident_cycle(owner_engine: Engine, symbols: list[str]) -> Iterator[int]:
    """A very confident phase a month before the first coin's history: never its newest."""
    coin_id = _coin_id(owner_engine, symbols[0])
    at = datetime(2024, 1, 6, tzinfo=UTC)
    with owner_engine.begin() as connection:
        connection.execute(insert(market_cycles).values(coin_id=coin_id, timeframe=15, timestamp=at,
                                                        cycle_phase="CAPITULATION", confidence=0.99))
    yield coin_id
    with owner_engine.begin() as connection:
        connection.execute(delete(market_cycles).where(market_cycles.c.coin_id == coin_id,
                                                       market_cycles.c.timestamp == at))


def test_an_older_phase_never_shows(client: TestClient, symbols: list[str], old_confident_cycle: int) -> None:
    mine = _get(client, "/market/cycle", symbol=symbols[0], timeframe=15)["data"]
    assert len(mine) == 1 and mine[0]["confidence"] < 0.99
    assert _time(mine[0]["detected_at"]) > datetime(2024, 1, 6, tzinfo=UTC) + timedelta(days=1)


@pytest.mark.parametrize("path", ["/coins/NOPE/patterns", "/coins/NOPE/signal-history", "/coins/NOPE/regime",
                                  "/patterns/no_such_pattern"])
def test_unknown_symbols_and_slugs_get_404(client: TestClient, path: str) -> None:
    response = client.get(PREFIX + path)
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "resource_not_found" and body["domain"] == "patterns"
    assert body["details"][0]["value"] in ("NOPE", "no_such_pattern")
    template = path.replace("NOPE", "{symbol}").replace("no_such_pattern", "{slug}")
    document = _openapi(client)
    assert validate(body, response_schema(document, PREFIX + template, 404), document) == []


BAD_PARAMETERS = [
    ("/patterns", {"limit": 0}, "limit"),
    ("/patterns", {"timeframe": 7}, "timeframe"),
    ("/patterns", {"cursor": encode_cursor([1, 2])}, "cursor"),
    ("/patterns/{slug}", {"timeframe": "1h"}, "timeframe"),
    ("/coins/{symbol}/patterns", {"kind": "candle"}, "kind"),
    ("/coins/{symbol}/patterns", {"limit": 501}, "limit"),
    ("/coins/{symbol}/patterns", {"cursor": encode_cursor([datetime(2024, 2, 10, tzinfo=UTC), 2, "high", 1])},
     "cursor"),  # the right shape, but a confidence that is not a number
    ("/coins/{symbol}/signal-history", {"timeframe": 2}, "timeframe"),
    ("/coins/{symbol}/signal-history", {"cursor": "not-a-cursor"}, "cursor"),
    ("/market/regimes", {"regime": "bull_market"}, "regime"),
    ("/market/regimes", {"limit": 0}, "limit"),
    ("/market/cycle", {"phase": "markup"}, "phase"),
    ("/market/cycle", {"cursor": encode_cursor(["-0.8", 1, "BTCUSD"])}, "cursor"),
]


@pytest.mark.parametrize(("template", "params", "field"), BAD_PARAMETERS,
                         ids=[f"{t}{p}" for t, p, _ in BAD_PARAMETERS])
def test_bad_parameters_get_the_422_envelope(client: TestClient, symbols: list[str], template: str,
                                             params: dict[str, Any], field: str) -> None:
    path = template.replace("{symbol}", symbols[0]).replace("{slug}", "bull_flag")
    response = client.get(PREFIX + path, params=params)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] in ("validation_failed", "invalid_cursor") and field in {d["field"] for d in body["details"]}
    assert response.headers["cache-control"] == "no-store"
    document = _openapi(client)
    assert validate(body, response_schema(document, PREFIX + template, 422), document) == []


def test_a_slug_with_other_characters_is_a_422(client: TestClient) -> None:
    response = client.get(f"{PREFIX}/patterns/bull-flag")
    assert response.status_code == 422 and response.json()["details"][0]["field"] == "slug"
