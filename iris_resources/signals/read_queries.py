"""Query service of the read API for decisions, final signals, market decisions, backtests and strategies.

Every method runs exactly one statement whatever the page size (tests count them); none writes.
Statements are built once per shape (which filters are present) and executed with bound values.

"Latest per coin and timeframe" is one index probe per (coin, timeframe) on the logs' unique
``(coin_id, timeframe, timestamp)`` key (a LATERAL ``ORDER BY timestamp DESC LIMIT 1``), never a scan of
the whole log: a log holds a row only where the decision or its band changed, so the newest row is the
coin's current decision on that timeframe.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from functools import lru_cache
from typing import Any, Literal

from sqlalchemy import (
    Connection,
    Integer,
    Select,
    String,
    Table,
    bindparam,
    case,
    cast,
    false,
    func,
    null,
    select,
    true,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import FromClause

from iris_resources.db.keyset import after_values, before, timeframe_values
from iris_resources.db.persistence_log import log_query
from iris_resources.market_data.tables import coins, sectors
from iris_resources.signals.api_read_models import (
    BacktestPage,
    BacktestRow,
    DecisionRow,
    FinalSignalRow,
    InvestmentDecisionRow,
    MarketDecisionRow,
    StrategyPerformanceRow,
    StrategyRow,
    StrategyRuleRow,
)
from iris_resources.signals.tables import (
    final_signals,
    investment_decisions,
    market_decisions,
    signal_backtests,
    strategies,
    strategy_performance,
    strategy_rules,
)

DecisionKind = Literal["investment", "final", "market"]
DecisionOrder = Literal["recent", "top"]
BacktestOrder = Literal["sample", "top"]
# The timeframes decisions are made on, and the order a per-coin summary picks its canonical one in
# (reference 5.4: the first available of 1440, 240, 60, 15).
DECISION_TIMEFRAMES = (15, 60, 240, 1440)
CANONICAL_ORDER = (1440, 240, 60, 15)


@dataclass(frozen=True)
class _Log:
    table: Table
    row: type[InvestmentDecisionRow] | type[FinalSignalRow] | type[MarketDecisionRow]
    top: tuple[str, str]  # the "top" ordering (descending) before timestamp and id


LOGS: dict[str, _Log] = {
    "investment": _Log(investment_decisions, InvestmentDecisionRow, ("score", "confidence")),
    "final": _Log(final_signals, FinalSignalRow, ("risk_adjusted_score", "confidence")),
    "market": _Log(market_decisions, MarketDecisionRow, ("confidence", "signal_count")),
}
_LISTS = ("dominant_factors", "flags")  # comma-joined in the table, lists on the wire
_TIMEFRAMES = timeframe_values(DECISION_TIMEFRAMES)


def canonical(rows: Sequence[DecisionRow]) -> DecisionRow | None:
    """The row of the first available timeframe in order 1440, 240, 60, 15 (reference 5.4)."""
    by_timeframe = {row.timeframe: row for row in rows}
    return next((by_timeframe[tf] for tf in CANONICAL_ORDER if tf in by_timeframe), None)


def decision_key(kind: DecisionKind, order: DecisionOrder, row: DecisionRow) -> tuple[Any, ...]:
    """The keyset of ``row`` in a list of ``kind`` sorted by ``order`` (floats stay floats)."""
    head = tuple(getattr(row, name) for name in LOGS[kind].top) if order == "top" else ()
    return (*head, row.timestamp, row.id)


def _log_columns(source: FromClause, row: type) -> list[ColumnElement[Any]]:
    """The read model's columns in field order, from ``source`` (the log or a subquery of it) and the coin."""
    columns: list[ColumnElement[Any]] = []
    for field in fields(row):
        if field.name == "symbol":
            columns.append(coins.c.symbol)
        elif field.name == "name":
            columns.append(coins.c.name)
        elif field.name == "sector":
            columns.append(sectors.c.code.label("sector"))
        elif field.name in _LISTS:
            columns.append(func.string_to_array(func.coalesce(source.c[field.name], ""), ",",
                                                type_=ARRAY(String)).label(field.name))
        else:
            columns.append(source.c[field.name])
    return columns






