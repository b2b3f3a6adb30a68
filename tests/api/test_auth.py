"""The optional API token (``IRIS_API_TOKEN``): off by default, and when set every route but health
and the docs needs ``Authorization: Bearer`` or ``X-API-Key``; refusals use the error envelope."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr, ValidationError
from sqlalchemy.engine import make_url

from iris_api import auth
from iris_api.app import create_app
from iris_api.schemas.errors import ErrorPublic
from iris_api.settings import ApiSettings
from iris_resources.db.admin import drop_database, ensure_database
from iris_resources.services.runtime import with_database

TOKEN = "s3cr3t-" + uuid.uuid4().hex
OPEN = ("/api/v1/health", "/openapi.json", "/docs", "/redoc")


@pytest.fixture(scope="module")
def migrated_url(template_database: str) -> Iterator[str]:
    """An empty migrated database (the token is checked before any query runs)."""
    url = with_database(template_database, f"iris_auth_{uuid.uuid4().hex[:12]}")
    ensure_database(url, template=make_url(template_database).database)
    yield url
    drop_database(url)


def _settings(url: str, redis_url: str, token: str | None) -> ApiSettings:
    return ApiSettings(database_url=url, redis_url=redis_url, api_cache_prefix=f"iris:test:{uuid.uuid4().hex[:8]}",
                       api_token=SecretStr(token) if token else None)


@pytest.fixture(scope="module")
def secured(migrated_url: str, redis_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(_settings(migrated_url, redis_url, TOKEN))) as client:
        yield client


@pytest.fixture(scope="module")
def public(migrated_url: str, redis_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(_settings(migrated_url, redis_url, None))) as client:
        yield client


def _get_routes(client: TestClient) -> list[str]:
    paths = client.get("/openapi.json").json()["paths"]
    return sorted(path.replace("{symbol}", "BTCUSD").replace("{anomaly_id}", "1")
                  for path, operations in paths.items() if "get" in operations)


def _assert_refused(response: Any) -> None:
    assert response.status_code == 401
    body = ErrorPublic.model_validate(response.json())
    assert (body.code, body.http_status, body.category) == ("unauthorized", 401, "unauthorized")
    assert body.request_id == response.headers["x-request-id"]
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.headers["cache-control"] == "no-store"
    assert TOKEN not in response.text


def test_without_a_token_configured_the_api_is_public(public: TestClient) -> None:
    assert public.get("/api/v1/coins").status_code == 200
    assert "securitySchemes" not in public.get("/openapi.json").json().get("components", {})


def test_every_route_but_the_open_ones_refuses_a_request_without_the_token(secured: TestClient) -> None:
    routes = [path for path in _get_routes(secured) if path not in OPEN]
    assert len(routes) >= 30
    for path in routes:
        _assert_refused(secured.get(path))


@pytest.mark.parametrize("path", OPEN)
def test_health_and_the_docs_stay_open(secured: TestClient, path: str) -> None:
    assert secured.get(path).status_code == 200


@pytest.mark.parametrize("headers", [
    {"Authorization": f"Bearer {TOKEN}"},
    {"Authorization": f"bearer   {TOKEN}  "},
    {"X-API-Key": TOKEN},
    {"Authorization": "Basic Zm9vOmJhcg==", "X-API-Key": TOKEN},
])
def test_the_token_is_accepted_as_a_bearer_token_or_an_api_key(secured: TestClient, headers: dict[str, str]) -> None:
    response = secured.get("/api/v1/coins", headers=headers)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": f"Basic {TOKEN}"},
    {"Authorization": "Bearer"},
    {"Authorization": f"Bearer {TOKEN[:-1]}"},
    {"Authorization": f"Bearer {TOKEN}x"},
    {"Authorization": f"Bearer {TOKEN.upper()}"},
    {"X-API-Key": ""},
    {"X-API-Key": TOKEN[1:]},
    {"X-Api-Token": TOKEN},
    {"Authorization": "Bearer wrong", "X-API-Key": TOKEN},  # a wrong bearer token is not rescued by the key
])
def test_a_missing_or_wrong_token_is_refused_in_the_envelope(secured: TestClient, headers: dict[str, str]) -> None:
    _assert_refused(secured.get("/api/v1/coins", headers=headers | {"X-Request-ID": "req-42"}))


def test_a_refusal_echoes_the_callers_request_id(secured: TestClient) -> None:
    response = secured.get("/api/v1/coins", headers={"X-Request-ID": "req-42"})
    assert response.headers["x-request-id"] == "req-42" and response.json()["request_id"] == "req-42"


def test_unknown_routes_are_refused_before_they_are_looked_up(secured: TestClient) -> None:
    _assert_refused(secured.get("/api/v1/no-such-route"))
    assert secured.get("/api/v1/no-such-route", headers={"X-API-Key": TOKEN}).status_code == 404


def test_tokens_are_compared_in_constant_time(secured: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = auth.hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(auth.hmac, "compare_digest", spy)
    assert secured.get("/api/v1/coins", headers={"X-API-Key": "short"}).status_code == 401
    assert secured.get("/api/v1/coins", headers={"X-API-Key": TOKEN}).status_code == 200
    assert len(calls) == 2
    assert all(len(a) == len(b) == 32 for a, b in calls)  # digests: the token's length does not leak either


def test_the_openapi_document_declares_both_schemes_and_the_401(secured: TestClient) -> None:
    document = secured.get("/openapi.json").json()
    assert set(document["components"]["securitySchemes"]) == {"bearerAuth", "apiKeyAuth"}
    health = document["paths"]["/api/v1/health"]["get"]
    assert health["security"] == []
    coins = document["paths"]["/api/v1/coins"]["get"]
    assert coins["security"] == [{"bearerAuth": []}, {"apiKeyAuth": []}]
    assert coins["responses"]["401"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorPublic"}


@pytest.mark.parametrize("token", ["", "   ", "short-token", "\n"])
def test_an_empty_or_short_token_is_a_configuration_error(token: str) -> None:
    with pytest.raises(ValidationError, match="at least 16 characters") as failure:
        ApiSettings(api_token=SecretStr(token))
    assert token.strip() == "" or token not in str(failure.value)


def test_the_token_is_read_from_the_environment_stripped_and_never_shown(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, migrated_url: str, redis_url: str
) -> None:
    monkeypatch.setenv("IRIS_API_TOKEN", f"{TOKEN}\n")  # as read from a mounted secret file
    settings = ApiSettings(database_url=migrated_url, redis_url=redis_url)
    assert settings.api_token is not None and settings.api_token.get_secret_value() == TOKEN
    assert TOKEN not in repr(settings) and TOKEN not in str(settings.model_dump())
    with caplog.at_level(logging.DEBUG), TestClient(create_app(settings)) as client:
        assert client.get("/api/v1/coins", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
        assert client.get("/api/v1/coins", headers={"Authorization": "Bearer nope-nope-nope-nope"}).status_code == 401
    assert TOKEN not in caplog.text
