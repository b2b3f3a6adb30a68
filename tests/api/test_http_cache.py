"""ETags, 304s, Cache-Control, and the body cache keyed by the data versions (in process and Redis)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine, text

from iris_api.app import create_app
from iris_api.settings import ApiSettings
from iris_resources.db.resources import DatabaseResource, TransactionResource
from tests.api.test_statement_counts import counting

PREFIX = "/api/v1"
CONDITIONAL = ["/coins", "/coins/{symbol}/history?interval=1h", "/coins/metrics", "/coins/{symbol}/metrics",
               "/coins/{symbol}/indicators", "/signals", "/market/radar", "/market/flow", "/anomalies",
               "/coins/{symbol}/chart"]


@pytest.mark.parametrize("path", CONDITIONAL)
def test_if_none_match_with_the_etag_gives_304(client: TestClient, symbols: list[str], path: str) -> None:
    url = PREFIX + path.replace("{symbol}", symbols[0])
    first = client.get(url)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert etag.startswith('W/"') and len(etag) == 36
    assert first.headers["cache-control"] == "public, max-age=15, stale-while-revalidate=30"
    assert first.headers["vary"] == "Accept, If-None-Match"
    again = client.get(url, headers={"If-None-Match": f'W/"other", {etag}'})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert client.get(url, headers={"If-None-Match": "*"}).status_code == 304
    assert client.get(url, headers={"If-None-Match": 'W/"stale"'}).status_code == 200


def test_the_etag_ignores_generation_time_but_follows_the_data(client: TestClient) -> None:
    first, second = client.get(f"{PREFIX}/signals?limit=3"), client.get(f"{PREFIX}/signals?limit=3")
    assert first.json()["generated_at"] != second.json()["generated_at"]  # live reads: generated now
    assert first.headers["etag"] == second.headers["etag"]
    assert client.get(f"{PREFIX}/signals?limit=4").headers["etag"] != first.headers["etag"]


def test_last_modified_is_the_newest_source_time(client: TestClient, symbols: list[str]) -> None:
    body = client.get(f"{PREFIX}/coins/{symbols[0]}/history?interval=1d")
    assert body.headers["last-modified"] == "Sat, 10 Feb 2024 00:00:00 GMT"


def test_errors_and_health_are_never_cached(client: TestClient) -> None:
    assert client.get(f"{PREFIX}/health").headers["cache-control"] == "no-store"
    assert client.get(f"{PREFIX}/coins/NOPE/history").headers["cache-control"] == "no-store"


def test_a_newer_materialization_is_never_hidden_by_the_cache(
    client: TestClient, owner_engine: Engine, api_settings: ApiSettings, redis_url: str
) -> None:
    before = client.get(f"{PREFIX}/market/radar?limit=5").json()
    assert client.get(f"{PREFIX}/market/radar?limit=5").json() == before  # served from Redis now
    cache = redis.Redis.from_url(redis_url)
    keys = cache.keys(f"{api_settings.api_cache_prefix}:market_radar:*:limit=5")
    assert len(keys) == 1 and 0 < cache.ttl(keys[0]) <= api_settings.api_cache_ttl_s
    with owner_engine.begin() as connection:  # a new materialization: another payload, a later generated_at
        connection.execute(text(
            "UPDATE projections SET payload = jsonb_set(payload, '{regime_changes}', '[]'::jsonb), "
            "generated_at = generated_at + interval '1 second', run_id = 'run-2' WHERE name = 'market_radar'"))
    after = client.get(f"{PREFIX}/market/radar?limit=5").json()
    assert after["regime_changes"] == [] and after["source_run_id"] == "run-2"
    assert datetime.fromisoformat(after["generated_at"]) > datetime.fromisoformat(before["generated_at"])
    cache.close()


def test_the_metrics_cache_follows_a_new_materialization(client: TestClient, owner_engine: Engine) -> None:
    before = client.get(f"{PREFIX}/coins/metrics").json()
    with owner_engine.begin() as connection:
        connection.execute(text("UPDATE coin_metrics SET rsi_14 = 12.5, updated_at = now() WHERE is_primary"))
    after = client.get(f"{PREFIX}/coins/metrics").json()
    assert {row["rsi_14"] for row in after["data"]} == {12.5}
    assert after["generated_at"] > before["generated_at"]


@pytest.fixture(scope="module")
def client_without_redis(api_settings: ApiSettings) -> Iterator[TestClient]:
    """The API with Redis unreachable."""
    settings = api_settings.model_copy(update={"redis_url": SecretStr("redis://127.0.0.1:1/0"),
                                               "api_redis_timeout_s": 0.2})
    with TestClient(create_app(settings)) as test_client:
        yield test_client


CACHED = ["/market/radar?limit=6", "/market/flow", "/coins/metrics?limit=2", "/coins?limit=4",
          "/coins/{symbol}/history?interval=1h&limit=7", "/coins/{symbol}/metrics",
          "/coins/{symbol}/indicators?interval=4h&limit=3", "/signals?limit=5", "/anomalies?limit=5"]


def test_cached_routes_are_served_from_the_database_when_redis_is_down(
    client_without_redis: TestClient, client: TestClient, symbols: list[str]
) -> None:
    for path in CACHED:
        url = PREFIX + path.replace("{symbol}", symbols[2])
        degraded = client_without_redis.get(url)
        assert degraded.status_code == 200
        assert degraded.headers["etag"] == client.get(url).headers["etag"]
    health = client_without_redis.get(f"{PREFIX}/health")
    assert health.status_code == 503 and health.json()["redis"] is False and health.json()["database"] is True


def test_without_redis_the_process_copy_still_follows_the_data(
    client_without_redis: TestClient, owner_engine: Engine
) -> None:
    url = f"{PREFIX}/anomalies?limit=1"
    first = client_without_redis.get(url).json()["data"][0]
    with owner_engine.begin() as connection:  # bumps the data versions, like a unit of work
        connection.execute(text("UPDATE market_anomalies SET summary = 'rewritten' WHERE id = :i"), {"i": first["id"]})
    assert client_without_redis.get(url).json()["data"][0]["summary"] == "rewritten"


def _without_volatile(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in ("generated_at", "staleness_ms", "freshness_class")}


def test_a_cached_list_follows_a_committed_write_within_the_bound(
    api_settings: ApiSettings, api_database_url: str
) -> None:
    bound_s = 1.5
    settings = api_settings.model_copy(update={"api_version_max_age_ms": int(bound_s * 1000)})
    database = DatabaseResource(url=api_database_url, pool_size=1)
    url = f"{PREFIX}/coins?limit=2"
    with TestClient(create_app(settings)) as cached:
        read_at = time.monotonic()  # the versions are read by this request at the latest
        before = cached.get(url)
        radar = cached.get(f"{PREFIX}/market/radar?limit=2")
        coin_id = before.json()["data"][0]["id"]
        synced = datetime(2031, 1, 2, 3, 4, 5, tzinfo=UTC)
        with TransactionResource(database=database).begin() as uow:  # the real write path
            uow.coins.mark_history_synced([coin_id], synced)
            uow.commit()
        committed = time.monotonic()
        stale = cached.get(url)
        if time.monotonic() - read_at < bound_s:  # inside the bound: still the body cached before the write
            assert stale.headers["etag"] == before.headers["etag"]
        while True:
            with counting(cached) as statements:
                fresh = cached.get(url, headers={"If-None-Match": before.headers["etag"]})
            if fresh.status_code == 200:
                break
            assert fresh.status_code == 304 and statements == []  # a hit, even a conditional one, reads nothing
            assert time.monotonic() - committed < bound_s + 0.5, "the write stayed hidden past the bound"
            time.sleep(0.05)
        assert fresh.json()["data"][0]["last_history_sync_at"] == "2031-01-02T03:04:05Z"
        assert fresh.headers["etag"] != before.headers["etag"]
        assert _without_volatile(fresh.json()) == _without_volatile(cached.get(url).json())
        with counting(cached) as statements:  # the radar reads no coins: its body is still current
            assert cached.get(f"{PREFIX}/market/radar?limit=2").headers["etag"] == radar.headers["etag"]
        assert statements == []
    if database._engine is not None:
        database._engine.dispose()


@pytest.mark.parametrize("path", CACHED)
def test_cache_hits_keep_their_etag_and_answer_304(client: TestClient, symbols: list[str], path: str) -> None:
    url = PREFIX + path.replace("{symbol}", symbols[3])
    first, second = client.get(url), client.get(url)
    assert first.headers["etag"] == second.headers["etag"]
    assert _without_volatile(first.json()) == _without_volatile(second.json())
    assert client.get(url, headers={"If-None-Match": first.headers["etag"]}).status_code == 304
