"""Tables that received a large bulk load are analyzed after the commit, so the planner sees them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from sqlalchemy import Engine, text

from iris_resources.db import statistics
from iris_resources.db.resources import TransactionResource
from iris_resources.market_data.repository import copy_frame

COLUMNS = [("coin_id", "int4"), ("timeframe", "int2"), ("timestamp", "timestamptz"), ("open", "float8"),
           ("high", "float8"), ("low", "float8"), ("close", "float8"), ("volume", "float8")]


def _candles(n: int) -> pl.DataFrame:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    return pl.DataFrame({"coin_id": pl.Series([1] * n, dtype=pl.Int32),
                         "timeframe": pl.Series([15] * n, dtype=pl.Int16),
                         "timestamp": [start + timedelta(minutes=15 * i) for i in range(n)],
                         "open": [1.0] * n, "high": [1.0] * n, "low": [1.0] * n, "close": [1.0] * n,
                         "volume": [1.0] * n})


def _analyzed(engine: Engine) -> bool:
    with engine.connect() as connection:
        return connection.execute(text(
            "SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'candles'")).scalar_one()


def test_a_large_committed_load_is_analyzed_and_a_rolled_back_one_is_not(
    transaction: TransactionResource, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(statistics, "MIN_ROWS", 500)
    with transaction.begin() as uow:
        copy_frame(uow.connection, "candles", _candles(1_000), COLUMNS)
        uow.rollback()  # discarded rows never count
        uow.commit()
    assert not _analyzed(engine)
    with transaction.begin() as uow:
        copy_frame(uow.connection, "candles", _candles(1_000), COLUMNS)
        uow.commit()
    assert _analyzed(engine)
