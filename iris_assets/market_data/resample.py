"""Resampling base candles to higher timeframes (pure Polars, no I/O).

Buckets are epoch-aligned (1d starts 00:00 UTC, 4h at 00/04/08/…): open of the first bar, max high,
min low, close of the last bar, sum of non-null volumes (null only if every volume is null). A
bucket is *partial* when fewer base candles than the bucket holds are present; partial buckets are
returned flagged so that nothing downstream mistakes them for closed ones.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

AGGREGATE_TIMEFRAMES = (60, 240, 1440)


def resample(base: pl.DataFrame, targets: Sequence[int] = AGGREGATE_TIMEFRAMES) -> pl.DataFrame:
    """Aggregate ``base`` (coin_id, timeframe, timestamp, open, high, low, close, volume) to ``targets``.

    Returns coin_id, timeframe (target), timestamp (bucket open), OHLCV, base_count, is_partial,
    sorted by coin, timeframe and time. Targets not larger than a coin's base, or not a multiple
    of it, are skipped for that coin.
    """
    if base.is_empty():
        return _empty()
    epoch_us = base.get_column("timestamp").dt.epoch("us")
    sorted_base = base.with_columns(epoch_us.alias("_us")).sort("coin_id", "_us")
    frames = []
    for target in targets:
        period_us = target * 60_000_000
        eligible = sorted_base.filter(
            (pl.col("timeframe") < target) & (target % pl.col("timeframe").cast(pl.Int64) == 0)
        )
        if eligible.is_empty():
            continue
        frames.append(
            eligible.with_columns((pl.col("_us") - pl.col("_us") % period_us).alias("_bucket"))
            .group_by("coin_id", "_bucket", maintain_order=True)
            .agg(
                pl.col("open").first(),
                pl.col("high").max(),
                pl.col("low").min(),
                pl.col("close").last(),
                pl.when(pl.col("volume").is_not_null().any()).then(pl.col("volume").sum()).alias("volume"),
                pl.len().cast(pl.Int16).alias("base_count"),
                (target // pl.col("timeframe").first().cast(pl.Int64)).alias("_expected"),
            )
            .select(
                pl.col("coin_id").cast(pl.Int32),
                pl.lit(target, dtype=pl.Int16).alias("timeframe"),
                pl.from_epoch("_bucket", time_unit="us").dt.replace_time_zone("UTC").alias("timestamp"),
                "open", "high", "low", "close", "volume", "base_count",
                (pl.col("base_count") < pl.col("_expected")).alias("is_partial"),
            )
        )
    if not frames:
        return _empty()
    return pl.concat(frames).sort("coin_id", "timeframe", "timestamp")


def _empty() -> pl.DataFrame:
    return pl.DataFrame(schema={
        "coin_id": pl.Int32, "timeframe": pl.Int16, "timestamp": pl.Datetime("us", "UTC"),
        "open": pl.Float64, "high": pl.Float64, "low": pl.Float64, "close": pl.Float64,
        "volume": pl.Float64, "base_count": pl.Int16, "is_partial": pl.Boolean,
    })
