"""Inputs of the decision engines, as Polars frames (one statement each).

Every read is bounded by the run window and returns only what a bar could have known: snapshots
with ``as_of`` at or before the window's end are loaded and the engines pick, per bar, the newest one
at or before that bar.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import polars as pl
from sqlalchemy import Connection, Table, and_, case, func, literal, select, true

from iris_resources.cross_market.tables import coin_relations, sector_metrics
from iris_resources.db.persistence_log import log_query
from iris_resources.indicators.queries import read_frame
from iris_resources.indicators.tables import indicators, signals
from iris_resources.market_data.tables import coins, sectors
from iris_resources.patterns.tables import market_cycles, signal_outcomes
from iris_resources.signals.tables import strategies, strategy_performance, strategy_rules

_SIGNAL_COLUMNS = (signals.c.coin_id, signals.c.timeframe, signals.c.candle_timestamp.label("timestamp"),
                   signals.c.signal_type, signals.c.direction, signals.c.confidence, signals.c.priority_score,
                   signals.c.context_score, signals.c.regime_alignment, signals.c.market_regime)
_IDS: dict[str, pl.DataType | type[pl.DataType]] = {"coin_id": pl.Int32, "timeframe": pl.Int16}
# Snapshots are taken at day ends; three days covers a weekend-free daily cadence with margin.
SNAPSHOT_REACH = timedelta(days=3)


def _typed(frame: pl.DataFrame, schema: dict[str, pl.DataType | type[pl.DataType]] | None = None) -> pl.DataFrame:
    overrides = {**_IDS, **(schema or {})}
    return frame.cast({k: v for k, v in overrides.items() if k in frame.columns}) if not frame.is_empty() else frame


class DecisionQueries:
    """Reads for investment decisions, final signals, fusion, backtests and strategies."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def coin_sectors(self, coin_ids: Sequence[int]) -> pl.DataFrame:
        """coin_id, symbol, sector_id, sector (name)."""
        frame = read_frame(self._connection, select(
            coins.c.id.label("coin_id"), coins.c.symbol, coins.c.sector_id, sectors.c.name.label("sector"))
            .join(sectors, sectors.c.id == coins.c.sector_id).where(coins.c.id.in_(list(coin_ids))))
        return _typed(frame, {"sector_id": pl.Int32})

    def pattern_stacks(self, coin_ids: Sequence[int], start: datetime, end: datetime) -> pl.DataFrame:
        """Pattern, cluster and hierarchy signals with candle time in ``[start, end)``."""
        frame = read_frame(self._connection, select(*_SIGNAL_COLUMNS).where(
            signals.c.coin_id.in_(list(coin_ids)), signals.c.source == "pattern",
            signals.c.candle_timestamp >= start, signals.c.candle_timestamp < end))
        log_query("signals", "pattern_stacks", count=frame.height)
        return _typed(frame)

    def fusion_signals(self, coin_ids: Sequence[int], start: datetime, end: datetime) -> pl.DataFrame:
        """Signals of every source in ``[start, end)`` plus, per coin and timeframe, those at the three
        newest distinct candle times before ``start`` (the fusion window's warm-up), in one statement."""
        keys = select(coins.c.id.label("coin_id"), literal(0).label("pad")).where(
            coins.c.id.in_(list(coin_ids))).subquery("keys")
        timeframes = select(func.unnest(literal([15, 60, 240, 1440])).label("timeframe")).subquery("tfs")
        recent = (
            select(signals.c.candle_timestamp)
            .where(signals.c.coin_id == keys.c.coin_id, signals.c.timeframe == timeframes.c.timeframe,
                   signals.c.candle_timestamp < start, signals.c.candle_timestamp >= start - timedelta(days=365))
            .group_by(signals.c.candle_timestamp)
            .order_by(signals.c.candle_timestamp.desc()).limit(3)
            .lateral("recent")
        )
        warm = (
            select(keys.c.coin_id, timeframes.c.timeframe, func.min(recent.c.candle_timestamp).label("since"))
            .select_from(keys.join(timeframes, true()).join(recent, true()))
            .group_by(keys.c.coin_id, timeframes.c.timeframe).subquery("warm")
        )
        lower = func.coalesce(warm.c.since, start)
        statement = (
            select(*_SIGNAL_COLUMNS)
            .select_from(signals.outerjoin(warm, and_(warm.c.coin_id == signals.c.coin_id,
                                                      warm.c.timeframe == signals.c.timeframe)))
            .where(signals.c.coin_id.in_(list(coin_ids)), signals.c.candle_timestamp < end,
                   signals.c.candle_timestamp >= func.least(lower, start),
                   signals.c.candle_timestamp >= start - timedelta(days=365))
        )
        frame = read_frame(self._connection, statement)
        log_query("signals", "fusion_signals", count=frame.height)
        return _typed(frame)

    def bar_context(self, coin_ids: Sequence[int], start: datetime, end: datetime) -> pl.DataFrame:
        """Per bar of every timeframe: regime, trend score, ATR, close, 24h volume and cycle phase."""
        statement = (
            select(indicators.c.coin_id, indicators.c.timeframe, indicators.c.timestamp,
                   indicators.c.market_regime.label("regime"), indicators.c.trend_score,
                   indicators.c.atr_14.label("atr"), indicators.c.close.label("price"), indicators.c.volume_24h,
                   market_cycles.c.cycle_phase)
            .select_from(indicators.outerjoin(market_cycles, and_(
                market_cycles.c.coin_id == indicators.c.coin_id, market_cycles.c.timeframe == indicators.c.timeframe,
                market_cycles.c.timestamp == indicators.c.timestamp)))
            .where(indicators.c.coin_id.in_(list(coin_ids)), indicators.c.timestamp >= start,
                   indicators.c.timestamp < end)
        )
        frame = read_frame(self._connection, statement)
        log_query("signals", "bar_context", count=frame.height)
        return _typed(frame, {"trend_score": pl.Int16})

    def sector_snapshots(self, start: datetime, end: datetime) -> pl.DataFrame:
        """sector_id, timeframe, as_of, sector_strength, relative_strength, trend, is_top_sector — snapshots
        from shortly before ``start`` up to ``end``; the top sector has the highest relative strength."""
        rank = func.row_number().over(
            partition_by=(sector_metrics.c.timeframe, sector_metrics.c.as_of),
            order_by=(sector_metrics.c.relative_strength.desc().nulls_last(), sector_metrics.c.sector_id))
        frame = read_frame(self._connection, select(
            sector_metrics.c.sector_id, sector_metrics.c.timeframe, sector_metrics.c.as_of,
            sector_metrics.c.sector_strength, sector_metrics.c.relative_strength, sector_metrics.c.trend,
            (rank == 1).label("is_top_sector"))
            .where(sector_metrics.c.as_of >= start - SNAPSHOT_REACH, sector_metrics.c.as_of <= end))
        return _typed(frame, {"sector_id": pl.Int32})

    def relation_snapshots(self, start: datetime, end: datetime) -> pl.DataFrame:
        """Active lead/lag relations as of each snapshot from shortly before ``start`` to ``end``."""
        frame = read_frame(self._connection, select(
            coin_relations.c.leader_coin_id, coin_relations.c.follower_coin_id, coin_relations.c.timeframe,
            coin_relations.c.as_of, coin_relations.c.confidence, coin_relations.c.correlation)
            .where(coin_relations.c.active.is_(True), coin_relations.c.as_of >= start - SNAPSHOT_REACH,
                   coin_relations.c.as_of <= end))
        return _typed(frame, {"leader_coin_id": pl.Int32, "follower_coin_id": pl.Int32})

    def known_pattern_outcomes(self, since: datetime, until: datetime) -> pl.DataFrame:
        """Base-pattern outcomes (slug, timeframe, regime, known_at, win) of signals since ``since`` whose
        result was known by ``until``: known_at = candle close + the horizon that produced the result."""
        kind = signal_outcomes.c.signal_type
        close = signal_outcomes.c.candle_timestamp + func.make_interval(0, 0, 0, 0, 0, signal_outcomes.c.timeframe)
        horizon = case((signal_outcomes.c.return_72h.is_not(None), literal(timedelta(hours=72))),
                       else_=literal(timedelta(hours=24)))
        known_at = (close + horizon).label("known_at")
        frame = read_frame(self._connection, select(
            func.substr(kind, 9).label("slug"), signal_outcomes.c.timeframe,
            signal_outcomes.c.market_regime.label("regime"), known_at,
            (signal_outcomes.c.result_return > 0).label("win"))
            .where(kind.like("pattern_%"), ~kind.like("pattern_cluster_%"), ~kind.like("pattern_hierarchy_%"),
                   signal_outcomes.c.candle_timestamp >= since, signal_outcomes.c.result_return.is_not(None),
                   close + horizon <= until))
        log_query("signals", "known_pattern_outcomes", count=frame.height)
        return _typed(frame)

    def latest_before(self, table: Table, coin_ids: Sequence[int], start: datetime) -> pl.DataFrame:
        """The newest stored row per (coin, timeframe) of a decision log before ``start``."""
        frame = read_frame(self._connection, select(
            table.c.coin_id, table.c.timeframe, table.c.timestamp, table.c.decision, table.c.confidence)
            .where(table.c.coin_id.in_(list(coin_ids)), table.c.timestamp < start)
            .distinct(table.c.coin_id, table.c.timeframe)
            .order_by(table.c.coin_id, table.c.timeframe, table.c.timestamp.desc()))
        return _typed(frame)

    def strategy_snapshots(self, start: datetime, end: datetime) -> tuple[pl.DataFrame, pl.DataFrame]:
        """(strategies, rules) of the discovery snapshots a bar in ``[start, end)`` may use: the newest
        snapshot at or before ``start`` and every later one before ``end``."""
        base = select(func.max(strategy_performance.c.as_of)).where(
            strategy_performance.c.as_of <= start).scalar_subquery()
        performance = read_frame(self._connection, select(
            strategies.c.name, strategies.c.timeframe, strategy_performance.c.as_of, strategy_performance.c.enabled,
            strategy_performance.c.sample_size, strategy_performance.c.win_rate, strategy_performance.c.avg_return,
            strategy_performance.c.sharpe_ratio, strategy_performance.c.max_drawdown)
            .join(strategies, strategies.c.id == strategy_performance.c.strategy_id)
            .where(strategy_performance.c.as_of >= func.coalesce(base, start), strategy_performance.c.as_of < end))
        rules = read_frame(self._connection, select(
            strategies.c.name, strategy_rules.c.pattern_slug, strategy_rules.c.regime, strategy_rules.c.sector,
            strategy_rules.c.cycle, strategy_rules.c.min_confidence)
            .join(strategies, strategies.c.id == strategy_rules.c.strategy_id))
        return _typed(performance), rules

    def outcomes_for_backtests(self, since: datetime) -> pl.DataFrame:
        """Evaluated signal outcomes since ``since`` with the signal's confidence."""
        frame = read_frame(self._connection, select(
            signal_outcomes.c.coin_id, signal_outcomes.c.timeframe, signal_outcomes.c.signal_type,
            signal_outcomes.c.candle_timestamp, signals.c.confidence, signal_outcomes.c.result_return,
            signal_outcomes.c.result_drawdown)
            .join(signals, and_(signals.c.coin_id == signal_outcomes.c.coin_id,
                                signals.c.timeframe == signal_outcomes.c.timeframe,
                                signals.c.candle_timestamp == signal_outcomes.c.candle_timestamp,
                                signals.c.signal_type == signal_outcomes.c.signal_type))
            .where(signal_outcomes.c.candle_timestamp >= since, signal_outcomes.c.result_return.is_not(None),
                   signal_outcomes.c.result_drawdown.is_not(None)))
        log_query("signals", "outcomes_for_backtests", count=frame.height)
        return _typed(frame)


__all__ = ["DecisionQueries"]
