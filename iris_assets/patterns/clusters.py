"""Cluster and hierarchy meta-signals (reference §4.2, §4.3), per bar, as pure Polars functions.

Inputs are one coin/timeframe's detections (``engine.detection_schema``, usually after the context
steps) and its per-bar features (timestamp, trend_score, market_regime, close); or those of a batch
of coins of one timeframe, every frame with ``coin_id`` and the bars sorted by (coin_id, timestamp).
Sides come from each detection's direction (DECISIONS 10) rather than slug lists, so
``cluster_bearish`` is bearish and a bearish breakout_retest counts as bearish. The reference's
``trend_score or 100`` turned a score of 0 into 100; here only a missing score takes the default.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from .cycle import relative_volatility
from .series_keys import CoinClock, coin_keys, trailing_counts

META_CATEGORIES = ("cluster", "hierarchy")
EXHAUSTION_SLUGS = ("momentum_exhaustion", "volume_climax")
HIERARCHY_WINDOW = timedelta(days=14)
# hierarchy slug -> (direction, confidence)
HIERARCHY = {
    "hierarchy_trend_continuation": ("bullish", 0.78),
    "hierarchy_distribution": ("bearish", 0.74),
    "hierarchy_accumulation": ("bullish", 0.70),
    "hierarchy_trend_exhaustion": ("bearish", 0.73),
}


def _base(detections: pl.DataFrame) -> pl.DataFrame:
    return detections.filter(~pl.col("category").is_in(META_CATEGORIES))


def _meta_frame(rows: pl.DataFrame, timestamp: pl.DataType, keys: list[str]) -> pl.DataFrame:
    schema = {**dict.fromkeys(keys, pl.Int32()), "timestamp": timestamp, "slug": pl.String(),
              "category": pl.String(), "direction": pl.String(), "confidence": pl.Float64(), "regime": pl.String()}
    if rows.is_empty():
        return pl.DataFrame(schema=schema)
    return rows.select(list(schema)).cast(schema).sort(*keys, "timestamp", "slug")  # type: ignore[arg-type]


def cluster_signals(detections: pl.DataFrame, bars: pl.DataFrame) -> pl.DataFrame:
    """``cluster_bullish`` / ``cluster_bearish`` rows at bars where the reference's §4.2 rules hold.

    Bullish: ≥ 1 bullish detection, a volume_spike at the bar and trend_score ≥ 60 (missing → 0).
    Bearish: ≥ 1 bearish detection, a volume_spike or volume_climax, trend_score ≤ 40 (missing → 100).
    Confidence = min(mean confidence of that side + 0.12, 0.95); regime = the bar's regime.
    """
    direction, slug, confidence = pl.col("direction"), pl.col("slug"), pl.col("confidence")
    keys = coin_keys(detections)
    per_bar = (
        _base(detections)
        .group_by(*keys, "timestamp")
        .agg(
            confidence.filter(direction == "bullish").mean().alias("bull"),
            confidence.filter(direction == "bearish").mean().alias("bear"),
            (slug == "volume_spike").any().alias("spike"),
            slug.is_in(["volume_spike", "volume_climax"]).any().alias("climax"),
        )
        .join(bars.select(*keys, "timestamp", "trend_score", pl.col("market_regime").alias("regime")),
              on=[*keys, "timestamp"], how="left")
    )
    trend = pl.col("trend_score")
    bullish = per_bar.filter(pl.col("bull").is_not_null() & pl.col("spike") & (trend.fill_null(0) >= 60))
    bearish = per_bar.filter(pl.col("bear").is_not_null() & pl.col("climax") & (trend.fill_null(100) <= 40))
    rows = pl.concat([
        bullish.with_columns(pl.lit("cluster_bullish").alias("slug"), pl.lit("bullish").alias("direction"),
                             pl.min_horizontal(pl.col("bull") + 0.12, pl.lit(0.95)).alias("confidence")),
        bearish.with_columns(pl.lit("cluster_bearish").alias("slug"), pl.lit("bearish").alias("direction"),
                             pl.min_horizontal(pl.col("bear") + 0.12, pl.lit(0.95)).alias("confidence")),
    ]).with_columns(pl.lit("cluster").alias("category"))
    return _meta_frame(rows, detections.schema["timestamp"], keys)


def hierarchy_signals(
    detections: pl.DataFrame,
    clusters: pl.DataFrame,
    bars: pl.DataFrame,
    timeframe: int,
    window: timedelta = HIERARCHY_WINDOW,
) -> pl.DataFrame:
    """Hierarchy rows at every bar of ``bars`` whose trailing ``window`` of signals meets §4.3.

    Counts are rows (not distinct slugs) with a time in [t - window, t]; at least one pattern or
    cluster row must be in the window. trend_continuation (trend ≥ 55, ≥ 2 bullish, a cluster),
    distribution (trend ≤ 45, ≥ 2 bearish, a cluster), accumulation (relative volatility < 3 %,
    bullish ≥ bearish, ≥ 2 bullish), trend_exhaustion (≥ 2 momentum_exhaustion/volume_climax rows).
    Relative volatility is the reference's "volatility < 0.03 × price" with ``cycle.relative_volatility``.
    """
    base = _base(detections)
    keys = coin_keys(bars)
    clock = CoinClock(bars)
    at = clock(bars)
    span = int(window / timedelta(microseconds=1))
    stamps = clock(base)
    direction = base.get_column("direction").to_numpy()
    count = {
        "bull": trailing_counts(stamps[direction == "bullish"], at, span),
        "bear": trailing_counts(stamps[direction == "bearish"], at, span),
        "exhaustion": trailing_counts(stamps[base.get_column("slug").is_in(EXHAUSTION_SLUGS).to_numpy()], at, span),
        "patterns": trailing_counts(stamps, at, span),
        "clusters": trailing_counts(clock(clusters), at, span),
    }
    frame = bars.select(
        *keys, "timestamp", pl.col("market_regime").alias("regime"), pl.col("trend_score").fill_null(50).alias("trend"),
        relative_volatility(timeframe, keys).fill_null(0.0).alias("volatility"),
    ).with_columns(pl.Series(name, values) for name, values in count.items())
    any_signal = (pl.col("patterns") + pl.col("clusters")) > 0
    has_cluster = pl.col("clusters") > 0
    rules = {
        "hierarchy_trend_continuation": (pl.col("trend") >= 55) & (pl.col("bull") >= 2) & has_cluster,
        "hierarchy_distribution": (pl.col("trend") <= 45) & (pl.col("bear") >= 2) & has_cluster,
        "hierarchy_accumulation": (pl.col("volatility") < 0.03) & (pl.col("bull") >= pl.col("bear"))
        & (pl.col("bull") >= 2),
        "hierarchy_trend_exhaustion": pl.col("exhaustion") >= 2,
    }
    rows = pl.concat([
        frame.filter(any_signal & rule).with_columns(
            pl.lit(slug).alias("slug"), pl.lit(HIERARCHY[slug][0]).alias("direction"),
            pl.lit(HIERARCHY[slug][1]).alias("confidence"),
        )
        for slug, rule in rules.items()
    ]).with_columns(pl.lit("hierarchy").alias("category"))
    return _meta_frame(rows, detections.schema["timestamp"], keys)
