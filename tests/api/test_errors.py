"""Every error is one envelope (code, message, http_status, details, request_id) that OpenAPI documents."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from iris_api.app import create_app
from iris_api.settings import ApiSettings
from tests.api.openapi_schema import response_schema, validate

PREFIX = "/api/v1"
ENVELOPE = {"code", "message", "http_status", "category", "severity", "retryable", "domain", "details",
            "request_id"}
BAD_PARAMETERS = [
    ("/coins", "/coins?limit=0", "limit"),
    ("/coins", "/coins?limit=501", "limit"),
    ("/coins", "/coins?cursor=not-a-cursor", "cursor"),
    ("/coins/{symbol}/history", "/coins/{symbol}/history?interval=2h", "interval"),
    ("/coins/{symbol}/history", "/coins/{symbol}/history?interval=5m", "interval"),  # finer than the base
    ("/coins/{symbol}/history", "/coins/{symbol}/history?start=yesterday", "start"),
    ("/coins/{symbol}/history", "/coins/{symbol}/history?start=2024-02-09&end=2024-02-08", "end"),
    ("/coins/{symbol}/history", "/coins/{symbol}/history?include_partial=maybe", "include_partial"),
    ("/coins/metrics", "/coins/metrics?limit=-1", "limit"),
    ("/coins/{symbol}/indicators", "/coins/{symbol}/indicators?limit=2001", "limit"),
    ("/signals", "/signals?timeframe=7", "timeframe"),
    ("/signals", "/signals?timeframe=1h", "timeframe"),
    ("/coins/{symbol}/signals", "/coins/{symbol}/signals?cursor=WzFd", "cursor"),  # a cursor of another list
    ("/market/radar", "/market/radar?limit=25", "limit"),
    ("/market/flow", "/market/flow?timeframe=30", "timeframe"),
    ("/anomalies", "/anomalies?status=open", "status"),
    ("/anomalies", "/anomalies?severity=extreme", "severity"),
    ("/anomalies/{anomaly_id}", "/anomalies/0", "anomaly_id"),
    ("/anomalies/{anomaly_id}", "/anomalies/abc", "anomaly_id"),
    ("/coins/{symbol}/chart", "/coins/{symbol}/chart?limit=5", "limit"),
]


def _envelope(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == ENVELOPE
    assert body["http_status"] == status and body["request_id"] == response.headers["x-request-id"]
    assert response.headers["cache-control"] == "no-store"
    return body


@pytest.mark.parametrize(("template", "path", "field"), BAD_PARAMETERS, ids=[p for _, p, _ in BAD_PARAMETERS])
def test_bad_parameters_get_422_in_the_envelope(client: TestClient, symbols: list[str], template: str, path: str,
                                                field: str) -> None:
    response = client.get(PREFIX + path.replace("{symbol}", symbols[0]))
    body = _envelope(response, 422)
    assert body["code"] in ("validation_failed", "invalid_cursor", "interval_unavailable")
    assert field in {d["field"] for d in body["details"]}
    document = client.app.openapi()
    assert validate(body, response_schema(document, PREFIX + template, 422), document) == []


@pytest.mark.parametrize("path", [
    "/coins/NOPE/history", "/coins/NOPE/metrics", "/coins/NOPE/indicators", "/coins/NOPE/signals",
    "/coins/NOPE/chart", "/anomalies/999999999",
])
def test_unknown_symbols_and_ids_get_404(client: TestClient, path: str) -> None:
    body = _envelope(client.get(PREFIX + path), 404)
    assert body["code"] == "resource_not_found" and body["details"][0]["value"] in ("NOPE", 999999999)
    template = path.replace("NOPE", "{symbol}").replace("999999999", "{anomaly_id}")
    document = client.app.openapi()
    assert validate(body, response_schema(document, PREFIX + template, 404), document) == []


def test_a_deleted_coin_is_unknown(client: TestClient, symbols: list[str], owner_engine: Any) -> None:
    from sqlalchemy import text

    with owner_engine.begin() as connection:
        connection.execute(text("UPDATE coins SET deleted_at = now(), updated_at = now() WHERE symbol = :s"),
                           {"s": symbols[-1]})
    try:
        _envelope(client.get(f"{PREFIX}/coins/{symbols[-1]}/history"), 404)
        assert symbols[-1] not in [c["symbol"] for c in client.get(f"{PREFIX}/coins").json()["data"]]
        assert symbols[-1] not in [c["symbol"] for c in client.get(f"{PREFIX}/coins/metrics").json()["data"]]
    finally:
        with owner_engine.begin() as connection:
            connection.execute(text("UPDATE coins SET deleted_at = NULL, updated_at = now() WHERE symbol = :s"),
                               {"s": symbols[-1]})


def test_unknown_routes_and_methods_use_the_envelope(client: TestClient) -> None:
    assert _envelope(client.get(f"{PREFIX}/nothing-here"), 404)["code"] == "route_not_found"
    assert _envelope(client.post(f"{PREFIX}/coins"), 405)["code"] == "method_not_allowed"


def test_openapi_documents_the_envelope_not_fastapis_default(client: TestClient) -> None:
    document = client.app.openapi()
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for item in document["paths"].values():
        for status in ("422", "500"):
            assert item["get"]["responses"][status]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorPublic"}


def test_an_unexpected_failure_is_a_500_envelope(api_settings: ApiSettings) -> None:
    app = create_app(api_settings)

    @app.get("/api/v1/boom")
    def boom() -> None:
        """Fails on purpose."""
        raise RuntimeError("kaboom")

    with TestClient(app, raise_server_exceptions=False) as client:
        body = _envelope(client.get("/api/v1/boom"), 500)
    assert body["code"] == "internal_error" and "kaboom" not in body["message"]


def test_a_database_outage_is_a_retryable_503(api_settings: ApiSettings) -> None:
    dead = api_settings.model_copy(update={"database_url": SecretStr("postgresql://nobody@127.0.0.1:1/none")})
    client = TestClient(create_app(dead), raise_server_exceptions=False)  # no lifespan: startup would refuse
    body = _envelope(client.get(f"{PREFIX}/coins"), 503)
    assert body["code"] == "database_unavailable" and body["retryable"] is True
