"""Assets append events to the outbox; the sweep sensor relays them to the stream."""

from __future__ import annotations

import uuid
from typing import Any

import dagster as dg
import redis
from sqlalchemy import Engine, text

from iris_assets.definitions import ALL_ASSETS
from iris_assets.runtime.outbox_sensor import outbox_relay_sensor
from iris_resources.db.resources import DatabaseResource
from iris_resources.events.consumer import decode
from iris_resources.events.resources import EventsResource

BY_NAME = {key.to_user_string(): a for a in ALL_ASSETS for key in a.keys}
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def _outbox(engine: Engine) -> list[tuple[str, int]]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT event_type, count(*) FROM event_outbox GROUP BY 1 ORDER BY 1"))
        return [(r[0], int(r[1])) for r in rows]


def test_loading_candles_announces_each_coins_newest_candle_once(
    instance: dg.DagsterInstance, resources: dict[str, Any], engine: Engine
) -> None:
    dg.materialize([BY_NAME["coins"]], resources=resources, instance=instance, run_config=QUIET)
    for _ in range(2):  # the re-run stores identical rows and announces nothing new
        dg.materialize([BY_NAME["candles"]], resources=resources, instance=instance, partition_key="2024-03-05",
                       run_config=QUIET)
    assert _outbox(engine) == [("candle_closed", 6)]
    with engine.connect() as connection:
        stamps = connection.execute(text("SELECT DISTINCT timestamp FROM event_outbox")).scalars().all()
    assert [s.isoformat() for s in stamps] == ["2024-03-05T23:45:00+00:00"]  # open time of the newest bar


def test_indicators_announce_the_newest_bars_and_the_sensor_relays_everything(
    instance: dg.DagsterInstance, resources: dict[str, Any], engine: Engine, database: DatabaseResource,
    redis_url: str, redis_client: redis.Redis,
) -> None:
    dg.materialize([BY_NAME["coins"]], resources=resources, instance=instance, run_config=QUIET)
    tags = {"dagster/asset_partition_range_start": "2024-03-01", "dagster/asset_partition_range_end": "2024-03-05"}
    dg.materialize([BY_NAME["candles"], BY_NAME["candle_aggregates"], BY_NAME["indicators"]], resources=resources,
                   instance=instance, tags=tags, run_config=QUIET)
    counts = dict(_outbox(engine))
    assert counts["indicator_updated"] == 6 * 4  # one per coin and timeframe, not one per bar
    assert counts["candle_closed"] == 6
    stream = f"iris_test_{uuid.uuid4().hex[:8]}"
    events = EventsResource(redis_url=redis_url, stream=stream)
    with dg.build_sensor_context(instance=instance, resources={"database": database, "events": events}) as context:
        result = outbox_relay_sensor(context)
    assert isinstance(result, dg.SkipReason) and "published" in (result.skip_message or "")
    types = {decode(*entry).event_type for entry in redis_client.xrange(stream)}
    assert {"candle_closed", "indicator_updated"} <= types
    assert redis_client.xlen(stream) == sum(counts.values())
    redis_client.delete(stream)
