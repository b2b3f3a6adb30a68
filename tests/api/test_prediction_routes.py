"""Prediction routes over the pipeline database plus a known set of predictions written here.

The five synthetic days raise leaders before any relation is active, so the pipeline creates no
prediction; the ``ledger`` fixture writes predictions on the active relations of the newest snapshot
(every status, decided ones with outcomes) and then really materializes the ``prediction_quality``
asset over them, so the quality route serves what the asset computed.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import dagster as dg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert, text, update

from iris_assets.definitions import ALL_ASSETS
from iris_resources.db.resources import DatabaseResource, TransactionResource
from iris_resources.market_data.tables import coins
from iris_resources.predictions.tables import market_predictions
from tests.api.openapi_schema import response_schema, validate
from tests.api.test_statement_counts import counting

PREFIX = "/api/v1"
SNAPSHOT_FIELDS = {"generated_at", "staleness_ms", "freshness_class", "consistency", "source_run_id"}
T0 = datetime(2024, 2, 9, 1, tzinfo=UTC)
STATUSES = ("confirmed", "failed", "expired", "pending", "confirmed", "failed", "confirmed")
N_PREDICTIONS = 28
QUALITY_ASSET = next(a for a in ALL_ASSETS for key in a.keys if key.to_user_string() == "prediction_quality")


@dataclass(frozen=True)
class Ledger:
    """The seeded predictions: ids newest first and the symbol of every coin id."""

    ids: list[int]
    symbols: dict[int, str]


def _openapi(client: TestClient) -> dict[str, Any]:
    return cast(FastAPI, client.app).openapi()


def _get(client: TestClient, path: str, **params: Any) -> dict[str, Any]:
    response = client.get(PREFIX + path, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _sql(engine: Engine, statement: str, **params: Any) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(text(statement), params).all())


def _prediction(n: int, relation: Any) -> dict[str, Any]:
    leader, follower, timeframe, lag_bars, confidence, correlation = relation
    up = n % 2 == 0
    magnitude = 0.01 + 0.002 * n
    created = T0 + timedelta(minutes=90 * n)
    deadline = created + timedelta(minutes=timeframe * (lag_bars + 4))
    status = STATUSES[n % len(STATUSES)]
    row: dict[str, Any] = {
        "prediction_type": "cross_market_follow_through", "leader_coin_id": leader, "follower_coin_id": follower,
        "timeframe": timeframe, "prediction_event": "leader_breakout" if up else "leader_breakdown",
        "expected_move": "up" if up else "down", "expected_magnitude": magnitude, "entry_price": 100.0 + n,
        "target_price": (100.0 + n) * (1 + magnitude if up else 1 - magnitude), "success_threshold": 0.015,
        "lag_bars": lag_bars, "window_bars": 4, "confidence": 0.5 + n / 100, "relation_confidence": confidence,
        "relation_correlation": correlation, "created_at": created, "deadline": deadline, "status": status,
        "reason": None, "success": None, "actual_move": None, "realized_return": None, "profit": None,
        "candles_used": None, "decided_candle": None, "evaluated_at": None,
    }
    if status in ("confirmed", "failed"):
        realized = magnitude * (1.3 if status == "confirmed" else -0.7) + n / 10_000
        move = realized if up else -realized
        row.update(reason="target_reached" if status == "confirmed" else "opposite_move",
                   success=status == "confirmed", actual_move=move, realized_return=realized, profit=realized,
                   candles_used=3, decided_candle=created + timedelta(minutes=timeframe * 3),
                   evaluated_at=deadline)
    elif status == "expired":
        row.update(reason="no_data", success=False, candles_used=0, evaluated_at=deadline)
    return row


@pytest.fixture(scope="module")
def ledger(owner_engine: Engine, api_database_url: str) -> Ledger:
    """Predictions on the newest snapshot's active relations, then the quality asset materialized."""
    relations = _sql(owner_engine, (
        "SELECT leader_coin_id, follower_coin_id, timeframe, lag_bars, confidence, correlation FROM coin_relations "
        "WHERE active AND as_of = (SELECT max(as_of) FROM coin_relations) ORDER BY confidence DESC"))
    assert len(relations) >= 2, "the pipeline left too few active relations to predict on"
    rows = [_prediction(n, relations[n % len(relations)]) for n in range(N_PREDICTIONS)]
    with owner_engine.begin() as connection:
        connection.execute(insert(market_predictions), rows)
    database = DatabaseResource(url=api_database_url, pool_size=1)
    try:
        with dg.DagsterInstance.ephemeral() as instance:
            result = dg.materialize([QUALITY_ASSET], resources={"transaction": TransactionResource(database=database)},
                                    instance=instance, run_config={"loggers": {"console": {"config": {
                                        "log_level": "WARNING"}}}})
        assert result.success
    finally:
        if database._engine is not None:
            database._engine.dispose()
    ids = [r[0] for r in _sql(owner_engine, "SELECT id FROM market_predictions ORDER BY created_at DESC, id DESC")]
    return Ledger(ids=ids, symbols=dict(_sql(owner_engine, "SELECT id, symbol FROM coins")))


