"""Read side of the patterns domain."""

from __future__ import annotations

import polars as pl
from sqlalchemy import Connection, select

from iris_resources.indicators.queries import read_frame
from iris_resources.patterns.tables import pattern_statistics


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
