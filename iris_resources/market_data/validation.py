"""Value-level validation of raw candles, the same for every source.

Every row either passes or is rejected with the first reason that applies, in this order:
``unknown_symbol``, ``missing_timestamp``, ``missing_price``, ``non_finite_price`` (NaN or ±inf),
``non_positive_price``, ``non_finite_volume``,
``negative_volume``, ``high_below_low``, ``open_outside_range``, ``close_outside_range``,
``misaligned_timestamp``. Duplicate ``(symbol, timestamp)`` rows within a batch keep the last one
and are counted, not rejected.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from iris_resources.sources.base import REJECT_SCHEMA

_PRICES = ("open", "high", "low", "close")


@dataclass(frozen=True, slots=True)
class ValidatedCandles:
    """The outcome of validating one batch."""

    accepted: pl.DataFrame  # coin_id, timeframe, timestamp, open, high, low, close, volume
    rejects: pl.DataFrame  # REJECT_SCHEMA
    duplicates: int


def _reason() -> pl.Expr:
    """The first failing rule per row, or null when the row is valid."""
    price_null = pl.any_horizontal(pl.col(c).is_null() for c in _PRICES)
    price_non_finite = pl.any_horizontal(~pl.col(c).is_finite() for c in _PRICES)
    price_non_positive = pl.any_horizontal(pl.col(c) <= 0 for c in _PRICES)
    period_us = pl.col("timeframe").cast(pl.Int64) * 60_000_000
    misaligned = (pl.col("timestamp").dt.epoch("us") % period_us) != 0
    return (
        pl.when(pl.col("coin_id").is_null()).then(pl.lit("unknown_symbol"))
        .when(pl.col("timestamp").is_null()).then(pl.lit("missing_timestamp"))
        .when(price_null).then(pl.lit("missing_price"))
        .when(price_non_finite).then(pl.lit("non_finite_price"))
        .when(price_non_positive).then(pl.lit("non_positive_price"))
        .when(~pl.col("volume").is_finite()).then(pl.lit("non_finite_volume"))
        .when(pl.col("volume") < 0).then(pl.lit("negative_volume"))
        .when(pl.col("high") < pl.col("low")).then(pl.lit("high_below_low"))
        .when((pl.col("open") > pl.col("high")) | (pl.col("open") < pl.col("low")))
        .then(pl.lit("open_outside_range"))
        .when((pl.col("close") > pl.col("high")) | (pl.col("close") < pl.col("low")))
        .then(pl.lit("close_outside_range"))
        .when(misaligned).then(pl.lit("misaligned_timestamp"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )


def validate_candles(raw: pl.DataFrame, coins: pl.DataFrame) -> ValidatedCandles:
    """Split ``raw`` (source candle schema) into accepted rows and rejects.

    ``coins`` maps ``symbol`` to ``coin_id`` and ``timeframe`` (the coin's base timeframe).
    """
    joined = (
        raw.with_row_index("_row")
        .join(coins.select("symbol", "coin_id", "timeframe"), on="symbol", how="left")
        .with_columns(_reason().alias("reason"))
    )
    bad = joined.filter(pl.col("reason").is_not_null())
    good = joined.filter(pl.col("reason").is_null())
    deduped = good.unique(subset=["coin_id", "timestamp"], keep="last", maintain_order=True)
    accepted = deduped.sort("coin_id", "timestamp").select(
        pl.col("coin_id").cast(pl.Int32),
        pl.col("timeframe").cast(pl.Int16),
        "timestamp", "open", "high", "low", "close", "volume",
    )
    rejects = bad.select(
        "symbol",
        "timestamp",
        "reason",
        pl.format(
            "open={} high={} low={} close={} volume={}",
            *(pl.col(c).cast(pl.String).fill_null("null") for c in (*_PRICES, "volume")),
        ).alias("detail"),
        (pl.col("line") if "line" in raw.columns else pl.lit(None, dtype=pl.Int64)).alias("line"),
        pl.lit(None, dtype=pl.String).alias("raw"),
    ).cast(REJECT_SCHEMA)  # type: ignore[arg-type]
    return ValidatedCandles(accepted=accepted, rejects=rejects, duplicates=good.height - deduped.height)