def test_before_any_decided_prediction_quality_is_empty_but_answers(client: TestClient, owner_engine: Engine) -> None:
    """Holds on the pipeline's own output (no prediction decided) and on the seeded ledger alike."""
    body = _get(client, "/predictions/quality")
    stored = _sql(owner_engine, "SELECT payload, generated_at, run_id FROM projections "
                                "WHERE name = 'prediction_quality'")
    assert body["consistency"] == "derived"
    if not stored or not stored[0][0]:
        assert body["overall"] is None and body["timeframes"] == [] and body["relations"] == []
    if stored:
        assert datetime.fromisoformat(body["generated_at"]) == stored[0][1] and body["source_run_id"] == stored[0][2]


ROUTES = [
    ("/predictions", "/predictions"),
    ("/predictions", "/predictions?status=confirmed&limit=3"),
    ("/predictions", "/predictions?symbol={symbol}&timeframe=60"),
    ("/predictions/quality", "/predictions/quality"),
    ("/predictions/{prediction_id}", "/predictions/{id}"),
]


@pytest.mark.parametrize(("template", "path"), ROUTES, ids=[p for _, p in ROUTES])
def test_route_answers_with_its_documented_schema(client: TestClient, ledger: Ledger, template: str,
                                                  path: str) -> None:
    symbol = ledger.symbols[_get(client, "/predictions", limit=1)["data"][0]["leader_coin_id"]]
    response = client.get(PREFIX + path.replace("{symbol}", symbol).replace("{id}", str(ledger.ids[3])))
    assert response.status_code == 200, response.text
    body = response.json()
    document = _openapi(client)
    assert validate(body, response_schema(document, PREFIX + template, 200), document) == []
    assert set(body) >= SNAPSHOT_FIELDS
    assert body.get("data") or body.get("overall"), f"{path} answered no data"
    etag = response.headers["etag"]
    assert client.get(response.url, headers={"If-None-Match": etag}).status_code == 304


def test_predictions_are_listed_newest_first_with_coins_and_outcomes(
    client: TestClient, owner_engine: Engine, ledger: Ledger
) -> None:
    body = _get(client, "/predictions", limit=500)
    assert [p["id"] for p in body["data"]] == ledger.ids and len(ledger.ids) == N_PREDICTIONS
    stored = {r._mapping["id"]: r._mapping for r in _sql(owner_engine, "SELECT * FROM market_predictions")}
    for p in body["data"]:
        row = stored[p["id"]]
        assert p["leader_symbol"] == ledger.symbols[row["leader_coin_id"]]
        assert (p["target_coin_id"], p["target_symbol"]) == (row["follower_coin_id"],
                                                             ledger.symbols[row["follower_coin_id"]])
        assert p["lag_hours"] == row["lag_bars"] * row["timeframe"] / 60
        assert datetime.fromisoformat(p["evaluation_time"]) == datetime.fromisoformat(p["deadline"]) == row["deadline"]
        for name in ("status", "reason", "success", "actual_move", "realized_return", "profit", "expected_magnitude",
                     "target_price", "candles_used", "confidence"):
            assert p[name] == row[name], name
    assert {p["status"] for p in body["data"]} == {"pending", "confirmed", "failed", "expired"}
    assert _get(client, "/predictions")["limit"] == 50


