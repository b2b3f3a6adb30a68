"""Coin metrics, per-candle indicators and signals (reference 5.2 and ``list_signals``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from iris_api.deps import EngineDep, RuntimeDep, SettingsDep, read_connection
from iris_api.errors import not_found
from iris_api.hot import hot_body, on_loop_connection
from iris_api.pagination import decode_cursor, page
from iris_api.params import NOT_FOUND, NOT_MODIFIED, CursorQuery, Interval, SymbolPath, Timeframe, interval_of
from iris_api.routes.coins import resolve_timeframe
from iris_api.runtime import ApiRuntime
from iris_api.schemas.indicators import (
    CoinMetricsDetailPublic,
    CoinsMetricsPublic,
    IndicatorsPublic,
    SignalsPublic,
)
from iris_api.settings import ApiSettings
from iris_api.snapshot import Rendered, Snapshot, live_snapshot, render, respond
from iris_resources.indicators.api_read_models import CoinMetricsRow, MetricsVersion, RegimeDetail
from iris_resources.indicators.read_queries import IndicatorReadQueries
from iris_resources.market_data.read_queries import MarketDataReadQueries

router = APIRouter(tags=["indicators"])
_METRIC_FIELDS = tuple(f for f in CoinMetricsRow.__slots__ if f not in ("sort_order", "regime_details"))
_NAME = Annotated[list[str] | None, Query(max_length=20)]


def regime_details(details: Sequence[RegimeDetail]) -> dict[str, dict[str, Any]] | None:
    """``{"15": {"regime": …, "confidence": …}, "60": …}`` by ascending timeframe (reference 1.4)."""
    if not details:
        return None
    ordered = sorted(details, key=lambda d: d.timeframe)
    return {str(d.timeframe): {"regime": d.regime, "confidence": d.confidence} for d in ordered}


def _metrics_public(row: CoinMetricsRow, details: dict[str, dict[str, Any]] | None) -> dict[str, Any]:
    values = {name: getattr(row, name) for name in _METRIC_FIELDS}
    values["market_regime_details"] = details
    return values


def _metrics_token(version: MetricsVersion) -> str | None:
    """The cache version of the metrics list; ``None`` (never cached) before any materialization."""
    if version.generated_at is None:
        return None
    coins_changed = version.coins_updated_at.isoformat() if version.coins_updated_at else "-"
    return f"{version.generated_at.isoformat()}|{coins_changed}|{version.rows}"


def _metrics_page(runtime: ApiRuntime, version: MetricsVersion, key: str | None, limit: int,
                  after: tuple[Any, ...] | None) -> Rendered:
    cached = runtime.cache.get(key) if key is not None else None
    if cached is not None:
        return cached
    with read_connection(runtime.engine) as connection:
        rows = IndicatorReadQueries(connection).list_primary_metrics(limit=limit + 1, after=after)
    items, next_cursor = page(rows, limit, lambda r: (r.sort_order, r.symbol))
    payload = {"data": [_metrics_public(r, regime_details(r.regime_details)) for r in items],
               "count": len(items), "limit": limit, "next_cursor": next_cursor}
    snapshot = Snapshot(generated_at=version.generated_at or datetime.now(UTC),
                        source_timestamp=version.source_timestamp, consistency="derived")
    rendered = render(payload, snapshot, runtime.settings)
    if key is not None:
        runtime.cache.put(key, rendered)
    return rendered


@router.get("/coins/metrics", response_model=CoinsMetricsPublic, responses=NOT_MODIFIED)
async def read_coins_metrics(
    request: Request,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: CursorQuery = None,
) -> Response:
    """Each coin's primary metrics (percent changes, indicators, regime and its per-timeframe
    details), by sort order then symbol; served from a cache keyed by the metrics' materialization."""
    after = decode_cursor(cursor, (int, str))
    params = f"{limit}:{cursor or ''}"

    def load(version: MetricsVersion) -> Rendered:
        token = _metrics_token(version)
        return _metrics_page(runtime, version, runtime.cache.key("coin_metrics", token, params) if token else None,
                             limit, after)

    rendered = await hot_body(runtime, "coin_metrics", params,
                              lambda rt: on_loop_connection(rt, lambda c: IndicatorReadQueries(c).metrics_version()),
                              _metrics_token, load)
    return respond(request, rendered)


