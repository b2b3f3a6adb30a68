"""Gap detection over base candles (pure Polars, no I/O).

A gap is a run of missing bars between two present bars of the same coin. It is reported by the
bar that closes it: ``gap_end`` is that bar's open time (exclusive end), ``gap_start`` the open time
of the first missing bar. Processing a window therefore needs each coin's last bar *before* the
window, so that a gap spanning midnight (or several days) is found whole. Missing bars after the
newest bar are not a gap yet: nothing has closed them.
"""

from __future__ import annotations

import polars as pl


def detect_gaps(bars: pl.DataFrame, previous: pl.DataFrame) -> pl.DataFrame:
    """Gaps closed by ``bars`` (coin_id, timeframe, timestamp).

    ``previous`` holds each coin's last stored bar before the window (coin_id, timestamp); coins
    without one start fresh (a listing is not a gap).
    """
    schema: dict[str, pl.DataType] = {
        "coin_id": pl.Int32(), "timeframe": pl.Int16(), "gap_start": pl.Datetime("us", "UTC"),
        "gap_end": pl.Datetime("us", "UTC"), "missing_bars": pl.Int32(),
    }
    if bars.is_empty():
        return pl.DataFrame(schema=schema)
    timeframes = bars.group_by("coin_id").agg(pl.col("timeframe").first())
    prior = previous.join(timeframes, on="coin_id", how="inner").select("coin_id", "timeframe", "timestamp")
    sequence = (
        pl.concat([prior.cast(bars.select(prior.columns).schema), bars.select("coin_id", "timeframe", "timestamp")])
        .unique(subset=["coin_id", "timestamp"])
        .sort("coin_id", "timestamp")
    )
    step = pl.duration(minutes=pl.col("timeframe").cast(pl.Int64))
    gaps = (
        sequence.with_columns(pl.col("timestamp").shift(1).over("coin_id").alias("_prev"))
        .filter(pl.col("_prev").is_not_null() & ((pl.col("timestamp") - pl.col("_prev")) > step))
        .select(
            pl.col("coin_id").cast(pl.Int32),
            pl.col("timeframe").cast(pl.Int16),
            (pl.col("_prev") + step).alias("gap_start"),
            pl.col("timestamp").alias("gap_end"),
            (
                (pl.col("timestamp") - pl.col("_prev")).dt.total_minutes()
                // pl.col("timeframe").cast(pl.Int64) - 1
            ).cast(pl.Int32).alias("missing_bars"),
        )
    )
    return gaps.cast(schema)  # type: ignore[arg-type]
