"""Write side of the signals domain: decision logs, risk metrics, backtests and strategies."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import polars as pl
from sqlalchemy import Connection, Table, delete, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from iris_resources.db.binary_copy import PgType
from iris_resources.db.persistence_log import log_repo
from iris_resources.market_data.repository import copy_frame
from iris_resources.signals.tables import (
    final_signals,
    investment_decisions,
    market_decisions,
    risk_metrics,
    signal_backtests,
    strategies,
    strategy_performance,
    strategy_rules,
)

_KEY: tuple[tuple[str, PgType], ...] = (
    ("coin_id", "int4"), ("timeframe", "int2"), ("timestamp", "timestamptz"), ("decision", "text"),
    ("confidence", "float8"), ("confidence_band", "text"),
)
LOG_COLUMNS: dict[str, tuple[tuple[str, PgType], ...]] = {
    "investment_decisions": (*_KEY, *((c, "float8") for c in (
        "score", "bias_ratio", "signal_priority", "regime_factor", "sector_factor", "cycle_factor",
        "historical_success", "strategy_alignment")),
        ("pattern_count", "int4"), ("cluster_count", "int4"), ("hierarchy_count", "int4"), ("regime", "text"),
        ("reason", "text"), ("created_at", "timestamptz")),
    "final_signals": (*_KEY, ("base_decision", "text"), *((c, "float8") for c in (
        "risk_adjusted_score", "liquidity_score", "slippage_risk", "volatility_risk", "price", "atr")),
        ("regime", "text"), ("reason", "text"), ("created_at", "timestamptz")),
    "market_decisions": (*_KEY, ("signal_count", "int4"), *((c, "float8") for c in (
        "bullish_score", "bearish_score", "agreement", "cross_alignment")),
        ("regime", "text"), ("dominant_factors", "text"), ("flags", "text"), ("created_at", "timestamptz")),
}
_TABLES: dict[str, Table] = {t.name: t for t in (investment_decisions, final_signals, market_decisions)}
BACKTEST_COLUMNS: tuple[tuple[str, PgType], ...] = (
    ("lookback_days", "int2"), ("coin_id", "int4"), ("signal_type", "text"), ("timeframe", "int2"),
    ("sample_size", "int4"), ("coin_count", "int4"),
    *((c, "float8") for c in ("win_rate", "roi", "avg_return", "sharpe_ratio", "sharpe_annualized",
                              "max_drawdown", "equity_drawdown", "avg_confidence")),
    ("first_signal_at", "timestamptz"), ("last_signal_at", "timestamptz"), ("as_of", "timestamptz"),
)


class DecisionRepository:
    """Decision logs (replaced per run window), risk metrics, backtests and strategy snapshots."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def replace_log(self, name: str, coin_ids: Sequence[int], start: datetime, end: datetime,
                    frame: pl.DataFrame) -> int:
        """Replace the rows of decision log ``name`` for ``coin_ids`` with timestamp in ``[start, end)``."""
        table, columns = _TABLES[name], LOG_COLUMNS[name]
        self._connection.execute(delete(table).where(
            table.c.coin_id.in_(list(coin_ids)), table.c.timestamp >= start, table.c.timestamp < end))
        if not frame.is_empty():
            copy_frame(self._connection, name, frame.select([c for c, _ in columns]), columns)
        log_repo("signals", f"replace_{name}", mode="write", count=frame.height, bulk=True)
        return frame.height

    def upsert_risk_metrics(self, frame: pl.DataFrame) -> int:
        """Keep the newest evaluated risk inputs per coin and timeframe (never move backwards in time)."""
        if frame.is_empty():
            return 0
        statement = pg_insert(risk_metrics).values(frame.to_dicts())
        statement = statement.on_conflict_do_update(
            index_elements=["coin_id", "timeframe"],
            set_={c: statement.excluded[c] for c in ("timestamp", "liquidity_score", "slippage_risk",
                                                     "volatility_risk", "updated_at")},
            where=risk_metrics.c.timestamp <= statement.excluded.timestamp)
        self._connection.execute(statement)
        return frame.height

    def replace_backtests(self, lookbacks: Sequence[int], frame: pl.DataFrame) -> int:
        """Replace the summaries of the given lookbacks."""
        self._connection.execute(delete(signal_backtests).where(signal_backtests.c.lookback_days.in_(list(lookbacks))))
        if not frame.is_empty():
            copy_frame(self._connection, "signal_backtests", frame.select([c for c, _ in BACKTEST_COLUMNS]),
                       BACKTEST_COLUMNS)
        log_repo("signals", "replace_backtests", mode="write", count=frame.height, bulk=True)
        return frame.height

    def save_strategy_snapshot(self, as_of: datetime, found: pl.DataFrame, rules: pl.DataFrame) -> int:
        """Create or update the discovered strategies and their rules; replace the ``as_of`` snapshot.

        Strategies are never deleted: one missing from a snapshot simply has no performance row there,
        which readers treat as disabled.
        """
        if not found.is_empty():
            statement = pg_insert(strategies).values(
                found.select("name", "timeframe", "description").to_dicts())
            self._connection.execute(statement.on_conflict_do_update(
                index_elements=["name"], set_={"description": statement.excluded.description}))
        ids = dict(self._connection.execute(select(strategies.c.name, strategies.c.id).where(
            strategies.c.name.in_(found.get_column("name").to_list() if not found.is_empty() else []))).tuples().all())
        self._connection.execute(delete(strategy_performance).where(strategy_performance.c.as_of == as_of))
        if found.is_empty():
            return 0
        self._connection.execute(delete(strategy_rules).where(strategy_rules.c.strategy_id.in_(list(ids.values()))))
        if not rules.is_empty():
            self._connection.execute(insert(strategy_rules), [
                {**r, "strategy_id": ids[r.pop("name")]} for r in rules.select(
                    "name", "pattern_slug", "regime", "sector", "cycle", "min_confidence").to_dicts()])
        self._connection.execute(insert(strategy_performance), [
            {**r, "strategy_id": ids[r.pop("name")], "as_of": as_of} for r in found.select(
                "name", "enabled", "rank", "sample_size", "win_rate", "avg_return", "sharpe_ratio",
                "sharpe_annualized", "max_drawdown").to_dicts()])
        log_repo("signals", "save_strategy_snapshot", mode="write", count=found.height)
        return found.height



