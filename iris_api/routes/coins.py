"""Coins and their candle history at every interval (reference 5.1, DECISIONS.md 1).

Both lists are cached by (normalized query, versions of the ``coins`` and ``candles`` domains):
a hit runs no statement (``iris_api.hot.versioned_body``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from iris_api.deps import RuntimeDep, read_connection
from iris_api.errors import bad_parameter, not_found
from iris_api.hot import query_key, versioned_body
from iris_api.pagination import decode_cursor, page
from iris_api.params import NOT_FOUND, NOT_MODIFIED, CursorQuery, Interval, SymbolPath, interval_of
from iris_api.schemas.coins import CandlesPublic, CoinsPublic
from iris_api.snapshot import Prepared, prepare_live, respond
from iris_resources.market_data.api_read_models import CoinDetailRead
from iris_resources.market_data.read_models import CandleRead
from iris_resources.market_data.read_queries import (
    MarketDataReadQueries,
    available_timeframes,
    candle_source,
)

router = APIRouter(tags=["market_data"])
COINS_DOMAINS = ("coins",)
HISTORY_DOMAINS = ("coins", "candles")


def coin_public(coin: CoinDetailRead) -> dict[str, Any]:
    """``CoinPublic`` fields of a coin."""
    return {
        "id": coin.id, "symbol": coin.symbol, "name": coin.name, "asset_type": coin.asset_type,
        "sector": coin.sector, "sector_name": coin.sector_name, "source": coin.source, "enabled": coin.enabled,
        "sort_order": coin.sort_order, "base_interval": interval_of(coin.base_timeframe),
        "intervals": [interval_of(tf) for tf in available_timeframes(coin.base_timeframe)],
        "created_at": coin.created_at, "updated_at": coin.updated_at,
        "history_backfill_completed_at": coin.history_backfill_completed_at,
        "last_history_sync_at": coin.last_history_sync_at, "next_history_sync_at": coin.next_history_sync_at,
        "last_history_sync_error": coin.last_history_sync_error,
    }


def _candle_public(candle: CandleRead) -> dict[str, Any]:
    return {"timestamp": candle.timestamp, "open": candle.open, "high": candle.high, "low": candle.low,
            "close": candle.close, "price": candle.close, "volume": candle.volume, "is_partial": candle.is_partial}


def utc(value: datetime | None) -> datetime | None:
    """Naive query datetimes are UTC."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def resolve_timeframe(coin: CoinDetailRead, interval: Interval | None, domain: str) -> int:
    """The requested interval in minutes (default: the coin's base); 422 when the coin lacks it."""
    timeframe = interval.minutes if interval is not None else coin.base_timeframe
    if candle_source(coin.base_timeframe, timeframe) is None:
        offered = ", ".join(interval_of(tf) for tf in available_timeframes(coin.base_timeframe))
        raise bad_parameter("interval", f"{coin.symbol} has no {interval_of(timeframe)} candles (offers {offered}).",
                            interval_of(timeframe), code="interval_unavailable", domain=domain)
    return timeframe


@router.get("/coins", response_model=CoinsPublic, responses=NOT_MODIFIED)
async def read_coins(
    request: Request,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: CursorQuery = None,
) -> Response:
    """All non-deleted coins, disabled ones included, by sort order then symbol."""
    after = decode_cursor(cursor, (int, str))

    def load() -> Prepared:
        with read_connection(runtime.engine) as connection:
            rows = MarketDataReadQueries(connection).list_coins(limit=limit + 1, after=after)
        items, next_cursor = page(rows, limit, lambda c: (c.sort_order, c.symbol))
        payload = {"data": [coin_public(c) for c in items], "count": len(items), "limit": limit,
                   "next_cursor": next_cursor}
        return prepare_live(payload, (c.updated_at for c in items))

    params = query_key(limit=limit, cursor=cursor)
    return respond(request, await versioned_body(runtime, "coins", COINS_DOMAINS, params, load))


@router.get("/coins/{symbol}/history", response_model=CandlesPublic, responses={**NOT_FOUND, **NOT_MODIFIED})
async def read_coin_history(
    request: Request,
    symbol: SymbolPath,
    runtime: RuntimeDep,
    interval: Annotated[Interval | None, Query(description="Default: the coin's base interval.")] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    cursor: CursorQuery = None,
    start: Annotated[datetime | None, Query(description="Inclusive lower bound (open time, UTC).")] = None,
    end: Annotated[datetime | None, Query(description="Exclusive upper bound (open time, UTC).")] = None,
    include_partial: Annotated[bool, Query(description="Also send incomplete 1h/4h/1d buckets.")] = False,
) -> Response:
    """A coin's candles at any interval: stored base candles or closed 1h/4h/1d aggregates, the
    newest ``limit`` in ascending time; ``next_cursor`` continues with older candles."""
    after = decode_cursor(cursor, (datetime,))
    start, end = utc(start), utc(end)
    if start is not None and end is not None and start >= end:
        raise bad_parameter("end", "`end` must be after `start`.", end.isoformat(), domain="market_data")

    def load() -> Prepared:
        with read_connection(runtime.engine) as connection:
            queries = MarketDataReadQueries(connection)
            coin = queries.get_coin(symbol)
            if coin is None:
                raise not_found("coin", symbol.strip().upper(), domain="market_data")
            timeframe = resolve_timeframe(coin, interval, "market_data")
            rows = queries.candle_page(coin, timeframe, limit=limit + 1, before=after[0] if after else None,
                                       start=start, end=end, include_partial=include_partial)
        items, next_cursor = page(rows, limit, lambda c: (c.timestamp,))
        payload = {"coin_id": coin.id, "symbol": coin.symbol, "interval": interval_of(timeframe),
                   "data": [_candle_public(c) for c in reversed(items)], "count": len(items), "limit": limit,
                   "next_cursor": next_cursor}
        return prepare_live(payload, [items[0].timestamp] if items else [])

    params = query_key(symbol=symbol.strip().upper(), interval=interval.value if interval else None, limit=limit,
                       cursor=cursor, start=start.isoformat() if start else None,
                       end=end.isoformat() if end else None, include_partial=include_partial)
    return respond(request, await versioned_body(runtime, "coin_history", HISTORY_DOMAINS, params, load))
