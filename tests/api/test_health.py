"""``GET /api/v1/health`` reports the real state of PostgreSQL and Redis."""

from __future__ import annotations

import redis
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from iris_api.app import create_app
from iris_api.deps import get_engine, get_redis


def _client(engine: Engine, redis_client: redis.Redis) -> TestClient:
    app = create_app()
    app.dependency_overrides[get_engine] = lambda: engine
    app.dependency_overrides[get_redis] = lambda: redis_client
    return TestClient(app)


def test_health_is_ok_when_database_and_redis_answer(engine: Engine, redis_client: redis.Redis) -> None:
    response = _client(engine, redis_client).get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": True, "redis": True}


def test_health_is_503_when_redis_is_unreachable(engine: Engine) -> None:
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    response = _client(engine, dead).get("/api/v1/health")
    assert response.status_code == 503
    assert response.json() == {"status": "degraded", "database": True, "redis": False}
