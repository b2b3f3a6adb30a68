"""Read side of the patterns domain."""

from __future__ import annotations

from datetime import datetime

import polars as pl
from sqlalchemy import Connection, select, text

from iris_resources.db.planner import planner_settings
from iris_resources.indicators.queries import read_frame
from iris_resources.patterns.tables import pattern_statistics

# The orphan count's per-coin anti-joins as hash joins (see ``PatternQueries.orphan_detections``).
_ORPHAN_PLAN = (("enable_nestloop", "off"), ("enable_mergejoin", "off"))
# Pattern signals of the window on no stored base candle and no closed aggregate, coin by coin.
_ORPHANS = text(
    "SELECT coalesce(sum(per_coin.orphans), 0) FROM coins k CROSS JOIN LATERAL (SELECT count(*) AS orphans "
    "FROM signals s WHERE s.coin_id = k.id AND s.source = 'pattern' AND s.candle_timestamp >= :start "
    "AND s.candle_timestamp < :end AND NOT EXISTS (SELECT 1 FROM candles c WHERE c.coin_id = k.id "
    "AND c.timeframe = s.timeframe AND c.timestamp = s.candle_timestamp AND c.timestamp >= :start "
    "AND c.timestamp < :end) AND NOT EXISTS (SELECT 1 FROM candle_aggregates a WHERE a.coin_id = k.id "
    "AND a.timeframe = s.timeframe AND a.timestamp = s.candle_timestamp AND NOT a.is_partial "
    "AND a.timestamp >= :start AND a.timestamp < :end)) AS per_coin")


class PatternQueries:
    """Statistics as the detection context reads them."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def statistics_frame(self) -> pl.DataFrame:
        """pattern_slug, timeframe, market_regime, total_signals, success_rate, enabled, temperature."""
        frame = read_frame(self._connection, select(
            pattern_statistics.c.pattern_slug, pattern_statistics.c.timeframe, pattern_statistics.c.market_regime,
            pattern_statistics.c.total_signals, pattern_statistics.c.success_rate, pattern_statistics.c.enabled,
            pattern_statistics.c.temperature))
        if frame.is_empty():
            return pl.DataFrame(schema={"pattern_slug": pl.String, "timeframe": pl.Int16, "market_regime": pl.String,
                                        "total_signals": pl.Int64, "success_rate": pl.Float64,
                                        "enabled": pl.Boolean, "temperature": pl.Float64})
        return frame.cast({"timeframe": pl.Int16})

    def orphan_detections(self, start: datetime, end: datetime) -> int:
        """Pattern signals in the window whose candle is neither a stored base candle nor a closed aggregate.

        Coin by coin, every side a range of its ``(coin_id, …)`` index bounded by the window: read as one
        anti-join over the window, PostgreSQL scanned the whole signals table and every candle (2.5 s on
        three processes after a year of 100 coins, growing with the history; this takes 1.3 s on one).
        Each coin's anti-joins are hash joins of those ranges (``_ORPHAN_PLAN``): with statistics that
        undercount freshly loaded rows, the planner nested a scan of the coin's whole window of candles
        inside the loop over its signals (23 s for 3 coins × 31 days; 0.03 s hashed). 100 coins × 31 days:
        1.1 s hashed, 1.8 s as the planner chose it."""
        with planner_settings(self._connection, _ORPHAN_PLAN):
            return int(self._connection.execute(_ORPHANS, {"start": start, "end": end}).scalar_one())

    def inconsistent_statistics(self) -> int:
        """Statistics rows whose counts contradict each other (successes > total, rate off, > 200 samples)."""
        return int(self._connection.execute(text(
            "SELECT count(*) FROM pattern_statistics WHERE successful_signals > total_signals "
            "OR total_signals > 200 OR abs(success_rate - successful_signals::float8 / "
            "greatest(total_signals, 1)) > 1e-9")).scalar_one())
