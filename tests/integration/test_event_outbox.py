"""Transactional outbox → Redis Stream: nothing published for rollbacks, nothing lost when Redis is down."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import redis
from sqlalchemy import Engine

from iris_resources.db.resources import DatabaseResource, TransactionResource
from iris_resources.events.consumer import decode, handle_once
from iris_resources.events.relay import pending_count, publish_pending
from iris_resources.events.resources import EventsResource

T = datetime(2024, 3, 5, 12, 0, tzinfo=UTC)


@pytest.fixture
def stream(redis_client: redis.Redis) -> Iterator[str]:
    name = f"iris_test_events_{uuid.uuid4().hex[:8]}"
    yield name
    redis_client.delete(name)


def _events(database: DatabaseResource, redis_url: str, stream: str, maxlen: int = 1000) -> TransactionResource:
    return TransactionResource(database=database, events=EventsResource(redis_url=redis_url, stream=stream,
                                                                        maxlen=maxlen))


def test_committed_events_are_published_after_commit_with_their_envelope(
    database: DatabaseResource, redis_url: str, redis_client: redis.Redis, stream: str
) -> None:
    transaction = _events(database, redis_url, stream)
    with transaction.begin() as uow:
        event_id = uow.events.append("candle_closed", coin_id=7, timeframe=15, timestamp=T,
                                     payload={"created_count": 96, "source": "backfill"})
        assert redis_client.xlen(stream) == 0  # nothing leaves before commit
        uow.commit()
    entries = redis_client.xrange(stream)
    assert len(entries) == 1
    event = decode(*entries[0])
    assert (event.event_id, event.event_type, event.coin_id, event.timeframe) == (str(event_id), "candle_closed",
                                                                                 7, 15)
    assert event.timestamp == "2024-03-05T12:00:00+00:00"  # the candle's open time
    assert event.payload == {"created_count": 96, "source": "backfill"}


def test_events_of_a_rolled_back_transaction_are_never_published(
    database: DatabaseResource, redis_url: str, redis_client: redis.Redis, stream: str, engine: Engine
) -> None:
    transaction = _events(database, redis_url, stream)
    with transaction.begin() as uow:
        uow.events.append("candle_closed", coin_id=1, timeframe=15, timestamp=T)
    with pytest.raises(RuntimeError), transaction.begin() as uow:
        uow.events.append("candle_closed", coin_id=2, timeframe=15, timestamp=T)
        raise RuntimeError("boom")
    assert publish_pending(engine, redis_client, stream=stream).published == 0
    assert redis_client.xlen(stream) == 0 and pending_count(engine) == 0


def test_events_survive_redis_being_down_and_are_published_when_it_returns(
    database: DatabaseResource, redis_url: str, redis_client: redis.Redis, stream: str, engine: Engine
) -> None:
    down = _events(database, "redis://127.0.0.1:1/0", stream)  # nothing listens there
    with down.begin() as uow:
        uow.events.extend("indicator_updated", [{"coin_id": i, "timeframe": 60, "timestamp": T} for i in range(5)])
        uow.commit()  # the commit succeeds although publishing fails
    assert pending_count(engine) == 5
    result = publish_pending(engine, redis_client, stream=stream)
    assert result.published == 5 and not result.failed
    assert [decode(*e).coin_id for e in redis_client.xrange(stream)] == [0, 1, 2, 3, 4]
    assert pending_count(engine) == 0


def test_a_failed_sweep_reports_failure_and_keeps_the_rows(database: DatabaseResource, engine: Engine,
                                                            stream: str) -> None:
    with TransactionResource(database=database).begin() as uow:
        uow.events.append("signal_created", coin_id=1, timeframe=15, timestamp=T)
        uow.commit()
    result = publish_pending(engine, redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2), stream=stream)
    assert result.failed and result.published == 0
    assert pending_count(engine) == 1


def test_the_stream_is_trimmed_to_about_maxlen(database: DatabaseResource, engine: Engine,
                                                redis_client: redis.Redis, stream: str) -> None:
    with TransactionResource(database=database).begin() as uow:
        uow.events.extend("signal_created", [{"coin_id": i, "timeframe": 15, "timestamp": T} for i in range(3000)])
        uow.commit()
    publish_pending(engine, redis_client, stream=stream, maxlen=500, batch=250)
    assert 500 <= redis_client.xlen(stream) < 1000  # approximate trimming keeps at least maxlen


def test_duplicate_delivery_changes_nothing_for_a_deduplicating_consumer(
    database: DatabaseResource, engine: Engine, redis_client: redis.Redis, stream: str
) -> None:
    with TransactionResource(database=database).begin() as uow:
        uow.events.append("candle_closed", coin_id=3, timeframe=15, timestamp=T)
        uow.commit()
    publish_pending(engine, redis_client, stream=stream)
    entry = redis_client.xrange(stream)[0]
    seen: list[int] = []
    group = f"test-{uuid.uuid4().hex[:6]}"
    first = handle_once(redis_client, group, decode(*entry), lambda e: seen.append(e.coin_id))
    again = handle_once(redis_client, group, decode(*entry), lambda e: seen.append(e.coin_id))
    assert (first, again, seen) == (True, False, [3])
    redis_client.delete(f"iris:events:processed:{group}:{decode(*entry).event_id}")


def test_appending_the_same_event_twice_stores_it_once(database: DatabaseResource, engine: Engine) -> None:
    for _ in range(2):
        with TransactionResource(database=database).begin() as uow:
            uow.events.append("candle_closed", coin_id=4, timeframe=15, timestamp=T, payload={"created_count": 1})
            uow.events.append("candle_closed", coin_id=4, timeframe=15, timestamp=T, payload={"created_count": 2})
            uow.commit()
    assert pending_count(engine) == 2  # same content, same id; a different payload is a different event
