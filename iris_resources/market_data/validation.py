"""Value-level validation of raw candles, the same for every source.

Every row either passes or is rejected with the first reason that applies, in this order:
``unknown_symbol``, ``missing_timestamp``, ``missing_price``, ``non_finite_price`` (NaN or ±inf),
``non_positive_price``, ``non_finite_volume``,
``negative_volume``, ``high_below_low``, ``open_outside_range``, ``close_outside_range``,
``misaligned_timestamp``. Duplicate ``(symbol, timestamp)`` rows within a batch keep the last one
and are counted, not rejected.

Before any row is looked at, the batch's *shape* is checked (:func:`conform_candles`): a missing
column, a naive timestamp column or a price column that holds text is a broken source, not a bad
row, and fails the batch with a :class:`~iris_resources.sources.base.SourceError` naming it.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from iris_resources.sources.base import CANDLE_SCHEMA, REJECT_SCHEMA, SourceError

_PRICES = ("open", "high", "low", "close")
_TS = CANDLE_SCHEMA["timestamp"]


@dataclass(frozen=True, slots=True)
class ValidatedCandles:
    """The outcome of validating one batch."""

    accepted: pl.DataFrame  # coin_id, timeframe, timestamp, open, high, low, close, volume
    rejects: pl.DataFrame  # REJECT_SCHEMA
    duplicates: int


def _conformed(name: str, dtype: pl.DataType) -> pl.Expr:
    """Column ``name`` cast to its source-schema type, or :class:`SourceError` when it cannot be."""
    if name == "timestamp":
        if isinstance(dtype, pl.Datetime):
            if dtype.time_zone is None:
                raise SourceError("candle batch: column 'timestamp' is naive (no time zone); sources must "
                                  "deliver timezone-aware UTC open times")
            return pl.col(name).dt.convert_time_zone("UTC").cast(_TS)
        usable = isinstance(dtype, pl.Null)
        expected = "a timezone-aware datetime"
    elif name == "symbol":
        usable = isinstance(dtype, (pl.String, pl.Categorical, pl.Enum, pl.Null))
        expected = "text"
    else:
        usable = dtype.is_numeric() or isinstance(dtype, pl.Null)
        expected = "numeric"
    if not usable:
        raise SourceError(f"candle batch: column {name!r} must be {expected}, got {dtype}")
    return pl.col(name).cast(CANDLE_SCHEMA[name])


def conform_candles(raw: pl.DataFrame) -> pl.DataFrame:
    """``raw`` with exactly the source candle schema (plus ``line`` when present).

    Lossless casts only: numbers of any width become Float64, timestamps in any zone become UTC
    microseconds. Missing columns, naive timestamps and non-numeric prices raise ``SourceError``.
    """
    missing = [name for name in CANDLE_SCHEMA if name not in raw.columns]
    if missing:
        raise SourceError(f"candle batch lacks columns: {', '.join(missing)} (has: {', '.join(raw.columns) or 'none'})")
    exprs = [_conformed(name, raw.schema[name]) for name in CANDLE_SCHEMA]
    if "line" in raw.columns:
        exprs.append(pl.col("line").cast(pl.Int64, strict=False))
    return raw.select(exprs)


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
    Raises ``SourceError`` when the batch itself is malformed (see :func:`conform_candles`).
    """
    raw = conform_candles(raw)
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
