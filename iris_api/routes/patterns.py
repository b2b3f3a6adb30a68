"""Patterns, a coin's pattern signals and signal outcomes, regimes and market cycles (reference 7.1, 3.1–3.2).

Lists sorted by a float carry it in their cursor as its shortest round-trip repr (as the signals
routes do); a list sorted by a descending float and ascending keys carries the float negated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from sqlalchemy import Connection

from iris_api.deps import EngineDep, RuntimeDep, SettingsDep, read_connection
from iris_api.errors import not_found
from iris_api.hot import query_key, versioned_body
from iris_api.pagination import decode_cursor, page
from iris_api.params import NOT_FOUND, NOT_MODIFIED, CursorQuery, SymbolPath, Timeframe
from iris_api.routes.signals import decode_key, encodable
from iris_api.schemas.patterns import (
    CoinPatternsPublic,
    CoinRegimePublic,
    MarketCyclesPublic,
    PatternItemPublic,
    PatternsPublic,
    RegimeChangesPublic,
    SignalHistoryPublic,
)
from iris_api.snapshot import Prepared, live_snapshot, prepare_live, render, respond
from iris_resources.market_data.api_read_models import CoinDetailRead
from iris_resources.market_data.read_queries import MarketDataReadQueries
from iris_resources.patterns.api_read_models import MarketCycleRow, PatternRow
from iris_resources.patterns.read_queries import PatternReadQueries, canonical_regime, cycle_key, pattern_signal_key

# Pattern signals are written through the indicators repository, cycle phases through the patterns one.
PATTERN_SIGNAL_DOMAINS = ("coins", "indicators", "patterns")
router = APIRouter(tags=["patterns"])
DOMAIN = "patterns"
ListLimit = Annotated[int, Query(ge=1, le=500)]
SymbolQuery = Annotated[str | None, Query(max_length=32, description="Only this coin; an unknown one matches nothing.")]
SlugPath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_]+$",
                               description="Detector slug (case-insensitive), without the `pattern_` prefix.")]
Names = Annotated[list[str] | None, Query(max_length=20)]
_CYCLE_FIELDS = tuple(name for name in MarketCycleRow.__slots__ if name != "sort_order")


class PatternKind(StrEnum):
    """Which pattern signals."""

    PATTERN = "pattern"
    CLUSTER = "cluster"
    HIERARCHY = "hierarchy"


class Regime(StrEnum):
    """A market regime (DECISIONS.md 8)."""

    BULL_TREND = "bull_trend"
    BEAR_TREND = "bear_trend"
    SIDEWAYS_RANGE = "sideways_range"
    HIGH_VOLATILITY = "high_volatility"
    LOW_VOLATILITY = "low_volatility"


class CyclePhase(StrEnum):
    """A market cycle phase (reference 3.2)."""

    ACCUMULATION = "ACCUMULATION"
    EARLY_MARKUP = "EARLY_MARKUP"
    MARKUP = "MARKUP"
    LATE_MARKUP = "LATE_MARKUP"
    DISTRIBUTION = "DISTRIBUTION"
    EARLY_MARKDOWN = "EARLY_MARKDOWN"
    MARKDOWN = "MARKDOWN"
    CAPITULATION = "CAPITULATION"


def _minutes(timeframe: Timeframe | None) -> int | None:
    return int(timeframe) if timeframe is not None else None


def _coin(connection: Connection, symbol: str) -> CoinDetailRead:
    coin = MarketDataReadQueries(connection).get_coin(symbol)
    if coin is None:
        raise not_found("coin", symbol.strip().upper(), domain=DOMAIN)
    return coin


def _statistics_times(patterns: Sequence[PatternRow]) -> list[datetime]:
    return [s.updated_at for p in patterns for s in p.statistics]


@router.get("/patterns", response_model=PatternsPublic, responses=NOT_MODIFIED)
def read_patterns(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    category: Annotated[str | None, Query(max_length=32, description="e.g. `structural`, `momentum`.")] = None,
    timeframe: Annotated[Timeframe | None, Query(description="Only the statistics of this timeframe.")] = None,
    limit: ListLimit = 100,
    cursor: CursorQuery = None,
) -> Response:
    """The pattern registry by category then slug, each detector with its success statistics per
    timeframe and regime (materialized by ``pattern_statistics``)."""
    after = decode_cursor(cursor, (str, str))
    with read_connection(engine) as connection:
        rows = PatternReadQueries(connection).patterns(limit=limit + 1, after=after, category=category,
                                                       timeframe=_minutes(timeframe))
    items, next_cursor = page(rows, limit, lambda p: (p.category, p.slug))
    payload = {"data": items, "count": len(items), "limit": limit, "next_cursor": next_cursor}
    return respond(request, render(payload, live_snapshot(_statistics_times(items)), settings))


@router.get("/patterns/{slug}", response_model=PatternItemPublic, responses={**NOT_FOUND, **NOT_MODIFIED})
def read_pattern(
    request: Request,
    slug: SlugPath,
    engine: EngineDep,
    settings: SettingsDep,
    timeframe: Annotated[Timeframe | None, Query(description="Only the statistics of this timeframe.")] = None,
) -> Response:
    """One detector of the registry with its statistics."""
    with read_connection(engine) as connection:
        row = PatternReadQueries(connection).pattern(slug.lower(), timeframe=_minutes(timeframe))
    if row is None:
        raise not_found("pattern", slug.lower(), domain=DOMAIN)
    return respond(request, render({"data": row}, live_snapshot(_statistics_times([row])), settings))


@router.get("/coins/{symbol}/patterns", response_model=CoinPatternsPublic, responses={**NOT_FOUND, **NOT_MODIFIED})
async def read_coin_patterns(
    request: Request,
    symbol: SymbolPath,
    runtime: RuntimeDep,
    timeframe: Timeframe | None = None,
    kind: Annotated[list[PatternKind] | None, Query(description="Repeatable; default all three.")] = None,
    limit: ListLimit = 200,
    cursor: CursorQuery = None,
) -> Response:
    """A coin's pattern, cluster and hierarchy signals: newest candle first, then base patterns before
    clusters before hierarchy, then confidence; each with the cycle phase of its candle and the clusters
    raised with it. Served from rendered bodies keyed by the data versions it reads."""
    after = decode_key(cursor, (datetime, int, float, int))
    kinds = sorted(k.value for k in kind) if kind else []

    def load() -> Prepared:
        with read_connection(runtime.engine) as connection:
            coin = _coin(connection, symbol)
            rows = PatternReadQueries(connection).coin_patterns(
                coin.id, limit=limit + 1, after=after, timeframe=_minutes(timeframe), kinds=kinds)
        items, next_cursor = page(rows, limit, lambda r: encodable(pattern_signal_key(r)))
        payload = {"coin_id": coin.id, "symbol": coin.symbol, "data": items, "count": len(items), "limit": limit,
                   "next_cursor": next_cursor}
        return prepare_live(payload, (r.candle_timestamp for r in items))

    params = query_key(symbol=symbol.strip().upper(), timeframe=_minutes(timeframe), kind=kinds, limit=limit,
                       cursor=cursor)
    return respond(request, await versioned_body(runtime, "coin_patterns", PATTERN_SIGNAL_DOMAINS, params, load))


@router.get("/coins/{symbol}/signal-history", response_model=SignalHistoryPublic,
            responses={**NOT_FOUND, **NOT_MODIFIED})
def read_coin_signal_history(
    request: Request,
    symbol: SymbolPath,
    engine: EngineDep,
    settings: SettingsDep,
    timeframe: Timeframe | None = None,
    signal_type: Annotated[Names, Query(description="Repeatable; default every type.")] = None,
    limit: ListLimit = 100,
    cursor: CursorQuery = None,
) -> Response:
    """A coin's signal outcomes (every horizon's return and adverse excursion, and the result), by candle
    time, timeframe and signal type (all descending)."""
    after = decode_cursor(cursor, (datetime, int, str))
    with read_connection(engine) as connection:
        coin = _coin(connection, symbol)
        rows = PatternReadQueries(connection).signal_history(
            coin.id, limit=limit + 1, after=after, timeframe=_minutes(timeframe), signal_types=signal_type or ())
    items, next_cursor = page(rows, limit, lambda r: (r.candle_timestamp, r.timeframe, r.signal_type))
    payload = {"coin_id": coin.id, "symbol": coin.symbol, "data": items, "count": len(items), "limit": limit,
               "next_cursor": next_cursor}
    return respond(request, render(payload, live_snapshot(r.evaluated_at for r in items), settings))


@router.get("/coins/{symbol}/regime", response_model=CoinRegimePublic, responses={**NOT_FOUND, **NOT_MODIFIED})
def read_coin_regime(request: Request, symbol: SymbolPath, engine: EngineDep, settings: SettingsDep) -> Response:
    """A coin's current regime on every timeframe that has one, and its canonical regime (the primary
    timeframe's, else the first of 1440, 240, 60, 15)."""
    with read_connection(engine) as connection:
        coin = _coin(connection, symbol)
        rows = PatternReadQueries(connection).coin_regimes(coin.id)
    known = [r for r in rows if r.regime is not None]
    chosen = canonical_regime(rows)
    payload = {"coin_id": coin.id, "symbol": coin.symbol, "canonical_regime": chosen.regime if chosen else None,
               "canonical_timeframe": chosen.timeframe if chosen else None, "count": len(known), "data": known}
    return respond(request, render(payload, live_snapshot(r.candle_timestamp for r in known), settings))


