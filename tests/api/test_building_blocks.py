"""The API's pure building blocks: cursors, snapshot metadata and ETags, the cache, the chart."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import fields
from datetime import UTC, datetime, timedelta

import orjson
import pytest
import redis
from sqlalchemy.exc import OperationalError

from iris_api.cache import BodyCache, DataVersions
from iris_api.chart import ChartCandle, ChartMarker, candlestick_svg
from iris_api.errors import ApiError
from iris_api.pagination import decode_cursor, encode_cursor, page
from iris_api.schemas.indicators import CoinMetricsPublic
from iris_api.settings import ApiSettings
from iris_api.snapshot import Snapshot, freshness_class, prepare, prepare_live, render
from iris_resources.indicators.api_read_models import CoinMetricsRow, IndicatorRow
from iris_resources.indicators.tables import coin_metrics, indicators
from iris_resources.market_data.read_queries import available_timeframes, candle_source

T0 = datetime(2024, 2, 10, tzinfo=UTC)
SETTINGS = ApiSettings(database_url="postgresql://unused/x", redis_url="redis://unused")


class TestCursors:
    def test_round_trip_keeps_types(self) -> None:
        key = (T0 + timedelta(microseconds=7), 42)
        assert decode_cursor(encode_cursor(key), (datetime, int)) == key
        assert decode_cursor(encode_cursor((3, "ETHUSD")), (int, str)) == (3, "ETHUSD")
        assert decode_cursor(None, (int,)) is None

    @pytest.mark.parametrize("cursor", ["%%%", "WzFd", encode_cursor(("a", "b")), encode_cursor((1, True)), "e30"])
    def test_foreign_cursors_are_422(self, cursor: str) -> None:
        with pytest.raises(ApiError) as error:
            decode_cursor(cursor, (int, str))
        assert error.value.status == 422 and error.value.code == "invalid_cursor"

    def test_page_cuts_at_limit_and_points_past_the_last_item(self) -> None:
        items, cursor = page([1, 2, 3], 2, lambda n: (n,))
        assert list(items) == [1, 2] and decode_cursor(cursor, (int,)) == (2,)
        assert page([1, 2], 2, lambda n: (n,)) == ([1, 2], None)


class TestSnapshots:
    @pytest.mark.parametrize(("staleness", "expected"), [
        (None, "unknown"), (0, "real_time"), (60_000, "real_time"), (60_001, "near_real_time"),
        (3_600_000, "delayed"), (25 * 3_600_000, "historical")])
    def test_freshness_classes(self, staleness: int | None, expected: str) -> None:
        assert freshness_class(staleness, SETTINGS) == expected

    def test_staleness_is_generation_minus_the_newest_source(self) -> None:
        assert Snapshot(T0, T0 - timedelta(seconds=2), "derived").staleness_ms == 2000
        assert Snapshot(T0, T0 + timedelta(seconds=2), "derived").staleness_ms == 0

    def test_render_is_valid_json_whose_etag_ignores_volatile_fields(self) -> None:
        first = render({"data": [1, {"a": T0}]}, Snapshot(T0, T0, "derived", "run-1"), SETTINGS)
        later = render({"data": [1, {"a": T0}]}, Snapshot(T0 + timedelta(seconds=9), T0, "derived", "run-1"), SETTINGS)
        body = orjson.loads(first.body)
        assert body["data"][1]["a"] == "2024-02-10T00:00:00Z" and body["staleness_ms"] == 0
        assert body["generated_at"] == "2024-02-10T00:00:00Z" and body["source_run_id"] == "run-1"
        assert first.etag == later.etag and first.body != later.body
        changed = render({"data": [2]}, Snapshot(T0, T0, "derived", "run-1"), SETTINGS)
        assert changed.etag != first.etag
        assert first.last_modified == "Sat, 10 Feb 2024 00:00:00 GMT"

    def test_a_live_body_is_completed_at_each_response_time(self) -> None:
        prepared = prepare_live({"data": [1]}, [T0 - timedelta(seconds=30), None])
        soon, later = prepared.complete(SETTINGS, T0), prepared.complete(SETTINGS, T0 + timedelta(hours=2))
        first, second = orjson.loads(soon.body), orjson.loads(later.body)
        assert (first["generated_at"], first["staleness_ms"], first["freshness_class"]) == (
            "2024-02-10T00:00:00Z", 30_000, "real_time")
        assert (second["staleness_ms"], second["freshness_class"]) == (7_230_000, "delayed")  # never out of step
        assert first["consistency"] == "snapshot" and soon.etag == later.etag and soon.body != later.body


class TestBodyCache:
    def test_a_dead_redis_is_a_miss_and_is_left_alone_for_a_while(self) -> None:
        client = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.1)
        cache = BodyCache(client, SETTINGS.model_copy(update={"api_cache_local_entries": 0}))
        cache.put("k", prepare({"x": 1}, None, "derived"))
        assert cache.get("k") is None
        assert cache._available() is None  # breaker open: no timeout per request

    def test_each_process_keeps_the_newest_bodies_in_memory(self) -> None:
        dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.1)
        cache = BodyCache(dead, SETTINGS.model_copy(update={"api_cache_local_entries": 2}))
        bodies = {k: prepare({"k": k}, None, "derived") for k in "abc"}
        for key, prepared in bodies.items():
            cache.put(key, prepared)
        assert cache.get("a") is None and cache.get("c") == bodies["c"]  # bounded: the oldest went first

    def test_large_bodies_stay_out_of_process_memory(self) -> None:
        dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.1)
        cache = BodyCache(dead, SETTINGS.model_copy(update={"api_cache_local_max_bytes": 100}))
        cache.put("small", prepare({"x": "a" * 10}, None, "derived"))
        cache.put("large", prepare({"x": "a" * 200}, None, "derived"))
        assert cache.get_local("small") is not None and cache.get_local("large") is None

    def test_a_disabled_cache_keeps_nothing(self, redis_url: str) -> None:
        cache = BodyCache(redis.Redis.from_url(redis_url), SETTINGS.model_copy(update={"api_cache_enabled": False}))
        cache.put("k", prepare({"x": 1}, None, "derived"))
        assert cache.get("k") is None

    @pytest.mark.parametrize("generated_at", [None, T0 + timedelta(seconds=5)])
    def test_round_trip_through_redis(self, redis_url: str, generated_at: datetime | None) -> None:
        client = redis.Redis.from_url(redis_url)
        settings = SETTINGS.model_copy(update={"api_cache_prefix": f"t:bb:{generated_at is None}"})
        prepared = prepare({"x": "a\nb"}, T0, "snapshot", "run-1", generated_at=generated_at)
        key = BodyCache(client, settings).key("p", T0, "limit=1")
        BodyCache(client, settings).put(key, prepared)
        assert BodyCache(client, settings).get(key) == prepared  # another process: from Redis
        assert key == f"t:bb:{generated_at is None}:p:2024-02-10T00:00:00+00:00:limit=1"
        client.delete(key)


class TestDataVersions:
    def test_versions_are_read_at_most_once_per_bound(self) -> None:
        versions = DataVersions(SETTINGS.model_copy(update={"api_version_max_age_ms": 60_000}))
        reads: list[int] = []

        def read() -> dict[str, int]:
            reads.append(1)
            return {"coins": 7, "candles": 9}

        assert versions.token(("coins", "candles"), read) == "7.9"
        assert versions.token(("candles",), read) == "9" and len(reads) == 1
        assert versions.token(("anomalies",), read) is None  # a domain without a version is not cached
        versions.expire()
        versions.token(("coins",), read)
        assert len(reads) == 2

    def test_a_zero_bound_reads_every_time_and_a_disabled_cache_never(self) -> None:
        reads: list[int] = []
        fresh = DataVersions(SETTINGS.model_copy(update={"api_version_max_age_ms": 0}))
        for _ in range(3):
            fresh.token(("coins",), lambda: reads.append(1) or {"coins": 1})
        off = DataVersions(SETTINGS.model_copy(update={"api_cache_enabled": False}))
        assert off.token(("coins",), lambda: reads.append(1) or {"coins": 1}) is None
        assert len(reads) == 3

    def test_a_failed_read_caches_nothing_and_is_retried_once_per_bound(self) -> None:
        versions = DataVersions(SETTINGS.model_copy(update={"api_version_max_age_ms": 60_000}))
        reads: list[int] = []

        def down() -> dict[str, int]:
            reads.append(1)
            raise OperationalError("SELECT", {}, Exception("connection refused"))

        assert versions.token(("coins",), down) is None and versions.token(("coins",), down) is None
        assert len(reads) == 1  # the loop does not retry the database on every request


class TestReadModels:
    def test_indicator_rows_carry_every_column_but_the_key(self) -> None:
        assert [f.name for f in fields(IndicatorRow)] == [c.name for c in indicators.c
                                                         if c.name not in ("coin_id", "timeframe")]

    def test_metrics_rows_and_their_public_shape_cover_the_table(self) -> None:
        row_fields = {f.name for f in fields(CoinMetricsRow)}
        assert set(coin_metrics.c.keys()) <= row_fields
        public = set(CoinMetricsPublic.model_fields)
        assert public == (row_fields - {"sort_order", "regime_details"}) | {"market_regime_details"}


@pytest.mark.parametrize(("base", "timeframe", "source"), [
    (15, 15, "candles"), (15, 60, "candle_aggregates"), (15, 1440, "candle_aggregates"), (15, 5, None),
    (60, 15, None), (60, 240, "candle_aggregates"), (5, 15, None), (1440, 1440, "candles")])
def test_candle_sources_follow_the_base_timeframe(base: int, timeframe: int, source: str | None) -> None:
    assert candle_source(base, timeframe) == source
    assert (timeframe in available_timeframes(base)) == (source is not None)


def test_the_chart_marks_only_candles_it_draws() -> None:
    candles = [ChartCandle(T0 + timedelta(hours=i), 10 + i, 12 + i, 9 + i, 11 + i) for i in range(5)]
    markers = [ChartMarker(T0, "bullish", "golden_cross"), ChartMarker(T0, "anomaly", "spike <&>"),
               ChartMarker(T0 - timedelta(hours=1), "bearish", "off the chart")]
    svg = candlestick_svg("T <1h>", candles, [(c.timestamp, c.close) for c in candles], [], markers)
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert len([r for r in root.iter(f"{ns}rect") if "body" in r.get("class", "")]) == 5
    assert len([e for e in root.iter() if "marker" in e.get("class", "")]) == 2
    assert root.find(f"{ns}title").text == "T <1h>"  # type: ignore[union-attr]