def test_predictions_filter_by_status_symbol_and_timeframe(client: TestClient, ledger: Ledger) -> None:
    every = _get(client, "/predictions", limit=500)["data"]
    for status in ("pending", "confirmed", "failed", "expired"):
        assert _get(client, "/predictions", status=status, limit=500)["data"] == [
            p for p in every if p["status"] == status]
    symbol = every[0]["target_symbol"]
    mine = _get(client, "/predictions", symbol=symbol.lower(), limit=500)["data"]
    assert mine == [p for p in every if symbol in (p["leader_symbol"], p["target_symbol"])] and mine
    assert _get(client, "/predictions", timeframe=60, limit=500)["data"] == [p for p in every if p["timeframe"] == 60]
    assert _get(client, "/predictions", timeframe=1440)["data"] == []
    assert _get(client, "/predictions", symbol="NOPE")["data"] == []


@pytest.mark.parametrize("limit", [1, 5, 9])
def test_walking_the_pages_yields_every_prediction_once(client: TestClient, ledger: Ledger, limit: int) -> None:
    seen: list[int] = []
    cursor, pages = None, 0
    while True:
        body = _get(client, "/predictions", limit=limit, **({"cursor": cursor} if cursor else {}))
        seen += [p["id"] for p in body["data"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == ledger.ids and pages == -(-N_PREDICTIONS // limit)


def test_a_prediction_by_id_is_its_list_item(client: TestClient, ledger: Ledger) -> None:
    listed = {p["id"]: p for p in _get(client, "/predictions", limit=500)["data"]}
    for prediction_id in (ledger.ids[0], ledger.ids[-1], ledger.ids[10]):
        assert _get(client, f"/predictions/{prediction_id}")["data"] == listed[prediction_id]


def _ranks(values: list[float]) -> list[float]:
    order = sorted(range(len(values)), key=lambda i: values[i])
    assert len(set(values)) == len(values)  # no ties in the seeded data
    ranks = [0.0] * len(values)
    for rank, i in enumerate(order):
        ranks[i] = float(rank)
    return ranks


def test_quality_is_the_materialized_hit_rate_and_information_coefficients(
    client: TestClient, owner_engine: Engine, ledger: Ledger
) -> None:
    body = _get(client, "/predictions/quality")
    decided = [r._mapping for r in _sql(owner_engine, "SELECT * FROM market_predictions WHERE status <> 'pending'")]
    count = {s: sum(r["status"] == s for r in decided) for s in ("confirmed", "failed", "expired")}
    overall = body["overall"]
    assert (overall["predictions"], overall["confirmed"], overall["failed"], overall["expired"]) == (
        len(decided), count["confirmed"], count["failed"], count["expired"])
    assert overall["hit_rate"] == pytest.approx(count["confirmed"] / (count["confirmed"] + count["failed"]))
    scored = [r for r in decided if r["status"] != "expired"]
    predicted = [r["expected_magnitude"] * (1 if r["expected_move"] == "up" else -1) for r in scored]
    realized = [r["realized_return"] for r in scored]
    assert overall["scored"] == len(scored)
    assert overall["ic"] == pytest.approx(statistics.correlation(predicted, realized))
    assert overall["rank_ic"] == pytest.approx(statistics.correlation(_ranks(predicted), _ranks(realized)))
    assert [t["timeframe"] for t in body["timeframes"]] == [60]
    assert body["timeframes"][0]["predictions"] == len(decided)
    pairs = {(r["leader_coin_id"], r["follower_coin_id"]) for r in decided}
    assert {(q["leader_coin_id"], q["follower_coin_id"]) for q in body["relations"]} == pairs
    for q in body["relations"]:
        assert (q["leader_symbol"], q["follower_symbol"]) == (ledger.symbols[q["leader_coin_id"]],
                                                              ledger.symbols[q["follower_coin_id"]])
        assert q["predictions"] == sum((r["leader_coin_id"], r["follower_coin_id"]) == (
            q["leader_coin_id"], q["follower_coin_id"]) for r in decided)
    generated_at, run_id = _sql(owner_engine, "SELECT generated_at, run_id FROM projections "
                                              "WHERE name = 'prediction_quality'")[0]
    assert datetime.fromisoformat(body["generated_at"]) == generated_at and body["source_run_id"] == run_id
    assert body["consistency"] == "derived"


@pytest.fixture
def deleted_target(owner_engine: Engine, ledger: Ledger) -> Iterator[int]:
    """The first prediction's target coin is soft-deleted (restored afterwards)."""
    follower = _sql(owner_engine, "SELECT follower_coin_id FROM market_predictions WHERE id = :i",
                    i=ledger.ids[0])[0][0]
    with owner_engine.begin() as connection:
        connection.execute(update(coins).where(coins.c.id == follower).values(deleted_at=datetime.now(UTC)))
    yield follower
    with owner_engine.begin() as connection:
        connection.execute(update(coins).where(coins.c.id == follower).values(deleted_at=None))


def test_predictions_of_a_deleted_coin_are_not_served(client: TestClient, ledger: Ledger,
                                                      deleted_target: int) -> None:
    listed = _get(client, "/predictions", limit=500)["data"]
    assert listed and all(deleted_target not in (p["leader_coin_id"], p["target_coin_id"]) for p in listed)
    assert client.get(f"{PREFIX}/predictions/{ledger.ids[0]}").status_code == 404


def test_statement_counts_do_not_grow_with_the_page(client: TestClient, ledger: Ledger) -> None:
    lengths = []
    for limit in (1, 500):
        with counting(client) as statements:
            response = client.get(f"{PREFIX}/predictions", params={"limit": limit})
        assert response.status_code == 200 and len(statements) == 1
        lengths.append(len(response.content))
    assert lengths[1] > lengths[0]
    for path in (f"/predictions/{ledger.ids[0]}", "/predictions/quality"):
        with counting(client) as statements:
            assert client.get(PREFIX + path).status_code == 200
        assert len(statements) == 1, path


def test_unknown_predictions_get_404(client: TestClient, ledger: Ledger) -> None:
    response = client.get(f"{PREFIX}/predictions/{max(ledger.ids) + 1000}")
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "resource_not_found" and body["domain"] == "predictions"
    document = _openapi(client)
    assert validate(body, response_schema(document, PREFIX + "/predictions/{prediction_id}", 404), document) == []


BAD_PARAMETERS = [
    ("/predictions", {"status": "won"}, "status"),
    ("/predictions", {"limit": 0}, "limit"),
    ("/predictions", {"limit": 501}, "limit"),
    ("/predictions", {"timeframe": 90}, "timeframe"),
    ("/predictions", {"cursor": "not-a-cursor"}, "cursor"),
    ("/predictions/0", {}, "prediction_id"),
    ("/predictions/latest", {}, "prediction_id"),
]


@pytest.mark.parametrize(("path", "params", "field"), BAD_PARAMETERS, ids=[f"{p}{q}" for p, q, _ in BAD_PARAMETERS])
def test_bad_parameters_get_the_422_envelope(client: TestClient, path: str, params: dict[str, Any],
                                             field: str) -> None:
    response = client.get(PREFIX + path, params=params)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] in ("validation_failed", "invalid_cursor") and field in {d["field"] for d in body["details"]}
    template = "/predictions/{prediction_id}" if path != "/predictions" else path
    document = _openapi(client)
    assert validate(body, response_schema(document, PREFIX + template, 422), document) == []
