"""The ``indicators`` asset checks' one-pass read counts the window's rows, warm-up nulls and impossible values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, insert

from iris_resources.db.resources import TransactionResource
from iris_resources.indicators.queries import IndicatorQueries
from iris_resources.indicators.tables import indicators
from tests.builders import seed_coins

START = datetime(2024, 12, 1, tzinfo=UTC)
END = START + timedelta(days=1)


def _row(coin_id: int, timeframe: int, at: datetime, rsi: float | None = 50.0, atr: float | None = 1.0,
         sma_200: float | None = 1.0) -> dict[str, object]:
    return {"coin_id": coin_id, "timeframe": timeframe, "timestamp": at, "close": 1.0, "rsi_14": rsi, "atr_14": atr,
            "sma_200": sma_200}


def test_window_quality_counts_per_timeframe_inside_the_window_only(
        engine: Engine, transaction: TransactionResource) -> None:
    first, second = seed_coins(transaction, ["AAAUSD", "BBBUSD"])
    hour = timedelta(hours=1)
    with engine.begin() as connection:
        connection.execute(insert(indicators), [
            _row(first, 15, START), _row(first, 15, START + hour, rsi=None, sma_200=None),
            _row(second, 15, START + hour, rsi=101.0), _row(second, 15, START + 2 * hour, atr=-0.5),
            _row(first, 60, START, atr=None), _row(second, 60, START, rsi=-1.0, atr=-1.0),
            _row(first, 240, START - hour, rsi=200.0),  # before the window
            _row(second, 1440, END, atr=-3.0),  # at its end: outside
        ])
    with engine.connect() as connection:
        quality = IndicatorQueries(connection).window_quality(START, END, (15, 60, 240, 1440))
    assert quality.rows() == [
        # timeframe, rows, rsi_null, atr_null, sma_200_null, rsi_out_of_range, negative_atr
        (15, 4, 1, 0, 1, 1, 1),
        (60, 2, 0, 1, 0, 1, 1),
    ]
