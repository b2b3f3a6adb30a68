"""Decisions, final signals, market decisions, decision history, backtests and strategies (reference 7.2).

The three decision products are logs holding a row only where the decision or its confidence band
changed (DECISIONS.md 15), so "the current decision" of a coin on a timeframe is its newest row. Lists
sorted by a score carry floats in their cursor, written as their shortest round-trip repr.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import Connection, Engine

from iris_api.deps import EngineDep, RuntimeDep, SettingsDep, read_connection
from iris_api.errors import bad_parameter, not_found
from iris_api.hot import query_key, versioned_body
from iris_api.pagination import KeyPart, decode_cursor, page
from iris_api.params import NOT_FOUND, NOT_MODIFIED, CursorQuery, SymbolPath, Timeframe
from iris_api.runtime import ApiRuntime
from iris_api.schemas.signals import (
    BacktestsPublic,
    CoinBacktestsPublic,
    CoinFinalSignalPublic,
    CoinInvestmentDecisionPublic,
    CoinMarketDecisionPublic,
    DecisionHistoryPublic,
    FinalSignalsPublic,
    InvestmentDecisionsPublic,
    MarketDecisionsPublic,
    StrategiesPublic,
    StrategyPerformancesPublic,
)
from iris_api.settings import ApiSettings
from iris_api.snapshot import Prepared, live_snapshot, prepare_live, render, respond
from iris_resources.market_data.read_queries import MarketDataReadQueries
from iris_resources.signals.api_read_models import BacktestPage
from iris_resources.signals.read_queries import (
    BacktestOrder,
    DecisionKind,
    DecisionOrder,
    SignalReadQueries,
    backtest_key,
    canonical,
    decision_key,
    performance_key,
    strategy_key,
)

router = APIRouter(tags=["signals"])
DOMAIN = "signals"
# The decision lists change with the decision logs and with the coins they join (symbol, name, sector).
DECISION_DOMAINS = ("coins", "signals")
ListLimit = Annotated[int, Query(ge=1, le=500)]
TopLimit = Annotated[int, Query(ge=1, le=200)]
SymbolQuery = Annotated[str | None, Query(max_length=32, description="Only this coin; an unknown one matches nothing.")]
LookbackQuery = Annotated[int, Query(ge=30, le=3650, description="A stored lookback window in days (see "
                                                                  "`available_lookbacks`; default 365).")]
# Keyset kinds of each list: floats travel as strings (the shared cursor carries int, str and datetime).
_DECISION_KEYS: dict[tuple[str, str], tuple[type, ...]] = {
    **{(kind, "recent"): (datetime, int) for kind in ("investment", "final", "market")},
    ("investment", "top"): (float, float, datetime, int),
    ("final", "top"): (float, float, datetime, int),
    ("market", "top"): (float, int, datetime, int),
}
_BACKTEST_KEYS: dict[str, tuple[type, ...]] = {
    "sample": (int, float, float, float, str, int),
    "top": (float, float, float, int, str, int),
}
_BAD_CURSOR = "Not a cursor of this list; pass `next_cursor` unchanged."


class DecisionLog(StrEnum):
    """Which decision log."""

    INVESTMENT = "investment"
    FINAL = "final"
    MARKET = "market"


_LOGS: dict[DecisionLog, DecisionKind] = {DecisionLog.INVESTMENT: "investment", DecisionLog.FINAL: "final",
                                          DecisionLog.MARKET: "market"}

def encodable(key: Sequence[Any]) -> tuple[KeyPart, ...]:
    """A sort key the shared cursor can carry: floats become their repr (exact round trip)."""
    return tuple(repr(float(part)) if isinstance(part, float) else part for part in key)


def decode_key(cursor: str | None, kinds: Sequence[type]) -> tuple[Any, ...] | None:
    """The sort key in ``cursor``, floats parsed back; 422 ``invalid_cursor`` otherwise."""
    raw = decode_cursor(cursor, [str if kind is float else kind for kind in kinds])
    if raw is None:
        return None
    try:
        return tuple(float(part) if kind is float else part for part, kind in zip(raw, kinds, strict=True))
    except ValueError:
        raise bad_parameter("cursor", _BAD_CURSOR, cursor, code="invalid_cursor") from None


def _minutes(timeframe: Timeframe | None) -> int | None:
    return int(timeframe) if timeframe is not None else None


async def _latest(request: Request, runtime: ApiRuntime, kind: DecisionKind, order: DecisionOrder,
                  limit: int, cursor: str | None, symbol: str | None = None, timeframe: Timeframe | None = None
                  ) -> Response:
    """The current decision lists, served from rendered bodies keyed by the signals data version."""
    after = decode_key(cursor, _DECISION_KEYS[(kind, order)])
    symbol = symbol.strip().upper() if symbol is not None else None

    def load() -> Prepared:
        with read_connection(runtime.engine) as connection:
            rows = SignalReadQueries(connection).latest_decisions(
                kind, order=order, limit=limit + 1, after=after, symbol=symbol, timeframe=_minutes(timeframe))
        items, next_cursor = page(rows, limit, lambda r: encodable(decision_key(kind, order, r)))
        payload = {"data": items, "count": len(items), "limit": limit, "next_cursor": next_cursor}
        return prepare_live(payload, (r.timestamp for r in items))

    params = query_key(symbol=symbol, timeframe=_minutes(timeframe), limit=limit, cursor=cursor)
    return respond(request, await versioned_body(runtime, f"{kind}_{order}", DECISION_DOMAINS, params, load))


def _coin_latest(request: Request, engine: Engine, settings: ApiSettings, kind: DecisionKind, symbol: str) -> Response:
    with read_connection(engine) as connection:
        coin = MarketDataReadQueries(connection).get_coin(symbol)
        if coin is None:
            raise not_found("coin", symbol.strip().upper(), domain=DOMAIN)
        rows = SignalReadQueries(connection).coin_decisions(kind, coin.id)
    chosen = canonical(rows)
    payload = {"coin_id": coin.id, "symbol": coin.symbol,
               "canonical_decision": chosen.decision if chosen else None,
               "canonical_timeframe": chosen.timeframe if chosen else None, "count": len(rows), "data": rows}
    return respond(request, render(payload, live_snapshot(r.timestamp for r in rows), settings))


@router.get("/decisions", response_model=InvestmentDecisionsPublic, responses=NOT_MODIFIED)
async def read_decisions(request: Request, runtime: RuntimeDep, symbol: SymbolQuery = None,
                   timeframe: Timeframe | None = None, limit: ListLimit = 100, cursor: CursorQuery = None) -> Response:
    """Each coin's current investment decision per timeframe (its newest log row), newest bar first."""
    return await _latest(request, runtime, "investment", "recent", limit, cursor, symbol, timeframe)


