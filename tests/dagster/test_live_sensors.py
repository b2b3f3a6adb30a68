"""The live chain's sensors and schedule: exact partitions, durable cursors, idempotent ticks."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import dagster as dg
import polars as pl
from sqlalchemy import Engine, text

from iris_assets.definitions import ALL_ASSETS
from iris_assets.market_data.assets.candles import closed_only
from iris_assets.market_data.live import affected_days, live_days
from iris_assets.runtime.live import live_candles_schedule, new_candles_sensor, new_coins_sensor
from iris_resources.db.resources import DatabaseResource, TransactionResource
from tests.builders import candle_frame, coins_frame

BY_NAME = {key.to_user_string(): a for a in ALL_ASSETS for key in a.keys}
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def _tick(sensor: dg.SensorDefinition, instance: dg.DagsterInstance, database: DatabaseResource,
          cursor: str | None = None) -> dg.SensorResult:
    with dg.build_sensor_context(instance=instance, cursor=cursor, resources={"database": database}) as context:
        result = sensor(context)
    assert isinstance(result, dg.SensorResult)
    return result


def test_a_batch_spanning_midnight_requests_both_days_for_the_symbols_it_touched(
    instance: dg.DagsterInstance, resources: dict[str, Any], database: DatabaseResource,
    transaction: TransactionResource,
) -> None:
    dg.materialize([BY_NAME["coins"]], resources=resources, instance=instance, run_config=QUIET)
    with transaction.begin() as uow:
        uow.events.append("candle_closed", coin_id=1, timeframe=15, timestamp=datetime(2024, 3, 6, 0, 15, tzinfo=UTC),
                          payload={"first_timestamp": "2024-03-05T23:00:00+00:00", "created_count": 6})
        uow.events.append("candle_closed", coin_id=2, timeframe=15, timestamp=datetime(2024, 3, 6, 0, 15, tzinfo=UTC),
                          payload={"first_timestamp": "2024-03-06T00:00:00+00:00", "created_count": 2})
        uow.commit()
    result = _tick(new_candles_sensor, instance, database)
    requests = {r.partition_key: r for r in result.run_requests or []}
    assert set(requests) == {"2024-03-05", "2024-03-06"}
    yesterday = requests["2024-03-05"].run_config["ops"]
    today = requests["2024-03-06"].run_config["ops"]
    assert yesterday["indicators"]["config"]["symbols"] == ["BTCUSD"]  # only coin 1 had candles on the 5th
    assert today["indicators"]["config"]["symbols"] == ["BTCUSD", "ETHUSD"]
    assert today["coin_relations"]["config"]["symbols"] == []  # cross-sectional: the whole universe
    again = _tick(new_candles_sensor, instance, database, cursor=result.cursor)
    assert not again.run_requests and again.skip_reason  # nothing new: no duplicate runs


def test_loading_candles_feeds_the_sensor_with_the_loaded_day(
    instance: dg.DagsterInstance, resources: dict[str, Any], database: DatabaseResource, engine: Engine
) -> None:
    dg.materialize([BY_NAME["coins"]], resources=resources, instance=instance, run_config=QUIET)
    dg.materialize([BY_NAME["candles"]], resources=resources, instance=instance, partition_key="2024-03-05",
                   run_config=QUIET)
    result = _tick(new_candles_sensor, instance, database)
    assert [r.partition_key for r in result.run_requests or []] == ["2024-03-05"]
    with engine.connect() as connection:
        newest = connection.execute(text("SELECT max(id) FROM event_outbox")).scalar_one()
    assert result.cursor == str(newest)


def test_new_coins_get_a_history_backfill_request_once_per_day(
    instance: dg.DagsterInstance, resources: dict[str, Any], database: DatabaseResource
) -> None:
    assert _tick(new_coins_sensor, instance, database).skip_reason  # no coins yet
    dg.materialize([BY_NAME["coins"]], resources=resources, instance=instance, run_config=QUIET)
    (request,) = _tick(new_coins_sensor, instance, database).run_requests or []
    symbols = request.run_config["ops"]["candles"]["config"]["symbols"]
    assert len(symbols) == 6 and symbols == sorted(symbols) and "BTCUSD" in symbols
    assert request.tags["dagster/asset_partition_range_start"] < request.tags["dagster/asset_partition_range_end"]
    assert request.run_key == (_tick(new_coins_sensor, instance, database).run_requests or [])[0].run_key


def test_the_live_schedule_covers_yesterday_only_in_the_first_hour() -> None:
    assert live_days(datetime(2024, 3, 6, 0, 10, tzinfo=UTC)) == [date(2024, 3, 5), date(2024, 3, 6)]
    assert live_days(datetime(2024, 3, 6, 9, 0, tzinfo=UTC)) == [date(2024, 3, 6)]
    context = dg.build_schedule_context(scheduled_execution_time=datetime(2024, 3, 6, 0, 10, tzinfo=UTC))
    requests = list(live_candles_schedule(context))
    assert [r.partition_key for r in requests] == ["2024-03-05", "2024-03-06"]


def test_affected_days_cover_every_day_a_span_touches() -> None:
    spans = [(datetime(2024, 3, 1, 12, tzinfo=UTC), datetime(2024, 3, 3, 1, tzinfo=UTC)),
             (datetime(2024, 3, 3, 5, tzinfo=UTC), datetime(2024, 3, 3, 6, tzinfo=UTC))]
    assert affected_days(spans) == [date(2024, 3, 1), date(2024, 3, 2), date(2024, 3, 3)]


def test_candles_that_have_not_closed_are_not_stored() -> None:
    raw = candle_frame("AAAUSD", 4)  # 00:00 … 00:45 opens, 15m bars
    now = raw.get_column("timestamp")[2]  # 00:30: the 00:30 bar is still open
    kept = closed_only(raw, coins_frame(["AAAUSD"], [1]), now)
    assert kept.height == 2
    assert kept.get_column("timestamp").max() == raw.get_column("timestamp")[1]
    assert isinstance(kept, pl.DataFrame)
