"""Every route answers over a really materialized pipeline, and sends what OpenAPI documents."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.openapi_schema import response_schema, validate

PREFIX = "/api/v1"
# (OpenAPI path, request path with {symbol} standing for a real coin)
ROUTES = [
    ("/coins", "/coins?limit=3"),
    ("/coins/{symbol}/history", "/coins/{symbol}/history"),
    ("/coins/{symbol}/history", "/coins/{symbol}/history?interval=1h&limit=30"),
    ("/coins/{symbol}/history", "/coins/{symbol}/history?interval=4h&include_partial=true"),
    ("/coins/{symbol}/history", "/coins/{symbol}/history?interval=1d&start=2024-02-07&end=2024-02-09T00:00:00Z"),
    ("/coins/metrics", "/coins/metrics"),
    ("/coins/{symbol}/metrics", "/coins/{symbol}/metrics"),
    ("/coins/{symbol}/indicators", "/coins/{symbol}/indicators?interval=1h&limit=5"),
    ("/signals", "/signals?limit=20"),
    ("/signals", "/signals?timeframe=60&source=indicator&limit=5"),
    ("/coins/{symbol}/signals", "/coins/{symbol}/signals?limit=5"),
    ("/market/radar", "/market/radar"),
    ("/market/radar", "/market/radar?limit=24"),
    ("/market/flow", "/market/flow?limit=3&timeframe=240"),
    ("/anomalies", "/anomalies"),
    ("/anomalies", "/anomalies?status=resolved&status=cooling&severity=high&limit=5"),
    ("/decisions", "/decisions?limit=5"),
    ("/decisions/top", "/decisions/top"),
    ("/coins/{symbol}/decision", "/coins/{symbol}/decision"),
    ("/final-signals", "/final-signals?limit=5"),
    ("/final-signals/top", "/final-signals/top"),
    ("/coins/{symbol}/final-signal", "/coins/{symbol}/final-signal"),
    ("/market-decisions", "/market-decisions?limit=5"),
    ("/market-decisions/top", "/market-decisions/top"),
    ("/coins/{symbol}/market-decision", "/coins/{symbol}/market-decision"),
    ("/coins/{symbol}/decisions/history", "/coins/{symbol}/decisions/history?limit=5"),
    ("/backtests", "/backtests?limit=5"),
    ("/backtests/top", "/backtests/top?limit=5"),
    ("/coins/{symbol}/backtests", "/coins/{symbol}/backtests?limit=5"),
    ("/strategies", "/strategies?limit=5"),
    ("/strategies/performance", "/strategies/performance?limit=5"),
    ("/portfolio/state", "/portfolio/state"),
    ("/portfolio/positions", "/portfolio/positions?status=all"),
    ("/portfolio/actions", "/portfolio/actions?limit=5"),
    ("/portfolio/equity", "/portfolio/equity?limit=5"),
    ("/portfolio/accounts", "/portfolio/accounts"),
    ("/portfolio/balances", "/portfolio/balances"),
    ("/patterns", "/patterns?limit=5"),
    ("/patterns/{slug}", "/patterns/bull_flag"),
    ("/coins/{symbol}/patterns", "/coins/{symbol}/patterns?limit=5"),
    ("/coins/{symbol}/signal-history", "/coins/{symbol}/signal-history?limit=5"),
    ("/coins/{symbol}/regime", "/coins/{symbol}/regime"),
    ("/market/regimes", "/market/regimes?limit=5"),
    ("/market/cycle", "/market/cycle?limit=5"),
    ("/sectors", "/sectors"),
    ("/sectors/metrics", "/sectors/metrics"),
    ("/sectors/rotations", "/sectors/rotations"),
    ("/relations", "/relations"),
    ("/coins/{symbol}/relations", "/coins/{symbol}/relations"),
    ("/market/leaders", "/market/leaders?limit=5"),
    ("/predictions", "/predictions"),
    ("/predictions/quality", "/predictions/quality"),
    ("/health", "/health"),
]
SNAPSHOT_FIELDS = {"generated_at", "staleness_ms", "freshness_class", "consistency", "source_run_id"}


def _get(client: TestClient, path: str, symbol: str) -> Any:
    return client.get(PREFIX + path.replace("{symbol}", symbol))


@pytest.mark.parametrize(("template", "path"), ROUTES, ids=[p for _, p in ROUTES])
def test_route_answers_with_its_documented_schema(client: TestClient, symbols: list[str], template: str,
                                                  path: str) -> None:
    response = _get(client, path, symbols[0])
    assert response.status_code == 200, response.text
    document = client.app.openapi()
    errors = validate(response.json(), response_schema(document, PREFIX + template, 200), document)
    assert errors == []
    if template != "/health":
        assert set(response.json()) >= SNAPSHOT_FIELDS
        assert response.headers["etag"].startswith('W/"')


def test_every_documented_route_is_exercised(client: TestClient) -> None:
    documented = {path for path, item in client.app.openapi()["paths"].items() if "get" in item}
    exercised = {PREFIX + template for template, _ in ROUTES} | {PREFIX + "/coins/{symbol}/chart",
                                                                 PREFIX + "/anomalies/{anomaly_id}",
                                                                 PREFIX + "/predictions/{prediction_id}"}
    assert documented == exercised


def test_every_route_has_a_description_and_an_operation_id(client: TestClient) -> None:
    operations = [item["get"] for item in client.app.openapi()["paths"].values()]
    assert all(op.get("description") for op in operations)
    ids = [op["operationId"] for op in operations]
    assert len(set(ids)) == len(ids) and "market_read_market_radar" in ids


def test_coins_lists_every_coin_in_sort_order(client: TestClient) -> None:
    body = client.get(f"{PREFIX}/coins").json()
    assert body["count"] == 6 and body["next_cursor"] is None
    keys = [(c["sort_order"], c["symbol"]) for c in body["data"]]
    assert keys == sorted(keys)
    assert all(c["sector"] and c["intervals"] == ["15m", "1h", "4h", "1d"] for c in body["data"])


@pytest.mark.parametrize(("interval", "minutes"), [("15m", 15), ("1h", 60), ("4h", 240), ("1d", 1440)])
def test_history_answers_for_every_interval_in_ascending_time(
    client: TestClient, symbols: list[str], interval: str, minutes: int
) -> None:
    body = client.get(f"{PREFIX}/coins/{symbols[1]}/history", params={"interval": interval, "limit": 5000}).json()
    stamps = [datetime.fromisoformat(c["timestamp"]) for c in body["data"]]
    assert body["interval"] == interval and body["count"] == len(stamps) > 0
    assert stamps == sorted(stamps)
    assert all(int(ts.timestamp()) % (minutes * 60) == 0 for ts in stamps)
    assert all(c["price"] == c["close"] and c["low"] <= c["open"] <= c["high"] for c in body["data"])
    assert not any(c["is_partial"] for c in body["data"])
    assert len(stamps) == 5 * 1440 // minutes  # five whole days of closed buckets


def test_partial_buckets_come_only_when_asked(client: TestClient, symbols: list[str], owner_engine: Any) -> None:
    from sqlalchemy import text

    with owner_engine.begin() as connection:  # a day whose last 15m candles are missing → partial 1d bucket
        connection.execute(text(
            "UPDATE candle_aggregates SET is_partial = true, base_count = 90 WHERE timeframe = 1440 "
            "AND timestamp = '2024-02-10T00:00:00Z' AND coin_id = (SELECT id FROM coins WHERE symbol = :s)"),
            {"s": symbols[2]})
    closed = client.get(f"{PREFIX}/coins/{symbols[2]}/history", params={"interval": "1d"}).json()
    everything = client.get(f"{PREFIX}/coins/{symbols[2]}/history",
                            params={"interval": "1d", "include_partial": "true"}).json()
    assert closed["count"] == 4 and everything["count"] == 5
    assert [c["is_partial"] for c in everything["data"]] == [False] * 4 + [True]


def test_metrics_list_has_the_primary_row_and_regimes_per_timeframe(client: TestClient) -> None:
    body = client.get(f"{PREFIX}/coins/metrics").json()
    assert body["count"] == 6 and body["consistency"] == "derived"
    for row in body["data"]:
        assert row["is_primary"] is True
        details = row["market_regime_details"]
        assert details is not None and list(details) == sorted(details, key=int)
        assert details[str(row["timeframe"])]["regime"] == row["market_regime"]
        assert row["price_change_24h_pct"] is None or abs(row["price_change_24h_pct"]) < 50  # percent


def test_coin_metrics_cover_every_timeframe(client: TestClient, symbols: list[str]) -> None:
    body = client.get(f"{PREFIX}/coins/{symbols[0].lower()}/metrics").json()
    assert [r["timeframe"] for r in body["data"]] == [15, 60, 240, 1440]
    assert sum(r["is_primary"] for r in body["data"]) == 1
    assert body["primary_timeframe"] == next(r["timeframe"] for r in body["data"] if r["is_primary"])


def test_indicators_are_per_candle_rows_matching_history(client: TestClient, symbols: list[str]) -> None:
    rows = client.get(f"{PREFIX}/coins/{symbols[0]}/indicators", params={"interval": "1h", "limit": 10}).json()
    candles = client.get(f"{PREFIX}/coins/{symbols[0]}/history", params={"interval": "1h", "limit": 10}).json()
    assert [r["timestamp"] for r in rows["data"]] == [c["timestamp"] for c in candles["data"]]
    assert [r["close"] for r in rows["data"]] == [c["close"] for c in candles["data"]]
    assert all(r["sma_20"] is not None for r in rows["data"])


def test_signals_filter_by_symbol_timeframe_type_and_source(client: TestClient, symbols: list[str]) -> None:
    every = client.get(f"{PREFIX}/signals", params={"limit": 500}).json()["data"]
    assert every, "the pipeline raised no signal"
    kind = every[0]["signal_type"]
    filtered = client.get(f"{PREFIX}/signals", params={"symbol": symbols[0].lower(), "timeframe": 60,
                                                       "signal_type": kind, "limit": 500}).json()["data"]
    assert all(s["symbol"] == symbols[0] and s["timeframe"] == 60 and s["signal_type"] == kind for s in filtered)
    assert client.get(f"{PREFIX}/signals", params={"symbol": "NOPE"}).json()["data"] == []
    assert client.get(f"{PREFIX}/signals", params={"source": "nobody"}).json()["data"] == []
    per_coin = client.get(f"{PREFIX}/coins/{symbols[0]}/signals", params={"limit": 500}).json()["data"]
    assert per_coin and {s["symbol"] for s in per_coin} == {symbols[0]}


def test_radar_lists_are_slices_of_the_projection(client: TestClient) -> None:
    wide = client.get(f"{PREFIX}/market/radar", params={"limit": 24}).json()
    narrow = client.get(f"{PREFIX}/market/radar", params={"limit": 2}).json()
    for name in ("hot_coins", "emerging_coins", "regime_changes", "volatility_spikes"):
        assert narrow[name] == wide[name][:2]
    assert wide["regime_changes"] and wide["source_run_id"] and wide["consistency"] == "derived"


def test_flow_answers_with_its_timeframe(client: TestClient) -> None:
    body = client.get(f"{PREFIX}/market/flow", params={"timeframe": 240, "limit": 5}).json()
    assert body["timeframe"] == 240 and body["limit"] == 5
    assert all(s["timeframe"] == 240 for s in body["sectors"])
    assert all(len(body[name]) <= 5 for name in ("leaders", "relations", "sectors", "rotations"))


def test_anomalies_default_to_open_ones_and_answer_by_id(client: TestClient) -> None:
    document = client.app.openapi()
    listed = client.get(f"{PREFIX}/anomalies", params={"limit": 500}).json()["data"]
    assert listed and {a["status"] for a in listed} <= {"new", "active"}
    times = [(a["detected_at"], a["id"]) for a in listed]
    assert times == sorted(times, reverse=True)
    resolved = client.get(f"{PREFIX}/anomalies", params={"status": "resolved", "limit": 500}).json()["data"]
    assert resolved and {a["status"] for a in resolved} == {"resolved"}
    one = client.get(f"{PREFIX}/anomalies/{resolved[0]['id']}")
    assert one.status_code == 200 and one.json()["data"] == resolved[0]
    schema = response_schema(document, PREFIX + "/anomalies/{anomaly_id}", 200)
    assert validate(one.json(), schema, document) == []


def test_health_reports_dependencies_and_projection_times(client: TestClient) -> None:
    body = client.get(f"{PREFIX}/health").json()
    assert body["status"] == "ok" and body["database"] and body["redis"]
    assert {p["name"] for p in body["projections"]} >= {"market_flow", "market_radar"}
    assert all(p["generated_at"] and p["run_id"] for p in body["projections"])


def test_responses_carry_a_request_id(client: TestClient) -> None:
    assert len(client.get(f"{PREFIX}/coins").headers["x-request-id"]) == 32
    echoed = client.get(f"{PREFIX}/coins", headers={"X-Request-ID": "trace-42"})
    assert echoed.headers["x-request-id"] == "trace-42"
