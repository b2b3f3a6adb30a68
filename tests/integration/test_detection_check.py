"""The ``detections_on_candles`` check query counts exactly the pattern signals without a closed candle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, insert

from iris_resources.db.resources import TransactionResource
from iris_resources.indicators.tables import signals
from iris_resources.market_data.tables import candle_aggregates, candles
from iris_resources.patterns.queries import PatternQueries
from tests.builders import seed_coins, stored_bar

START = datetime(2024, 12, 1, tzinfo=UTC)
END = START + timedelta(days=2)


def _signal(coin_id: int, timeframe: int, at: datetime, source: str = "pattern") -> dict[str, object]:
    return {"coin_id": coin_id, "timeframe": timeframe, "signal_type": f"pattern_x_{at:%H%M}", "source": source,
            "direction": "bullish", "confidence": 0.7, "candle_timestamp": at, "created_at": START}


def test_orphans_are_signals_of_the_window_on_no_base_candle_and_no_closed_aggregate(
        engine: Engine, transaction: TransactionResource) -> None:
    first, second = seed_coins(transaction, ["AAAUSD", "BBBUSD"])
    noon, later = START + timedelta(hours=12), START + timedelta(hours=13)
    with engine.begin() as connection:
        connection.execute(insert(candles), [stored_bar(first, 15, noon), stored_bar(second, 15, noon)])
        connection.execute(insert(candle_aggregates), [
            stored_bar(first, 60, noon, base_count=4, is_partial=False),
            stored_bar(first, 60, later, base_count=2, is_partial=True)])
        connection.execute(insert(signals), [
            _signal(first, 15, noon), _signal(second, 15, noon), _signal(first, 60, noon),  # on stored candles
            _signal(first, 60, later),  # on a partial aggregate: an orphan
            _signal(second, 15, later), _signal(second, 60, noon),  # no candle of that coin and timeframe
            _signal(first, 15, later, source="indicator"),  # not a pattern signal
            _signal(first, 15, END + timedelta(hours=1)),  # outside the window
        ])
    with engine.connect() as connection:
        assert PatternQueries(connection).orphan_detections(START, END) == 3
        assert PatternQueries(connection).orphan_detections(END, END + timedelta(days=1)) == 1
