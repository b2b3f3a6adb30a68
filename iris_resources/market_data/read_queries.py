"""Query service of the read API for coins and candles: one statement per call, never writes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import Connection, Select, select, tuple_

from iris_resources.db.persistence_log import log_query
from iris_resources.market_data.api_read_models import CoinDetailRead
from iris_resources.market_data.read_models import CandleRead
from iris_resources.market_data.tables import candle_aggregates, candles, coins, sectors
from iris_resources.market_data.timeframes import AGGREGATE_TIMEFRAMES

CandleSource = Literal["candles", "candle_aggregates"]


def candle_source(base_timeframe: int, timeframe: int) -> CandleSource | None:
    """Where a coin's candles at ``timeframe`` live: its stored base candles, the aggregates
    resampled from them (DECISIONS.md 1), or nowhere (finer than the base, or not a multiple)."""
    if timeframe == base_timeframe:
        return "candles"
    if timeframe in AGGREGATE_TIMEFRAMES and timeframe > base_timeframe and timeframe % base_timeframe == 0:
        return "candle_aggregates"
    return None


def available_timeframes(base_timeframe: int) -> tuple[int, ...]:
    """Every timeframe ``candle_source`` can answer for a coin, ascending."""
    candidates = (base_timeframe, *AGGREGATE_TIMEFRAMES)
    return tuple(sorted({tf for tf in candidates if candle_source(base_timeframe, tf) is not None}))


def _coin_select() -> Select:
    return (
        select(
            coins.c.id, coins.c.symbol, coins.c.name, coins.c.asset_type, sectors.c.code.label("sector"),
            sectors.c.name.label("sector_name"), coins.c.source, coins.c.base_timeframe, coins.c.enabled,
            coins.c.sort_order, coins.c.created_at, coins.c.updated_at, coins.c.history_backfill_completed_at,
            coins.c.last_history_sync_at, coins.c.next_history_sync_at, coins.c.last_history_sync_error,
        )
        .join(sectors, sectors.c.id == coins.c.sector_id)
        .where(coins.c.deleted_at.is_(None))
    )


class MarketDataReadQueries:
    """Coins (enabled or not, never deleted) and candle pages."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def list_coins(self, *, limit: int, after: tuple[int, str] | None = None) -> tuple[CoinDetailRead, ...]:
        """Coins by ``sort_order`` then symbol, those after the keyset ``after`` (one statement)."""
        statement = _coin_select().order_by(coins.c.sort_order, coins.c.symbol).limit(limit)
        if after is not None:
            statement = statement.where(tuple_(coins.c.sort_order, coins.c.symbol) > tuple_(*after))
        result = tuple(CoinDetailRead(**row._mapping) for row in self._connection.execute(statement))
        log_query("market_data", "api_list_coins", count=len(result))
        return result

    def get_coin(self, symbol: str) -> CoinDetailRead | None:
        """One coin by symbol (trimmed, upper-cased); ``None`` when unknown or deleted."""
        row = self._connection.execute(_coin_select().where(coins.c.symbol == symbol.strip().upper())).first()
        log_query("market_data", "api_get_coin", count=int(row is not None))
        return CoinDetailRead(**row._mapping) if row is not None else None

    def candle_page(
        self,
        coin: CoinDetailRead,
        timeframe: int,
        *,
        limit: int,
        before: datetime | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        include_partial: bool = False,
    ) -> tuple[CandleRead, ...]:
        """Up to ``limit`` candles of ``coin`` at ``timeframe``, NEWEST first, with
        ``start <= timestamp < end`` and ``timestamp < before`` (one statement).

        Base candles for the coin's base timeframe, otherwise closed aggregates (partial buckets
        only with ``include_partial``). Raises ``ValueError`` for a timeframe the coin lacks.
        """
        source = candle_source(coin.base_timeframe, timeframe)
        if source is None:
            raise ValueError(f"{coin.symbol} has no {timeframe}m candles")
        table = candles if source == "candles" else candle_aggregates
        partial = table.c.is_partial if source == "candle_aggregates" else None
        columns = [table.c.timestamp, table.c.open, table.c.high, table.c.low, table.c.close, table.c.volume]
        statement = (
            select(*columns, *([partial] if partial is not None else []))
            .where(table.c.coin_id == coin.id, table.c.timeframe == timeframe)
            .order_by(table.c.timestamp.desc())
            .limit(limit)
        )
        if partial is not None and not include_partial:
            statement = statement.where(partial.is_(False))
        if before is not None:
            statement = statement.where(table.c.timestamp < before)
        if start is not None:
            statement = statement.where(table.c.timestamp >= start)
        if end is not None:
            statement = statement.where(table.c.timestamp < end)
        result = tuple(CandleRead(**row._mapping) for row in self._connection.execute(statement))
        log_query("market_data", "api_candle_page", count=len(result), timeframe=timeframe, source=source)
        return result