@router.get("/market/regimes", response_model=RegimeChangesPublic, responses=NOT_MODIFIED)
def read_market_regimes(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    symbol: SymbolQuery = None,
    timeframe: Timeframe | None = None,
    regime: Annotated[Regime | None, Query(description="Only changes into this regime.")] = None,
    limit: ListLimit = 100,
    cursor: CursorQuery = None,
) -> Response:
    """Regime changes of every coin and timeframe, newest first."""
    after = decode_cursor(cursor, (datetime, int, int))
    with read_connection(engine) as connection:
        rows = PatternReadQueries(connection).regime_changes(
            limit=limit + 1, after=after, symbol=symbol, timeframe=_minutes(timeframe),
            regime=regime.value if regime else None)
    items, next_cursor = page(rows, limit, lambda r: (r.timestamp, r.coin_id, r.timeframe))
    payload = {"data": items, "count": len(items), "limit": limit, "next_cursor": next_cursor}
    return respond(request, render(payload, live_snapshot(r.timestamp for r in items), settings))


def _cycle_public(row: MarketCycleRow) -> dict[str, Any]:
    values = asdict(row)
    return {name: values[name] for name in _CYCLE_FIELDS}


@router.get("/market/cycle", response_model=MarketCyclesPublic, responses=NOT_MODIFIED)
def read_market_cycle(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    symbol: SymbolQuery = None,
    timeframe: Timeframe | None = None,
    phase: CyclePhase | None = None,
    limit: ListLimit = 100,
    cursor: CursorQuery = None,
) -> Response:
    """Each coin's newest cycle phase per timeframe, by confidence (descending), then the coin's sort
    order, symbol and timeframe."""
    after = decode_key(cursor, (float, int, str, int))
    with read_connection(engine) as connection:
        rows = PatternReadQueries(connection).market_cycles(
            limit=limit + 1, after=after, symbol=symbol, timeframe=_minutes(timeframe),
            phase=phase.value if phase else None)
    items, next_cursor = page(rows, limit, lambda r: encodable(cycle_key(r)))
    payload = {"data": [_cycle_public(r) for r in items], "count": len(items), "limit": limit,
               "next_cursor": next_cursor}
    return respond(request, render(payload, live_snapshot(r.detected_at for r in items), settings))
