"""Regime changes between consecutive bars (pure Polars)."""

from __future__ import annotations

from datetime import datetime

import polars as pl


def regime_change_rows(bars: pl.DataFrame, since: datetime) -> pl.DataFrame:
    """Bars at or after ``since`` whose regime differs from the coin's previous bar.

    ``bars`` is sorted by coin and time and starts before ``since`` (the seeding warm-up), so the
    previous regime of the first kept bar is known without another query.
    """
    previous = pl.col("market_regime").shift(1).over("coin_id")
    return (
        bars.select("coin_id", "timestamp", "market_regime", "regime_confidence")
        .with_columns(previous.alias("previous_regime"))
        .filter(
            pl.col("market_regime").is_not_null()
            & (pl.col("previous_regime").is_null() | (pl.col("market_regime") != pl.col("previous_regime")))
            & (pl.col("timestamp") >= since)
        )
        .select(
            "coin_id", "timestamp", pl.col("market_regime").alias("regime"), "previous_regime",
            pl.col("regime_confidence").alias("confidence"),
        )
    )
