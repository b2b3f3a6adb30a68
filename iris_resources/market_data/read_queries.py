"""Query service of the read API for coins and candles: one statement per call, never writes.

Statements are built once per shape (which filters are present) and executed with bound values:
building a Core select costs more than running it on these small pages. Rows are fetched at once
and read models built positionally (select order = field order).
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Literal

from sqlalchemy import Connection, Select, bindparam, select, tuple_

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


_COIN = (
    select(
        coins.c.id, coins.c.symbol, coins.c.name, coins.c.asset_type, sectors.c.code, sectors.c.name,
        coins.c.source, coins.c.base_timeframe, coins.c.enabled, coins.c.sort_order, coins.c.created_at,
        coins.c.updated_at, coins.c.history_backfill_completed_at, coins.c.last_history_sync_at,
        coins.c.next_history_sync_at, coins.c.last_history_sync_error,
    )
    .join(sectors, sectors.c.id == coins.c.sector_id)
    .where(coins.c.deleted_at.is_(None))
)
_GET_COIN = _COIN.where(coins.c.symbol == bindparam("symbol"))


@lru_cache(maxsize=4)
def _list_coins(after: bool) -> Select:
    statement = _COIN.order_by(coins.c.sort_order, coins.c.symbol).limit(bindparam("limit"))
    if after:
        statement = statement.where(tuple_(coins.c.sort_order, coins.c.symbol)
                                    > tuple_(bindparam("after_order"), bindparam("after_symbol")))
    return statement


@lru_cache(maxsize=64)
def _candle_page(source: CandleSource, include_partial: bool, before: bool, start: bool, end: bool) -> Select:
    table = candles if source == "candles" else candle_aggregates
    partial = [table.c.is_partial] if source == "candle_aggregates" else []
    statement = (
        select(table.c.timestamp, table.c.open, table.c.high, table.c.low, table.c.close, table.c.volume, *partial)
        .where(table.c.coin_id == bindparam("coin_id"), table.c.timeframe == bindparam("timeframe"))
        .order_by(table.c.timestamp.desc())
        .limit(bindparam("limit"))
    )
    if partial and not include_partial:
        statement = statement.where(table.c.is_partial.is_(False))
    if before:
        statement = statement.where(table.c.timestamp < bindparam("before"))
    if start:
        statement = statement.where(table.c.timestamp >= bindparam("start"))
    if end:
        statement = statement.where(table.c.timestamp < bindparam("end"))
    return statement


class MarketDataReadQueries:
    """Coins (enabled or not, never deleted) and candle pages."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def list_coins(self, *, limit: int, after: tuple[int, str] | None = None) -> tuple[CoinDetailRead, ...]:
        """Coins by ``sort_order`` then symbol, those after the keyset ``after`` (one statement)."""
        params: dict[str, object] = {"limit": limit}
        if after is not None:
            params.update(after_order=after[0], after_symbol=after[1])
        rows = self._connection.execute(_list_coins(after is not None), params).all()
        log_query("market_data", "api_list_coins", count=len(rows))
        return tuple(CoinDetailRead(*row) for row in rows)

    def get_coin(self, symbol: str) -> CoinDetailRead | None:
        """One coin by symbol (trimmed, upper-cased); ``None`` when unknown or deleted."""
        row = self._connection.execute(_GET_COIN, {"symbol": symbol.strip().upper()}).first()
        log_query("market_data", "api_get_coin", count=int(row is not None))
        return CoinDetailRead(*tuple(row)) if row is not None else None

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
        statement = _candle_page(source, include_partial, before is not None, start is not None, end is not None)
        params = {"coin_id": coin.id, "timeframe": timeframe, "limit": limit, "before": before, "start": start,
                  "end": end}
        rows = self._connection.execute(statement, {k: v for k, v in params.items() if v is not None}).all()
        log_query("market_data", "api_candle_page", count=len(rows), timeframe=timeframe, source=source)
        return tuple(CandleRead(*row) for row in rows)