@lru_cache(maxsize=96)
def _latest(kind: str, order: str | None, after: bool, symbol: bool, coin: bool, timeframe: bool) -> Select:
    """Each coin's newest row per timeframe; ``order`` None: one coin's rows by timeframe."""
    log = LOGS[kind]
    table = log.table
    newest = (select(table).where(table.c.coin_id == coins.c.id, table.c.timeframe == _TIMEFRAMES.c.timeframe)
              .order_by(table.c.timestamp.desc()).limit(1).lateral("newest"))
    statement = (
        select(*_log_columns(newest, log.row))
        .select_from(coins.join(sectors, sectors.c.id == coins.c.sector_id).join(_TIMEFRAMES, true())
                     .join(newest, true()))
        .where(coins.c.deleted_at.is_(None))
    )
    if order is None:
        statement = statement.order_by(newest.c.timeframe)
    else:
        key = [*(newest.c[name] for name in log.top)] if order == "top" else []
        key += [newest.c.timestamp, newest.c.id]
        statement = statement.order_by(*(c.desc() for c in key)).limit(bindparam("limit"))
        if after:
            statement = statement.where(before(key))
    if symbol:
        statement = statement.where(coins.c.symbol == bindparam("symbol"))
    if coin:
        statement = statement.where(coins.c.id == bindparam("coin_id"))
    if timeframe:
        statement = statement.where(_TIMEFRAMES.c.timeframe == bindparam("timeframe"))
    return statement


@lru_cache(maxsize=24)
def _history(kind: str, after: bool, timeframe: bool) -> Select:
    log = LOGS[kind]
    table = log.table
    statement = (
        select(*_log_columns(table, log.row))
        .select_from(table.join(coins, coins.c.id == table.c.coin_id).join(sectors, sectors.c.id == coins.c.sector_id))
        .where(table.c.coin_id == bindparam("coin_id"))
        .order_by(table.c.timestamp.desc(), table.c.id.desc())
        .limit(bindparam("limit"))
    )
    if after:
        statement = statement.where(before([table.c.timestamp, table.c.id]))
    if timeframe:
        statement = statement.where(table.c.timeframe == bindparam("timeframe"))
    return statement


# Backtests ------------------------------------------------------------------------------------------

_BACKTEST_KEYS: dict[str, tuple[str, ...]] = {
    # reference 5.6: (sample_size, sharpe, roi, win_rate) desc; the top list ranks by Sharpe first
    "sample": ("sample_size", "sharpe_ratio", "roi", "win_rate", "signal_type", "timeframe"),
    "top": ("sharpe_ratio", "roi", "win_rate", "sample_size", "signal_type", "timeframe"),
}


def backtest_key(order: BacktestOrder, row: BacktestRow) -> tuple[Any, ...]:
    """The keyset of ``row`` in a backtest list sorted by ``order``."""
    return tuple(getattr(row, name) for name in _BACKTEST_KEYS[order])


@lru_cache(maxsize=64)
def _backtests(order: str, after: bool, symbol: bool, timeframe: bool, signal_type: bool, min_sample: bool
               ) -> Select:
    """A page of summaries outer-joined to the stored lookbacks: one row (with a NULL page) even when the
    page is empty, so the lookback can be validated in the same statement."""
    table = signal_backtests
    coin_symbol = coins.c.symbol if symbol else cast(null(), String)
    page = (
        select(coin_symbol.label("symbol"),
               *(table.c[f.name] for f in fields(BacktestRow) if f.name != "symbol"))
        .where(table.c.lookback_days == bindparam("lookback_days"))
    )
    if symbol:
        page = page.join_from(table, coins, coins.c.id == table.c.coin_id).where(
            coins.c.symbol == bindparam("symbol"), coins.c.deleted_at.is_(None))
    else:
        page = page.where(table.c.coin_id.is_(None))
    key = [table.c[name] for name in _BACKTEST_KEYS[order]]
    page = page.order_by(*(c.desc() for c in key)).limit(bindparam("limit"))
    if after:
        page = page.where(before(key))
    if timeframe:
        page = page.where(table.c.timeframe == bindparam("timeframe"))
    if signal_type:
        page = page.where(table.c.signal_type == bindparam("signal_type"))
    if min_sample:
        page = page.where(table.c.sample_size >= bindparam("min_sample_size"))
    rows = page.subquery("page")
    stored = select(func.array_agg(table.c.lookback_days.distinct()).label("lookbacks")).subquery("stored")
    return (select(stored.c.lookbacks, *rows.c).select_from(stored.outerjoin(rows, true()))
            .order_by(*(rows.c[name].desc() for name in _BACKTEST_KEYS[order])))


# Strategies -----------------------------------------------------------------------------------------

