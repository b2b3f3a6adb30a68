"""Signals to evaluate and outcomes to aggregate (frames for the pattern engines)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import Connection, Select, func, or_, select, true, union_all

from iris_resources.db.persistence_log import log_query
from iris_resources.indicators.queries import read_frame
from iris_resources.indicators.tables import signals
from iris_resources.patterns.outcome_scopes import SameRegime, is_base_pattern, per_scope
from iris_resources.patterns.tables import pattern_statistics, signal_outcomes

# The statistics engine's rolling window (``iris_assets.patterns.statistics.ROLLING_WINDOW``).
STATISTICS_WINDOW = 200


class OutcomeQueries:
    """Reads for outcome evaluation and statistics."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def signals(self, coin_ids: Sequence[int], timeframe: int, start: datetime, end: datetime) -> pl.DataFrame:
        """Signals of the window (coin_id, timestamp, signal_type, direction, market_regime)."""
        frame = read_frame(self._connection, select(
            signals.c.coin_id, signals.c.candle_timestamp.label("timestamp"), signals.c.signal_type,
            signals.c.direction, signals.c.market_regime)
            .where(signals.c.coin_id.in_(list(coin_ids)), signals.c.timeframe == timeframe,
                   signals.c.candle_timestamp >= start, signals.c.candle_timestamp < end))
        return frame.cast({"coin_id": pl.Int32}) if not frame.is_empty() else frame

    def pattern_outcomes(self, since: datetime) -> pl.DataFrame:
        """Pattern (not cluster/hierarchy) outcomes since ``since`` as the statistics engine reads them."""
        kind = signal_outcomes.c.signal_type
        return read_frame(self._connection, select(
            func.substr(kind, 9).label("slug"), signal_outcomes.c.timeframe,
            signal_outcomes.c.market_regime.label("regime"), signal_outcomes.c.coin_id,
            signal_outcomes.c.candle_timestamp, signal_outcomes.c.result_return, signal_outcomes.c.result_drawdown)
            .where(*is_base_pattern(kind), signal_outcomes.c.candle_timestamp >= since,
                   signal_outcomes.c.result_return.is_not(None)))

    def recent_pattern_outcomes(self, since: datetime, window: int = STATISTICS_WINDOW) -> pl.DataFrame:
        """The pattern outcomes :meth:`pattern_outcomes` returns that can be among the newest ``window`` of
        their (slug, timeframe, regime) scope or of their pooled (slug, timeframe) scope.

        Ranked in SQL (candle time descending, then coin), so the frame is bounded by the number of
        scopes × ``window`` instead of growing with the history. Rows with no regime (or regime "all") only
        count for the pooled scope. The candidates are each (timeframe, type, regime) scope's newest
        ``window`` rows, read from ``ix_signal_outcomes_scope_ts`` (``per_scope``): a pooled scope's
        newest ``window`` are among them too, since fewer than ``window`` rows of its own regime are newer
        than any of them. Ranking every outcome since ``since`` scanned the table (18 s after a year of
        100 coins, growing with the history).
        """
        def newest(scopes: Any, same_regime: SameRegime) -> Select[Any]:
            rows = signal_outcomes.alias("scope_rows")
            top = (select(func.substr(rows.c.signal_type, 9).label("slug"), rows.c.timeframe,
                          rows.c.market_regime.label("regime"), rows.c.coin_id, rows.c.candle_timestamp,
                          rows.c.result_return, rows.c.result_drawdown)
                   .where(rows.c.timeframe == scopes.c.timeframe, rows.c.signal_type == scopes.c.signal_type,
                          same_regime(rows), rows.c.result_return.is_not(None), rows.c.candle_timestamp >= since)
                   .order_by(rows.c.candle_timestamp.desc(), rows.c.coin_id).limit(window).lateral("newest"))
            return select(*top.c).select_from(scopes.join(top, true()))

        candidates = union_all(*per_scope(newest)).subquery("candidates")
        c = candidates.c
        order = (c.candle_timestamp.desc(), c.coin_id)
        ranked = select(
            *c,
            func.row_number().over(partition_by=(c.slug, c.timeframe, c.regime), order_by=order).label("own_rank"),
            func.row_number().over(partition_by=(c.slug, c.timeframe), order_by=order).label("all_rank"),
        ).subquery("ranked")
        own_scope = ranked.c.regime.is_not(None) & (ranked.c.regime != "all")
        frame = read_frame(self._connection, select(
            ranked.c.slug, ranked.c.timeframe, ranked.c.regime, ranked.c.coin_id, ranked.c.candle_timestamp,
            ranked.c.result_return, ranked.c.result_drawdown)
            .where(or_(ranked.c.all_rank <= window, own_scope & (ranked.c.own_rank <= window))))
        log_query("patterns", "recent_pattern_outcomes", count=frame.height)
        return frame

    def aggregate_statistics(self) -> dict[str, dict[str, Any]]:
        """Per slug over the four timeframes' "all" rows: n, n-weighted rate, mean temperature."""
        rows = self._connection.execute(select(
            pattern_statistics.c.pattern_slug, func.sum(pattern_statistics.c.total_signals),
            func.sum(pattern_statistics.c.successful_signals), func.sum(pattern_statistics.c.temperature) / 4.0)
            .where(pattern_statistics.c.market_regime == "all").group_by(pattern_statistics.c.pattern_slug)).all()
        return {slug: {"n": int(n), "rate": (float(s) / n) if n else 0.0, "temperature": float(t)}
                for slug, n, s, t in rows}