@router.get("/coins/{symbol}/metrics", response_model=CoinMetricsDetailPublic, responses={**NOT_FOUND, **NOT_MODIFIED})
def read_coin_metrics(request: Request, symbol: SymbolPath, engine: EngineDep, settings: SettingsDep) -> Response:
    """One coin's metrics on every timeframe, with its primary timeframe and per-timeframe regimes."""
    with read_connection(engine) as connection:
        coin = MarketDataReadQueries(connection).get_coin(symbol)
        if coin is None:
            raise not_found("coin", symbol.strip().upper(), domain="indicators")
        rows = IndicatorReadQueries(connection).coin_metrics(coin.id)
    details = regime_details([RegimeDetail(r.timeframe, r.market_regime, r.regime_confidence)
                              for r in rows if r.market_regime is not None])
    payload = {
        "coin_id": coin.id, "symbol": coin.symbol, "name": coin.name, "sector": coin.sector,
        "primary_timeframe": next((r.timeframe for r in rows if r.is_primary), None),
        "market_regime_details": details, "count": len(rows), "data": [_metrics_public(r, details) for r in rows],
    }
    snapshot = Snapshot(generated_at=max((r.updated_at for r in rows), default=datetime.now(UTC)),
                        source_timestamp=max((r.candle_timestamp for r in rows), default=None), consistency="derived")
    return respond(request, render(payload, snapshot, settings))


@router.get("/coins/{symbol}/indicators", response_model=IndicatorsPublic, responses={**NOT_FOUND, **NOT_MODIFIED})
def read_coin_indicators(
    request: Request,
    symbol: SymbolPath,
    engine: EngineDep,
    settings: SettingsDep,
    interval: Annotated[Interval | None, Query(description="Default: the coin's base interval.")] = None,
    limit: Annotated[int, Query(ge=1, le=2000)] = 200,
    cursor: CursorQuery = None,
) -> Response:
    """Every indicator of each closed candle, the newest ``limit`` in ascending time;
    ``next_cursor`` continues with older candles."""
    after = decode_cursor(cursor, (datetime,))
    with read_connection(engine) as connection:
        coin = MarketDataReadQueries(connection).get_coin(symbol)
        if coin is None:
            raise not_found("coin", symbol.strip().upper(), domain="indicators")
        timeframe = resolve_timeframe(coin, interval, "indicators")
        rows = IndicatorReadQueries(connection).indicator_page(coin.id, timeframe, limit=limit + 1,
                                                               before=after[0] if after else None)
    items, next_cursor = page(rows, limit, lambda r: (r.timestamp,))
    payload = {"coin_id": coin.id, "symbol": coin.symbol, "interval": interval_of(timeframe),
               "data": list(reversed(items)), "count": len(items), "limit": limit, "next_cursor": next_cursor}
    return respond(request, render(payload, live_snapshot([items[0].timestamp] if items else []), settings))


def _signals_response(request: Request, settings: ApiSettings, rows: Sequence[Any], limit: int) -> Response:
    items, next_cursor = page(rows, limit, lambda s: (s.candle_timestamp, s.id))
    payload = {"data": items, "count": len(items), "limit": limit, "next_cursor": next_cursor}
    return respond(request, render(payload, live_snapshot(s.candle_timestamp for s in items), settings))


@router.get("/signals", response_model=SignalsPublic, responses=NOT_MODIFIED)
def read_signals(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    symbol: Annotated[str | None, Query(max_length=32)] = None,
    timeframe: Timeframe | None = None,
    signal_type: _NAME = None,
    source: _NAME = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: CursorQuery = None,
) -> Response:
    """Signals of every coin, newest candle first; ``signal_type`` and ``source`` may repeat.
    An unknown ``symbol`` filters everything out (no 404, unlike ``/coins/{symbol}/signals``)."""
    after = decode_cursor(cursor, (datetime, int))
    with read_connection(engine) as connection:
        rows = IndicatorReadQueries(connection).list_signals(
            limit=limit + 1, after=after, symbol=symbol, timeframe=int(timeframe) if timeframe else None,
            signal_types=signal_type or (), sources=source or ())
    return _signals_response(request, settings, rows, limit)


@router.get("/coins/{symbol}/signals", response_model=SignalsPublic, responses={**NOT_FOUND, **NOT_MODIFIED})
def read_coin_signals(
    request: Request,
    symbol: SymbolPath,
    engine: EngineDep,
    settings: SettingsDep,
    timeframe: Timeframe | None = None,
    signal_type: _NAME = None,
    source: _NAME = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: CursorQuery = None,
) -> Response:
    """One coin's signals, newest candle first."""
    after = decode_cursor(cursor, (datetime, int))
    with read_connection(engine) as connection:
        coin = MarketDataReadQueries(connection).get_coin(symbol)
        if coin is None:
            raise not_found("coin", symbol.strip().upper(), domain="indicators")
        rows = IndicatorReadQueries(connection).list_signals(
            limit=limit + 1, after=after, coin_id=coin.id, timeframe=int(timeframe) if timeframe else None,
            signal_types=signal_type or (), sources=source or ())
    return _signals_response(request, settings, rows, limit)