@router.get("/decisions/top", response_model=InvestmentDecisionsPublic, responses=NOT_MODIFIED)
async def read_top_decisions(request: Request, runtime: RuntimeDep, timeframe: Timeframe | None = None,
                       limit: TopLimit = 20, cursor: CursorQuery = None) -> Response:
    """Current investment decisions by score, then confidence, then bar time (all descending)."""
    return await _latest(request, runtime, "investment", "top", limit, cursor, timeframe=timeframe)


@router.get("/coins/{symbol}/decision", response_model=CoinInvestmentDecisionPublic,
            responses={**NOT_FOUND, **NOT_MODIFIED})
def read_coin_decision(request: Request, symbol: SymbolPath, engine: EngineDep, settings: SettingsDep) -> Response:
    """A coin's current investment decision on every timeframe and its canonical one (the first
    available of 1d, 4h, 1h, 15m)."""
    return _coin_latest(request, engine, settings, "investment", symbol)


@router.get("/final-signals", response_model=FinalSignalsPublic, responses=NOT_MODIFIED)
async def read_final_signals(request: Request, runtime: RuntimeDep, symbol: SymbolQuery = None,
                       timeframe: Timeframe | None = None, limit: ListLimit = 100, cursor: CursorQuery = None
                       ) -> Response:
    """Each coin's current final (risk-adjusted) signal per timeframe, newest bar first, with the
    liquidity, slippage and volatility risk it was adjusted for."""
    return await _latest(request, runtime, "final", "recent", limit, cursor, symbol, timeframe)


@router.get("/final-signals/top", response_model=FinalSignalsPublic, responses=NOT_MODIFIED)
async def read_top_final_signals(request: Request, runtime: RuntimeDep,
                           timeframe: Timeframe | None = None, limit: TopLimit = 20, cursor: CursorQuery = None
                           ) -> Response:
    """Current final signals by risk-adjusted score, then confidence, then bar time (all descending)."""
    return await _latest(request, runtime, "final", "top", limit, cursor, timeframe=timeframe)


@router.get("/coins/{symbol}/final-signal", response_model=CoinFinalSignalPublic,
            responses={**NOT_FOUND, **NOT_MODIFIED})
def read_coin_final_signal(request: Request, symbol: SymbolPath, engine: EngineDep, settings: SettingsDep
                           ) -> Response:
    """A coin's current final signal on every timeframe and its canonical one (1d, 4h, 1h, 15m)."""
    return _coin_latest(request, engine, settings, "final", symbol)