_NEWEST_SNAPSHOT = select(func.max(strategy_performance.c.as_of)).scalar_subquery()
_RULES = (
    select(func.coalesce(func.jsonb_agg(aggregate_order_by(
        func.jsonb_build_array(strategy_rules.c.pattern_slug, strategy_rules.c.regime, strategy_rules.c.sector,
                               strategy_rules.c.cycle, strategy_rules.c.min_confidence),
        strategy_rules.c.pattern_slug)), func.jsonb_build_array()))
    .where(strategy_rules.c.strategy_id == strategies.c.id)
    .scalar_subquery()
)
_PERFORMANCE_COLUMNS = (
    strategy_performance.c.strategy_id, strategies.c.name, strategies.c.timeframe, strategy_performance.c.enabled,
    strategy_performance.c.rank, strategy_performance.c.sample_size, strategy_performance.c.win_rate,
    strategy_performance.c.avg_return, strategy_performance.c.sharpe_ratio, strategy_performance.c.sharpe_annualized,
    strategy_performance.c.max_drawdown, strategy_performance.c.as_of,
)
# Enabled first, then by id: (0 for enabled, id) ascending.
_DISABLED = case((func.coalesce(strategy_performance.c.enabled, false()), 0), else_=1)


@lru_cache(maxsize=16)
def _strategies(after: bool, enabled_only: bool, timeframe: bool) -> Select:
    statement = (
        select(strategies.c.id, strategies.c.name, strategies.c.timeframe, strategies.c.description,
               func.coalesce(strategy_performance.c.enabled, false()), strategies.c.created_at, _RULES,
               *_PERFORMANCE_COLUMNS[3:])
        .select_from(strategies.outerjoin(strategy_performance, (strategy_performance.c.strategy_id == strategies.c.id)
                                          & (strategy_performance.c.as_of == _NEWEST_SNAPSHOT)))
        .order_by(_DISABLED, strategies.c.id)
        .limit(bindparam("limit"))
    )
    if after:
        statement = statement.where(tuple_(_DISABLED, strategies.c.id)
                                    > tuple_(bindparam("after_0"), bindparam("after_1")))
    if enabled_only:
        statement = statement.where(strategy_performance.c.enabled.is_(True))
    if timeframe:
        statement = statement.where(strategies.c.timeframe == bindparam("timeframe"))
    return statement


# reference 7.2: enabled, Sharpe, win rate, average return (descending); then the id, descending too.
_PERFORMANCE_KEY = (cast(strategy_performance.c.enabled, Integer), strategy_performance.c.sharpe_ratio,
                    strategy_performance.c.win_rate, strategy_performance.c.avg_return,
                    strategy_performance.c.strategy_id)


def performance_key(row: StrategyPerformanceRow) -> tuple[Any, ...]:
    """The keyset of a row of ``/strategies/performance``."""
    return (int(row.enabled), row.sharpe_ratio, row.win_rate, row.avg_return, row.strategy_id)


@lru_cache(maxsize=16)
def _performance(after: bool, enabled_only: bool, timeframe: bool) -> Select:
    statement = (
        select(*_PERFORMANCE_COLUMNS)
        .join_from(strategy_performance, strategies, strategies.c.id == strategy_performance.c.strategy_id)
        .where(strategy_performance.c.as_of == _NEWEST_SNAPSHOT)
        .order_by(*(c.desc() for c in _PERFORMANCE_KEY))
        .limit(bindparam("limit"))
    )
    if after:
        statement = statement.where(before(_PERFORMANCE_KEY))
    if enabled_only:
        statement = statement.where(strategy_performance.c.enabled.is_(True))
    if timeframe:
        statement = statement.where(strategies.c.timeframe == bindparam("timeframe"))
    return statement


def _strategy_row(row: Sequence[Any]) -> StrategyRow:
    (strategy_id, name, timeframe, description, enabled, created_at, rules, *performance) = row
    return StrategyRow(
        id=strategy_id, name=name, timeframe=timeframe, description=description, enabled=enabled,
        created_at=created_at, rules=tuple(StrategyRuleRow(*rule) for rule in rules or ()),
        performance=StrategyPerformanceRow(strategy_id, name, timeframe, *performance)
        if performance[-1] is not None else None,
    )


def strategy_key(row: StrategyRow) -> tuple[int, int]:
    """The keyset of a strategy in ``/strategies`` (enabled first, then id)."""
    return (0 if row.enabled else 1, row.id)


