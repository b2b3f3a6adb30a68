"""Market-cycle phases per bar (reference §3.2), as a scalar rule and a vectorised Polars pass.

Inputs per bar: trend_score, regime (one vocabulary, DECISIONS 8), relative volatility, pattern
density, cluster frequency, sector strength and capital flow. Two reference quirks are fixed:
* volatility is used relative to price (the reference divided a price-unit std-dev by the price;
  ``relative_volatility`` is that ratio: the population std-dev of closes over the last day of bars,
  at least 20 bars, divided by the close);
* density and cluster counts cover a trailing window (default one day) instead of all time, which
  made "density ≥ 2" true for every coin after the bootstrap (§9 item 8).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import polars as pl

from .series_keys import CoinClock, coin_keys, trailing_counts

PHASES = ("ACCUMULATION", "EARLY_MARKUP", "MARKUP", "LATE_MARKUP", "DISTRIBUTION", "EARLY_MARKDOWN", "MARKDOWN",
          "CAPITULATION")
DENSITY_WINDOW = timedelta(days=1)


def relative_volatility(timeframe: int, keys: Sequence[str] = ()) -> pl.Expr:
    """Std-dev of ``close`` over the last day of bars (≥ 20 bars) divided by ``close``; per ``keys``
    (``["coin_id"]`` for a batch of coins, each sorted by time)."""
    window = max(1440 // timeframe, 20)
    spread = pl.col("close").rolling_std(window, min_samples=2, ddof=0)
    return (spread.over(*keys) if keys else spread) / pl.col("close")


def cycle_phase(
    trend_score: float | None,
    regime: str | None,
    volatility: float | None,
    pattern_density: int = 0,
    cluster_frequency: int = 0,
    sector_strength: float | None = None,
    capital_flow: float | None = None,
) -> tuple[str, float]:
    """Reference §3.2 rules, first match wins; ``volatility`` is relative to price (None → 0)."""
    nv = volatility or 0.0
    trend_low = 0.0 if trend_score is None else trend_score
    if regime == "high_volatility" and nv > 0.05 and trend_low < 20:
        return "CAPITULATION", 0.82
    trend_mid = 50.0 if trend_score is None else trend_score
    if regime in ("sideways_range", "low_volatility") and 40 <= trend_mid <= 60 and (capital_flow or 0.0) >= -0.02:
        return "ACCUMULATION", 0.70
    if regime == "bull_trend" and trend_low >= 60 and pattern_density >= 2 and (sector_strength or 0.0) >= 0:
        return ("MARKUP", 0.84) if cluster_frequency >= 1 else ("EARLY_MARKUP", 0.76)
    if regime == "bull_trend" and nv >= 0.04:
        return "LATE_MARKUP", 0.74
    trend_high = 100.0 if trend_score is None else trend_score
    if regime in ("bear_trend", "high_volatility") and trend_high <= 45:
        return ("MARKDOWN", 0.80) if cluster_frequency >= 1 else ("EARLY_MARKDOWN", 0.72)
    if regime == "sideways_range" and nv >= 0.03:
        return "DISTRIBUTION", 0.70
    return "ACCUMULATION", 0.55


def market_cycle(
    bars: pl.DataFrame,
    timeframe: int,
    detections: pl.DataFrame | None = None,
    clusters: pl.DataFrame | None = None,
    window: timedelta = DENSITY_WINDOW,
) -> pl.DataFrame:
    """Cycle phase of every bar: timestamp, cycle_phase, cycle_confidence.

    ``bars``: timestamp, close, trend_score, market_regime and optionally sector_strength and
    capital_flow. Density / cluster frequency count ``detections`` / ``clusters`` rows in the
    trailing ``window`` (inclusive of the bar). For a batch of coins every frame has ``coin_id`` (bars
    sorted by coin and time) and so does the result.
    """
    keys = coin_keys(bars)
    clock = CoinClock(bars)
    at = clock(bars)
    span = int(window / timedelta(microseconds=1))
    optional = [
        (pl.col(name) if name in bars.columns else pl.lit(None, dtype=pl.Float64)).alias(name)
        for name in ("sector_strength", "capital_flow")
    ]
    frame = bars.select(
        *keys, "timestamp", "trend_score", pl.col("market_regime").alias("regime"),
        relative_volatility(timeframe, keys).fill_null(0.0).alias("nv"), *optional,
    ).with_columns(
        pl.Series("density", trailing_counts(clock(detections), at, span)),
        pl.Series("clusters", trailing_counts(clock(clusters), at, span)),
    )
    regime, nv, trend = pl.col("regime"), pl.col("nv"), pl.col("trend_score").cast(pl.Float64)
    clustered = pl.col("clusters") >= 1
    rules: list[tuple[pl.Expr, pl.Expr, pl.Expr]] = [
        ((regime == "high_volatility") & (nv > 0.05) & (trend.fill_null(0) < 20), pl.lit("CAPITULATION"),
         pl.lit(0.82)),
        (regime.is_in(["sideways_range", "low_volatility"]) & trend.fill_null(50).is_between(40, 60)
         & (pl.col("capital_flow").fill_null(0) >= -0.02), pl.lit("ACCUMULATION"), pl.lit(0.70)),
        ((regime == "bull_trend") & (trend.fill_null(0) >= 60) & (pl.col("density") >= 2)
         & (pl.col("sector_strength").fill_null(0) >= 0),
         pl.when(clustered).then(pl.lit("MARKUP")).otherwise(pl.lit("EARLY_MARKUP")),
         pl.when(clustered).then(0.84).otherwise(0.76)),
        ((regime == "bull_trend") & (nv >= 0.04), pl.lit("LATE_MARKUP"), pl.lit(0.74)),
        (regime.is_in(["bear_trend", "high_volatility"]) & (trend.fill_null(100) <= 45),
         pl.when(clustered).then(pl.lit("MARKDOWN")).otherwise(pl.lit("EARLY_MARKDOWN")),
         pl.when(clustered).then(0.80).otherwise(0.72)),
        ((regime == "sideways_range") & (nv >= 0.03), pl.lit("DISTRIBUTION"), pl.lit(0.70)),
    ]
    phase: pl.Expr = pl.lit("ACCUMULATION")
    confidence: pl.Expr = pl.lit(0.55)
    for condition, name, conf in reversed(rules):
        hit = condition.fill_null(False)
        phase = pl.when(hit).then(name).otherwise(phase)
        confidence = pl.when(hit).then(conf).otherwise(confidence)
    return frame.select(*keys, "timestamp", phase.alias("cycle_phase"),
                        confidence.cast(pl.Float64).alias("cycle_confidence"))