@router.get("/market-decisions", response_model=MarketDecisionsPublic, responses=NOT_MODIFIED)
async def read_market_decisions(request: Request, runtime: RuntimeDep, symbol: SymbolQuery = None,
                          timeframe: Timeframe | None = None, limit: ListLimit = 100, cursor: CursorQuery = None
                          ) -> Response:
    """Each coin's current signal-fusion decision per timeframe, newest bar first."""
    return await _latest(request, runtime, "market", "recent", limit, cursor, symbol, timeframe)


@router.get("/market-decisions/top", response_model=MarketDecisionsPublic, responses=NOT_MODIFIED)
async def read_top_market_decisions(request: Request, runtime: RuntimeDep,
                              timeframe: Timeframe | None = None, limit: TopLimit = 20, cursor: CursorQuery = None
                              ) -> Response:
    """Current market decisions by confidence, then signal count, then bar time (all descending)."""
    return await _latest(request, runtime, "market", "top", limit, cursor, timeframe=timeframe)


@router.get("/coins/{symbol}/market-decision", response_model=CoinMarketDecisionPublic,
            responses={**NOT_FOUND, **NOT_MODIFIED})
def read_coin_market_decision(request: Request, symbol: SymbolPath, engine: EngineDep, settings: SettingsDep
                              ) -> Response:
    """A coin's current market decision on every timeframe and its canonical one (1d, 4h, 1h, 15m)."""
    return _coin_latest(request, engine, settings, "market", symbol)


@router.get("/coins/{symbol}/decisions/history", response_model=DecisionHistoryPublic,
            responses={**NOT_FOUND, **NOT_MODIFIED})
def read_coin_decision_history(
    request: Request,
    symbol: SymbolPath,
    engine: EngineDep,
    settings: SettingsDep,
    kind: Annotated[DecisionLog, Query(description="Which log (default `final`).")] = DecisionLog.FINAL,
    timeframe: Timeframe | None = None,
    limit: ListLimit = 100,
    cursor: CursorQuery = None,
) -> Response:
    """One coin's full decision log (every change of decision or confidence band), newest bar first."""
    log = _LOGS[kind]
    after = decode_cursor(cursor, (datetime, int))
    with read_connection(engine) as connection:
        coin = MarketDataReadQueries(connection).get_coin(symbol)
        if coin is None:
            raise not_found("coin", symbol.strip().upper(), domain=DOMAIN)
        rows = SignalReadQueries(connection).decision_history(log, coin.id, limit=limit + 1, after=after,
                                                              timeframe=_minutes(timeframe))
    items, next_cursor = page(rows, limit, lambda r: (r.timestamp, r.id))
    payload = {"coin_id": coin.id, "symbol": coin.symbol, "kind": log, "data": items, "count": len(items),
               "limit": limit, "next_cursor": next_cursor}
    return respond(request, render(payload, live_snapshot(r.timestamp for r in items), settings))


def _backtests(connection: Connection, order: BacktestOrder, lookback_days: int, limit: int, cursor: str | None,
               **filters: Any) -> BacktestPage:
    after = decode_key(cursor, _BACKTEST_KEYS[order])
    result = SignalReadQueries(connection).backtests(lookback_days=lookback_days, order=order, limit=limit + 1,
                                                     after=after, **filters)
    stored = result.available_lookbacks
    if stored and lookback_days not in stored:
        offered = ", ".join(str(days) for days in stored)
        raise bad_parameter("lookback_days", f"No backtests are stored for {lookback_days} days (stored: {offered}).",
                            lookback_days, code="lookback_unavailable", domain=DOMAIN)
    return result


def _backtest_payload(result: BacktestPage, order: BacktestOrder, limit: int) -> dict[str, Any]:
    items, next_cursor = page(result.rows, limit, lambda r: encodable(backtest_key(order, r)))
    return {"available_lookbacks": result.available_lookbacks, "data": items, "count": len(items), "limit": limit,
            "next_cursor": next_cursor}


@router.get("/backtests", response_model=BacktestsPublic, responses=NOT_MODIFIED)
def read_backtests(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    symbol: Annotated[str | None, Query(max_length=32, description="That coin's own summaries instead of the "
                                                                   "all-coin ones.")] = None,
    timeframe: Timeframe | None = None,
    signal_type: Annotated[str | None, Query(max_length=64)] = None,
    lookback_days: LookbackQuery = 365,
    limit: ListLimit = 100,
    cursor: CursorQuery = None,
) -> Response:
    """Backtest summaries per signal type and timeframe over one stored lookback, by sample size, Sharpe,
    ROI and win rate (descending). A lookback that is not stored is a 422 naming the stored ones."""
    with read_connection(engine) as connection:
        result = _backtests(connection, "sample", lookback_days, limit, cursor, symbol=symbol,
                            timeframe=_minutes(timeframe), signal_type=signal_type)
    payload = _backtest_payload(result, "sample", limit)
    return respond(request, render(payload, live_snapshot(r.as_of for r in result.rows[:limit]), settings))


