"""Small typed builders of test data."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import polars as pl

from iris_resources.db.resources import TransactionResource
from iris_resources.market_data.queries import MarketDataQueries
from iris_resources.sources.base import CoinSpec, SectorSpec

T0 = datetime(2024, 3, 1, tzinfo=UTC)


def candle_frame(
    symbol: str,
    count: int,
    *,
    start: datetime = T0,
    minutes: int = 15,
    price: float = 100.0,
    skip: Sequence[int] = (),
) -> pl.DataFrame:
    """``count`` valid raw candles (source schema) for ``symbol``, omitting indices in ``skip``."""
    rows = [
        {
            "symbol": symbol,
            "timestamp": start + timedelta(minutes=minutes * i),
            "open": price + i,
            "high": price + i + 2,
            "low": price + i - 1,
            "close": price + i + 1,
            "volume": 10.0 + i,
        }
        for i in range(count)
        if i not in set(skip)
    ]
    return pl.DataFrame(rows, schema={
        "symbol": pl.String, "timestamp": pl.Datetime("us", "UTC"), "open": pl.Float64,
        "high": pl.Float64, "low": pl.Float64, "close": pl.Float64, "volume": pl.Float64,
    })


def stored_bar(coin_id: int, timeframe: int, at: datetime, **extra: object) -> dict[str, object]:
    """A flat stored candle row (``candles``; with ``base_count``/``is_partial`` in ``extra``, an aggregate)."""
    return {"coin_id": coin_id, "timeframe": timeframe, "timestamp": at, "open": 1.0, "high": 1.0, "low": 1.0,
            "close": 1.0, "volume": 1.0, **extra}


def coins_frame(symbols: Sequence[str], ids: Sequence[int], timeframe: int = 15) -> pl.DataFrame:
    """The ``symbol, coin_id, timeframe`` mapping validation joins on."""
    return pl.DataFrame(
        {"symbol": list(symbols), "coin_id": list(ids), "timeframe": [timeframe] * len(symbols)},
        schema={"symbol": pl.String, "coin_id": pl.Int32, "timeframe": pl.Int16},
    )


def seed_coins(transaction: TransactionResource, symbols: Sequence[str]) -> list[int]:
    """Store ``symbols`` as coins of one sector; their ids in the universe's order."""
    with transaction.begin() as uow:
        sector_ids = uow.coins.upsert_sectors([SectorSpec("layer1", "Layer 1")])
        uow.coins.upsert_coins([CoinSpec(symbol, symbol.title(), "layer1", sort_order=i)
                                for i, symbol in enumerate(symbols)], sector_ids, source="test")
        ids = MarketDataQueries(uow.connection).coin_frame(list(symbols)).get_column("coin_id").to_list()
        uow.commit()
    return [int(i) for i in ids]
