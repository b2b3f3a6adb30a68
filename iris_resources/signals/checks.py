"""SQL behind the signals domain's asset checks (one statement each)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ColumnElement, Connection, Table, and_, case, exists, func, select

from iris_resources.db.planner import INDEX_PROBES, planner_settings
from iris_resources.indicators.tables import signals
from iris_resources.patterns.tables import signal_outcomes
from iris_resources.signals.tables import final_signals, investment_decisions, market_decisions, signal_backtests

_LEVEL = {"STRONG_BUY": 3, "BUY": 2, "ACCUMULATE": 1, "HOLD": 0, "REDUCE": -1, "SELL": -2, "STRONG_SELL": -3}


def _level(column: Column[str]) -> ColumnElement[int]:
    return case(*((column == k, v) for k, v in _LEVEL.items()), else_=0)


class DecisionChecks:
    """Invariants of the decision logs and backtests."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def decisions_without_signals(self, start: datetime, end: datetime, *, table: Table = investment_decisions,
                                  source: str | None = "pattern") -> int:
        """Decision rows in the window with no signal (of ``source``) on their bar.

        Each row of the window probes the signals key (``INDEX_PROBES``): hash-anti-joined, every stored
        signal was read, a 2 GB table after a year of 100 coins, growing with the history."""
        condition = [signals.c.coin_id == table.c.coin_id, signals.c.timeframe == table.c.timeframe,
                     signals.c.candle_timestamp == table.c.timestamp]
        if source is not None:
            condition.append(signals.c.source == source)
        with planner_settings(self._connection, INDEX_PROBES):
            return int(self._connection.execute(select(func.count()).select_from(table).where(
                table.c.timestamp >= start, table.c.timestamp < end, ~exists().where(and_(*condition)))).scalar_one())

    def market_decisions_without_signals(self, start: datetime, end: datetime) -> int:
        """Market-decision rows in the window with no signal of any source on their bar."""
        return self.decisions_without_signals(start, end, table=market_decisions, source=None)

    def upgraded_final_signals(self, start: datetime, end: datetime) -> int:
        """Final signals stronger than, or on the other side of, their base decision."""
        final, base = _level(final_signals.c.decision), _level(final_signals.c.base_decision)
        bad = (func.abs(final) > func.abs(base)) | (final * base < 0)
        return int(self._connection.execute(select(func.count()).select_from(final_signals).where(
            final_signals.c.timestamp >= start, final_signals.c.timestamp < end, bad)).scalar_one())

    def backtest_sample_mismatches_by_lookback(self, since: dict[int, datetime]) -> dict[int, int]:
        """``backtest_sample_mismatches`` for several lookbacks (days → window start) in one outcome scan."""
        if not since:
            return {}
        counts = [func.count().filter(signal_outcomes.c.candle_timestamp >= start).label(f"n_{days}")
                  for days, start in since.items()]
        counted = (
            select(signal_outcomes.c.signal_type, signal_outcomes.c.timeframe, *counts)
            .where(signal_outcomes.c.candle_timestamp >= min(since.values()),
                   signal_outcomes.c.result_return.is_not(None), signal_outcomes.c.result_drawdown.is_not(None))
            .group_by(signal_outcomes.c.signal_type, signal_outcomes.c.timeframe).subquery()
        )
        joined = signal_backtests.outerjoin(counted, and_(counted.c.signal_type == signal_backtests.c.signal_type,
                                                         counted.c.timeframe == signal_backtests.c.timeframe))
        # A type without outcomes in a shorter lookback counts 0 there: NULLIF makes that "missing" (−1),
        # exactly as the per-lookback count, which has no group for it.
        wrong = [func.count().filter(and_(
            signal_backtests.c.lookback_days == days,
            func.coalesce(func.nullif(counted.c[f"n_{days}"], 0), -1) != signal_backtests.c.sample_size,
        )).label(f"m_{days}") for days in since]
        row = self._connection.execute(select(*wrong).select_from(joined).where(
            signal_backtests.c.coin_id.is_(None))).one()
        return {days: int(value) for days, value in zip(since, row, strict=True)}

    def backtest_sample_mismatches(self, lookback_days: int, since: datetime) -> int:
        """All-coin backtest rows whose sample size differs from the evaluated outcomes they summarise."""
        counted = (
            select(signal_outcomes.c.signal_type, signal_outcomes.c.timeframe, func.count().label("n"))
            .where(signal_outcomes.c.candle_timestamp >= since, signal_outcomes.c.result_return.is_not(None),
                   signal_outcomes.c.result_drawdown.is_not(None))
            .group_by(signal_outcomes.c.signal_type, signal_outcomes.c.timeframe).subquery()
        )
        joined = signal_backtests.outerjoin(counted, and_(counted.c.signal_type == signal_backtests.c.signal_type,
                                                         counted.c.timeframe == signal_backtests.c.timeframe))
        return int(self._connection.execute(select(func.count()).select_from(joined).where(
            signal_backtests.c.lookback_days == lookback_days, signal_backtests.c.coin_id.is_(None),
            func.coalesce(counted.c.n, -1) != signal_backtests.c.sample_size)).scalar_one())