class SignalReadQueries:
    """Decisions (latest and history), backtest summaries and strategies of non-deleted coins."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def latest_decisions(
        self,
        kind: DecisionKind,
        *,
        order: DecisionOrder,
        limit: int,
        after: Sequence[Any] | None = None,
        symbol: str | None = None,
        timeframe: int | None = None,
    ) -> tuple[DecisionRow, ...]:
        """The newest row per coin and timeframe of log ``kind``: ``recent`` sorts by timestamp then id,
        ``top`` by the log's score and confidence first; all descending, after the keyset ``after``."""
        params: dict[str, object] = {"limit": limit}
        params.update(after_values(after))
        if symbol is not None:
            params["symbol"] = symbol.strip().upper()
        if timeframe is not None:
            params["timeframe"] = timeframe
        statement = _latest(kind, order, after is not None, symbol is not None, False, timeframe is not None)
        rows = self._connection.execute(statement, params).all()
        log_query("signals", f"api_latest_{kind}", count=len(rows))
        row_type = LOGS[kind].row
        return tuple(row_type(*row) for row in rows)

    def coin_decisions(self, kind: DecisionKind, coin_id: int) -> tuple[DecisionRow, ...]:
        """One coin's newest row per timeframe of log ``kind``, by ascending timeframe."""
        rows = self._connection.execute(_latest(kind, None, False, False, True, False), {"coin_id": coin_id}).all()
        log_query("signals", f"api_coin_{kind}", count=len(rows))
        row_type = LOGS[kind].row
        return tuple(row_type(*row) for row in rows)

    def decision_history(
        self,
        kind: DecisionKind,
        coin_id: int,
        *,
        limit: int,
        after: Sequence[Any] | None = None,
        timeframe: int | None = None,
    ) -> tuple[DecisionRow, ...]:
        """One coin's log ``kind``, newest bar first (then id), after the keyset ``after``."""
        params: dict[str, object] = {"coin_id": coin_id, "limit": limit}
        params.update(after_values(after))
        if timeframe is not None:
            params["timeframe"] = timeframe
        rows = self._connection.execute(_history(kind, after is not None, timeframe is not None), params).all()
        log_query("signals", f"api_{kind}_history", count=len(rows))
        row_type = LOGS[kind].row
        return tuple(row_type(*row) for row in rows)

    def backtests(
        self,
        *,
        lookback_days: int,
        order: BacktestOrder,
        limit: int,
        after: Sequence[Any] | None = None,
        symbol: str | None = None,
        timeframe: int | None = None,
        signal_type: str | None = None,
        min_sample_size: int | None = None,
    ) -> BacktestPage:
        """Summaries of ``lookback_days``: all-coin ones, or one coin's when ``symbol`` is given; with
        the lookbacks stored (so a caller can tell an unstored lookback from an empty page)."""
        params: dict[str, object] = {"lookback_days": lookback_days, "limit": limit}
        params.update(after_values(after))
        if symbol is not None:
            params["symbol"] = symbol.strip().upper()
        if timeframe is not None:
            params["timeframe"] = timeframe
        if signal_type is not None:
            params["signal_type"] = signal_type
        if min_sample_size is not None:
            params["min_sample_size"] = min_sample_size
        statement = _backtests(order, after is not None, symbol is not None, timeframe is not None,
                               signal_type is not None, min_sample_size is not None)
        rows = self._connection.execute(statement, params).all()
        log_query("signals", "api_backtests", count=len(rows))
        lookbacks = tuple(sorted(rows[0][0] or ())) if rows else ()
        summaries = tuple(BacktestRow(*row[1:]) for row in rows if row[2] is not None)  # row[2]: signal_type
        return BacktestPage(available_lookbacks=lookbacks, rows=summaries)

    def strategies(self, *, limit: int, after: Sequence[Any] | None = None, enabled_only: bool = False,
                   timeframe: int | None = None) -> tuple[StrategyRow, ...]:
        """Strategies with their rules and newest-snapshot performance, enabled first then by id."""
        params: dict[str, object] = {"limit": limit}
        params.update(after_values(after))
        if timeframe is not None:
            params["timeframe"] = timeframe
        rows = self._connection.execute(_strategies(after is not None, enabled_only, timeframe is not None),
                                        params).all()
        log_query("signals", "api_strategies", count=len(rows))
        return tuple(_strategy_row(row) for row in rows)

    def strategy_performance(self, *, limit: int, after: Sequence[Any] | None = None, enabled_only: bool = False,
                             timeframe: int | None = None) -> tuple[StrategyPerformanceRow, ...]:
        """The newest snapshot's performance rows: enabled first, then by Sharpe, win rate and average return
        (all descending)."""
        params: dict[str, object] = {"limit": limit}
        params.update(after_values(after))
        if timeframe is not None:
            params["timeframe"] = timeframe
        rows = self._connection.execute(_performance(after is not None, enabled_only, timeframe is not None),
                                        params).all()
        log_query("signals", "api_strategy_performance", count=len(rows))
        return tuple(StrategyPerformanceRow(*row) for row in rows)

