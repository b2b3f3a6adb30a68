"""Fusion inputs derived from the signals read of ``market_decisions`` (pure Polars).

The signals read carries each signal's bar regime (``bar_regime``, the indicators row at the
signal's candle time), so the bars themselves are not read: a window is only ever evaluated at a
candle time that has signals, and the success-rate lookups use the bar regime, else the signal's own.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from iris_assets.signals.inputs import success_queries
from iris_assets.signals.success import success_asof

__all__ = ["FUSION_COLUMNS", "bar_regimes", "first_lookup", "success_lookups", "with_success_rates"]

# What ``fuse_market_decisions`` reads of a signal (plus ``success_rate``).
FUSION_COLUMNS = ("coin_id", "timeframe", "timestamp", "signal_type", "direction", "confidence", "priority_score",
                  "context_score", "regime_alignment")


def bar_regimes(signals: pl.DataFrame) -> pl.DataFrame:
    """coin_id, timeframe, timestamp, regime of every distinct signal candle (null when the bar has none)."""
    return signals.select("coin_id", "timeframe", "timestamp", pl.col("bar_regime").alias("regime")).unique(
        ["coin_id", "timeframe", "timestamp"])


def success_lookups(signals: pl.DataFrame) -> pl.DataFrame:
    """The fusion columns of ``signals`` plus the success-rate lookup keys (``slug``, ``regime``).

    A signal's regime for the lookup is its bar's regime, falling back to the signal's ``market_regime``;
    only base pattern signals get a slug (the others keep a null rate).
    """
    return success_queries(signals.select(
        *FUSION_COLUMNS, pl.coalesce("bar_regime", "market_regime").cast(pl.String).alias("regime")))


def first_lookup(lookups: pl.DataFrame) -> datetime | None:
    """The earliest timestamp at which a success rate is looked up (None when there is none).

    Outcomes known before it only matter through each scope's last 200, so the outcome read can be
    cut there (``known_pattern_outcomes(..., tail_before=...)``) without changing any rate.
    """
    first = lookups.filter(pl.col("slug").is_not_null()).get_column("timestamp").min()
    assert first is None or isinstance(first, datetime)
    return first


def with_success_rates(lookups: pl.DataFrame, outcomes: pl.DataFrame) -> pl.DataFrame:
    """The fusion columns of ``lookups`` plus the point-in-time ``success_rate`` (``success_asof``)."""
    return success_asof(outcomes, lookups).drop("slug", "success_samples", "regime")
