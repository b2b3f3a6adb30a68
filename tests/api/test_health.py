"""``GET /api/v1/health`` reports the real state of PostgreSQL, Redis and the projections."""

from __future__ import annotations

import redis
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from iris_api.app import create_app
from iris_api.deps import get_engine, get_redis
from iris_api.settings import ApiSettings


def _client(database_url: str, redis_url: str) -> TestClient:
    return TestClient(create_app(ApiSettings(database_url=database_url, redis_url=redis_url)))


def test_health_is_ok_when_database_and_redis_answer(database_url: str, redis_url: str) -> None:
    with _client(database_url, redis_url) as client:
        response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": True, "redis": True, "projections": []}
    assert response.headers["cache-control"] == "no-store"


def test_health_is_503_when_redis_is_unreachable(database_url: str, redis_url: str) -> None:
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    with _client(database_url, redis_url) as client:
        client.app.dependency_overrides[get_redis] = lambda: dead
        response = client.get("/api/v1/health")
    assert response.status_code == 503
    assert response.json() == {"status": "degraded", "database": True, "redis": False, "projections": []}


def test_health_is_503_when_the_database_is_unreachable(database_url: str, redis_url: str) -> None:
    unreachable = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 1})
    with _client(database_url, redis_url) as client:
        client.app.dependency_overrides[get_engine] = lambda: unreachable
        response = client.get("/api/v1/health")
    assert response.status_code == 503
    assert response.json()["database"] is False and response.json()["redis"] is True
