"""The fusion's signals read equals the general signals read joined to the bars' regimes."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from sqlalchemy import Engine, insert

import iris_resources.signals.fusion_queries as fusion_queries
from iris_assets.signals.inputs import with_bar_regime
from iris_resources.indicators.tables import indicators, signals
from iris_resources.market_data.tables import coins, sectors
from iris_resources.signals.fusion_queries import WARM_UP_REACH, FusionQueries
from iris_resources.signals.queries import DecisionQueries

T0 = datetime(2024, 3, 10, tzinfo=UTC)
KEYS = ["coin_id", "timeframe", "timestamp", "signal_type"]


def _seed(engine: Engine) -> None:
    rng = random.Random(5)
    signal_rows: list[dict[str, object]] = []
    bar_rows: list[dict[str, object]] = []
    for coin_id in (1, 2, 3):
        for timeframe in (15, 60, 240, 1440):  # bars of each timeframe are read by key range
            step = timedelta(minutes=timeframe)
            at = T0 - timedelta(days=20)
            while at < T0 + timedelta(days=5):
                if rng.random() < 0.8:  # some bars have no indicator row: their regime is null
                    bar_rows.append({"coin_id": coin_id, "timeframe": timeframe, "timestamp": at, "close": 1.0,
                                     "market_regime": rng.choice(("bull_trend", "bear_trend", None))})
                # coin 3's daily signals stop long before the window: its warm-up reaches far back
                sparse = coin_id == 3 and timeframe == 1440 and at > T0 - timedelta(days=12)
                if rng.random() < 0.3 and not sparse:
                    signal_rows.extend({
                        "coin_id": coin_id, "timeframe": timeframe, "signal_type": kind, "source": "pattern",
                        "direction": "bullish", "confidence": rng.random(), "candle_timestamp": at,
                        "market_regime": rng.choice(("sideways_range", None)), "created_at": T0}
                        for kind in rng.sample(("pattern_bull_flag", "pattern_double_top", "golden_cross"), 2))
                at += step
    with engine.begin() as connection:
        connection.execute(insert(sectors), [{"id": 1, "code": "layer1", "name": "Layer 1"}])
        connection.execute(insert(coins), [{"id": i, "symbol": f"C{i}USD", "name": f"C{i}", "sector_id": 1}
                                           for i in (1, 2, 3)])
        connection.execute(insert(signals), signal_rows)
        connection.execute(insert(indicators), bar_rows)


@pytest.mark.parametrize("chunk", [timedelta(days=7), timedelta(hours=5)])
def test_the_window_read_equals_fusion_signals_with_bar_regimes(engine: Engine, monkeypatch: pytest.MonkeyPatch,
                                                                  chunk: timedelta) -> None:
    _seed(engine)
    monkeypatch.setattr(fusion_queries, "READ_CHUNK", chunk)
    start, end = T0, T0 + timedelta(days=2)
    with engine.connect() as connection:
        read = FusionQueries(connection).window_signals([1, 2, 3], start, end, start - WARM_UP_REACH)
        general = DecisionQueries(connection)
        expected = general.fusion_signals([1, 2, 3], start, end)
        first = expected.get_column("timestamp").min()
        assert isinstance(first, datetime)
        bars = general.bar_context([1, 2, 3], first, end)
    expected = with_bar_regime(expected, bars)
    assert read.filter(pl.col("timestamp") < start).height > 0
    assert read.filter(pl.col("bar_regime").is_null()).height > 0
    got = read.with_columns(pl.coalesce("bar_regime", "market_regime").alias("regime")).drop("bar_regime")
    columns = [c for c in got.columns if c in expected.columns]
    assert got.select(columns).sort(KEYS).equals(expected.select(columns).sort(KEYS))
    assert dict(read.schema)["timestamp"] == pl.Datetime("us", "UTC")
