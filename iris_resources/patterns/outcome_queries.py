"""Signals to evaluate and outcomes to aggregate (frames for the pattern engines)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import Connection, func, select

from iris_resources.indicators.queries import read_frame
from iris_resources.indicators.tables import signals
from iris_resources.patterns.tables import pattern_statistics, signal_outcomes


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
            .where(kind.like("pattern_%"), ~kind.like("pattern_cluster_%"), ~kind.like("pattern_hierarchy_%"),
                   signal_outcomes.c.candle_timestamp >= since, signal_outcomes.c.result_return.is_not(None)))

    def aggregate_statistics(self) -> dict[str, dict[str, Any]]:
        """Per slug over the four timeframes' "all" rows: n, n-weighted rate, mean temperature."""
        rows = self._connection.execute(select(
            pattern_statistics.c.pattern_slug, func.sum(pattern_statistics.c.total_signals),
            func.sum(pattern_statistics.c.successful_signals), func.sum(pattern_statistics.c.temperature) / 4.0)
            .where(pattern_statistics.c.market_regime == "all").group_by(pattern_statistics.c.pattern_slug)).all()
        return {slug: {"n": int(n), "rate": (float(s) / n) if n else 0.0, "temperature": float(t)}
                for slug, n, s, t in rows}
