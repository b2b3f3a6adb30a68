"""Per-bar leader entries and day-end coin snapshots from indicator rows (pure Polars)."""

from __future__ import annotations

import polars as pl

from iris_assets.indicators.metrics import activity_bucket


def with_activity(bars: pl.DataFrame, timeframe: int) -> pl.DataFrame:
    """Add the reference's activity score and bucket to per-bar features (percent units)."""
    bars_per_day = max(1440 // timeframe, 1)
    score = (
        pl.col("price_change_24h_pct").abs().fill_null(0.0)
        + (pl.col("volatility") * bars_per_day ** 0.5 * 100.0).fill_null(0.0)
        + pl.col("volume_change_24h_pct").abs().fill_null(0.0)
    )
    return bars.with_columns(score.alias("activity_score")).with_columns(
        activity_bucket(pl.col("activity_score")).alias("activity_bucket"))


def leader_entries(detected: pl.DataFrame, all_bars: pl.DataFrame) -> pl.DataFrame:
    """Only the first bar of each leader episode: the rule holding bar after bar is one detection.

    ``detected``: bars passing the leader rule (coin_id, timestamp, direction …); ``all_bars``:
    coin_id, timestamp of every evaluated bar (to know whether the previous bar passed).
    """
    if detected.is_empty():
        return detected
    marks = all_bars.select("coin_id", "timestamp").join(
        detected.select("coin_id", "timestamp", pl.col("direction").alias("_dir")), on=["coin_id", "timestamp"],
        how="left").sort("coin_id", "timestamp")
    previous = pl.col("_dir").shift(1).over("coin_id")
    entries = marks.filter(pl.col("_dir").is_not_null() & (previous.is_null() | (previous != pl.col("_dir"))))
    return detected.join(entries.select("coin_id", "timestamp"), on=["coin_id", "timestamp"], how="inner")


def day_end_snapshot(bars: pl.DataFrame) -> pl.DataFrame:
    """Each coin's last bar (the state at the end of the window)."""
    return bars.sort("coin_id", "timestamp").group_by("coin_id", maintain_order=True).last()