@router.get("/backtests/top", response_model=BacktestsPublic, responses=NOT_MODIFIED)
def read_top_backtests(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    timeframe: Timeframe | None = None,
    lookback_days: LookbackQuery = 365,
    min_sample_size: Annotated[int, Query(ge=1, le=1_000_000, description="Ignore summaries of fewer outcomes "
                                                                          "(a Sharpe of 3 trades ranks nothing).")] = 8,
    limit: TopLimit = 20,
    cursor: CursorQuery = None,
) -> Response:
    """All-coin backtest summaries by Sharpe, ROI, win rate and sample size (descending), among those
    with at least ``min_sample_size`` outcomes."""
    with read_connection(engine) as connection:
        result = _backtests(connection, "top", lookback_days, limit, cursor, timeframe=_minutes(timeframe),
                            min_sample_size=min_sample_size)
    payload = _backtest_payload(result, "top", limit)
    return respond(request, render(payload, live_snapshot(r.as_of for r in result.rows[:limit]), settings))


@router.get("/coins/{symbol}/backtests", response_model=CoinBacktestsPublic, responses={**NOT_FOUND, **NOT_MODIFIED})
def read_coin_backtests(
    request: Request,
    symbol: SymbolPath,
    engine: EngineDep,
    settings: SettingsDep,
    timeframe: Timeframe | None = None,
    signal_type: Annotated[str | None, Query(max_length=64)] = None,
    lookback_days: LookbackQuery = 365,
    limit: TopLimit = 50,
    cursor: CursorQuery = None,
) -> Response:
    """One coin's backtest summaries per signal type and timeframe, ordered as ``/backtests``."""
    with read_connection(engine) as connection:
        coin = MarketDataReadQueries(connection).get_coin(symbol)
        if coin is None:
            raise not_found("coin", symbol.strip().upper(), domain=DOMAIN)
        result = _backtests(connection, "sample", lookback_days, limit, cursor, symbol=coin.symbol,
                            timeframe=_minutes(timeframe), signal_type=signal_type)
    payload = {"coin_id": coin.id, "symbol": coin.symbol, **_backtest_payload(result, "sample", limit)}
    return respond(request, render(payload, live_snapshot(r.as_of for r in result.rows[:limit]), settings))


@router.get("/strategies", response_model=StrategiesPublic, responses=NOT_MODIFIED)
def read_strategies(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    enabled_only: bool = False,
    timeframe: Timeframe | None = None,
    limit: ListLimit = 100,
    cursor: CursorQuery = None,
) -> Response:
    """Discovered strategies with their rules, enabled first then by id; ``enabled`` and
    ``performance`` are those of the newest discovery snapshot."""
    after = decode_cursor(cursor, (int, int))
    with read_connection(engine) as connection:
        rows = SignalReadQueries(connection).strategies(limit=limit + 1, after=after,
                                                        enabled_only=enabled_only, timeframe=_minutes(timeframe))
    items, next_cursor = page(rows, limit, strategy_key)
    payload = {"data": items, "count": len(items), "limit": limit, "next_cursor": next_cursor}
    snapshot = live_snapshot(s.performance.as_of if s.performance else None for s in items)
    return respond(request, render(payload, snapshot, settings))


@router.get("/strategies/performance", response_model=StrategyPerformancesPublic, responses=NOT_MODIFIED)
def read_strategy_performance(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    enabled_only: bool = False,
    timeframe: Timeframe | None = None,
    limit: ListLimit = 100,
    cursor: CursorQuery = None,
) -> Response:
    """The newest discovery snapshot's performance of each strategy in it: enabled first, then by Sharpe,
    win rate and average return (all descending)."""
    after = decode_key(cursor, (int, float, float, float, int))
    with read_connection(engine) as connection:
        rows = SignalReadQueries(connection).strategy_performance(
            limit=limit + 1, after=after, enabled_only=enabled_only, timeframe=_minutes(timeframe))
    items, next_cursor = page(rows, limit, lambda p: encodable(performance_key(p)))
    payload = {"data": items, "count": len(items), "limit": limit, "next_cursor": next_cursor}
    return respond(request, render(payload, live_snapshot(p.as_of for p in items), settings))
