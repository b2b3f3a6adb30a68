"""Detection context (reference §2.4–2.6): dependency gate, regime weighting, success-rate gating.

Each step takes a detection frame (``engine.detection_schema``) and per-bar data of the same coin and
timeframe keyed on ``timestamp`` (indicator columns, ``market_regime``), and returns a frame; nothing
here does I/O. Directions come from the detections (DECISIONS 10), regimes from the one vocabulary
(DECISIONS 8); a bar without a regime (indicator warm-up) takes each rule's "otherwise" weight.
Temperature enters only through ``temperature_weight``, a bounded monotone transform (DECISIONS 13).
Cluster and hierarchy meta-signals live in ``clusters`` and are re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from .catalog import BY_SLUG, CATALOG
from .clusters import cluster_signals, hierarchy_signals

__all__ = [
    "apply_dependency_gate",
    "apply_regime_context",
    "apply_success_gate",
    "assess_success",
    "cluster_signals",
    "dependencies_met",
    "hierarchy_signals",
    "regime_weight",
    "regime_weight_expr",
    "temperature_weight",
]

REVERSAL_SLUGS = frozenset({
    "head_shoulders", "inverse_head_shoulders", "double_top", "double_bottom", "triple_top", "triple_bottom",
    "rounded_top", "rounded_bottom", "diamond_top", "diamond_bottom", "momentum_exhaustion", "mean_reversion_snap",
    "volatility_reversal_bullish", "volatility_reversal_bearish", "volume_divergence", "volume_climax",
    "buying_climax", "selling_climax",
})
MEAN_REVERSION_SLUGS = frozenset({
    "rsi_divergence", "macd_divergence", "mean_reversion_snap", "volume_divergence",
    "rsi_failure_swing_bullish", "rsi_failure_swing_bearish",
})
VOLATILITY_BREAKOUT_SLUGS = frozenset({
    "bollinger_squeeze", "bollinger_expansion", "atr_spike", "volatility_expansion_breakout",
    "narrow_range_breakout", "atr_release",
})
GLOBAL_REGIME = "all"
MIN_WEIGHT = 0.6


def _bar_keys(detections: pl.DataFrame, bars: pl.DataFrame) -> list[str]:
    """How detections find their bar: by timestamp, and by coin too when both frames hold several coins."""
    return ["coin_id", "timestamp"] if "coin_id" in detections.columns and "coin_id" in bars.columns \
        else ["timestamp"]


def dependencies_met(slug: str, bar: Mapping[str, object]) -> bool:
    """Whether ``slug``'s dependencies (§2.4) are present in one bar's values (None = missing)."""
    spec = BY_SLUG[slug]
    if any(bar.get(name) is None for name in spec.required_indicators):
        return False
    if spec.needs_trend and (bar.get("ema_50") is None or (bar.get("ema_200") is None and bar.get("sma_200") is None)):
        return False
    # Missing volume counts as 0 in the reference, so only the 20-bar average can be missing.
    return not (spec.needs_volume and bar.get("average_volume_20") is None)


def apply_dependency_gate(detections: pl.DataFrame, bars: pl.DataFrame) -> pl.DataFrame:
    """Drop detections whose detector's dependencies are missing at their bar (``bars``: timestamp + columns).

    Structural and continuation detectors need EMA 50 and EMA or SMA 200, i.e. about 200 candles.
    Several coins at once: both frames carry ``coin_id`` and bars are matched on (coin_id, timestamp).
    """
    def column(name: str) -> pl.Expr:
        return pl.col(name).is_not_null() if name in bars.columns else pl.lit(False)

    keys = _bar_keys(detections, bars)
    present = [name for name in bars.columns if name not in keys]
    joined = detections.join(bars.select(*keys, *present), on=keys, how="left", maintain_order="left")
    slug = pl.col("slug")
    trend_slugs = [spec.slug for spec in CATALOG if spec.needs_trend]
    volume_slugs = [spec.slug for spec in CATALOG if spec.needs_volume]
    trend_ok = column("ema_50") & (column("ema_200") | column("sma_200"))
    keep = (~slug.is_in(trend_slugs) | trend_ok) & (~slug.is_in(volume_slugs) | column("average_volume_20"))
    for name in sorted({name for spec in CATALOG for name in spec.required_indicators}):
        needing = [spec.slug for spec in CATALOG if name in spec.required_indicators]
        keep = keep & (~slug.is_in(needing) | column(name))
    return joined.filter(keep).select(detections.columns)


def regime_weight(slug: str, category: str, direction: str, regime: str | None) -> float:
    """Reference §2.5 weight of one detection in ``regime`` (first matching rule wins)."""
    bullish, bearish = direction == "bullish", direction == "bearish"
    if category == "continuation":
        return _pick(regime, bull=1.18 if bullish else 0.58, bear=1.18 if bearish else 0.58,
                     sideways=0.68, high=1.05, other=0.82)
    if slug in REVERSAL_SLUGS or category == "structural":
        return _pick(regime, bull=1.14 if bearish else 0.72, bear=1.14 if bullish else 0.72,
                     sideways=0.95, high=1.0, other=0.85)
    if slug in MEAN_REVERSION_SLUGS:
        return _pick(regime, bull=0.7, bear=0.7, sideways=1.14, low=1.14, other=0.88)
    if category == "volatility" or slug in VOLATILITY_BREAKOUT_SLUGS:
        quiet = 1.08 if slug in ("bollinger_squeeze", "narrow_range_breakout") else 0.76
        return _pick(regime, high=1.16, low=quiet, other=0.9)
    if category == "volume":
        return _pick(regime, bull=1.06, bear=1.06, high=1.06, other=0.94)
    return 1.0


def _pick(regime: str | None, *, other: float, **by_regime: float) -> float:
    names = {"bull": "bull_trend", "bear": "bear_trend", "sideways": "sideways_range", "high": "high_volatility",
             "low": "low_volatility"}
    for key, weight in by_regime.items():
        if regime == names[key]:
            return weight
    return other


def regime_weight_expr() -> pl.Expr:
    """``regime_weight`` as a Polars expression over slug, category, direction and regime columns."""
    direction, regime, slug, category = pl.col("direction"), pl.col("regime"), pl.col("slug"), pl.col("category")
    bullish, bearish = direction == "bullish", direction == "bearish"

    def pick(other: float, **by_regime: pl.Expr | float) -> pl.Expr:
        names = {"bull": "bull_trend", "bear": "bear_trend", "sideways": "sideways_range",
                 "high": "high_volatility", "low": "low_volatility"}
        out: pl.Expr = pl.lit(other)
        for key, weight in reversed(list(by_regime.items())):
            out = pl.when(regime == names[key]).then(weight).otherwise(out)
        return out

    def side(condition: pl.Expr, yes: float, no: float) -> pl.Expr:
        return pl.when(condition).then(yes).otherwise(no)

    quiet = side(slug.is_in(["bollinger_squeeze", "narrow_range_breakout"]), 1.08, 0.76)
    return (
        pl.when(category == "continuation")
        .then(pick(0.82, bull=side(bullish, 1.18, 0.58), bear=side(bearish, 1.18, 0.58), sideways=0.68, high=1.05))
        .when(slug.is_in(list(REVERSAL_SLUGS)) | (category == "structural"))
        .then(pick(0.85, bull=side(bearish, 1.14, 0.72), bear=side(bullish, 1.14, 0.72), sideways=0.95, high=1.0))
        .when(slug.is_in(list(MEAN_REVERSION_SLUGS)))
        .then(pick(0.88, bull=0.7, bear=0.7, sideways=1.14, low=1.14))
        .when((category == "volatility") | slug.is_in(list(VOLATILITY_BREAKOUT_SLUGS)))
        .then(pick(0.9, high=1.16, low=quiet))
        .when(category == "volume")
        .then(pick(0.94, bull=1.06, bear=1.06, high=1.06))
        .otherwise(1.0)
        .cast(pl.Float64)
    )


def apply_regime_context(detections: pl.DataFrame, regimes: pl.DataFrame) -> pl.DataFrame:
    """Weight detections by the bar's regime (``regimes``: timestamp, market_regime); drop weights < 0.6.

    Adds ``regime`` and ``regime_weight``; confidence becomes clamp(confidence × weight, 0.35, 0.99).
    Neutral detections count as neither side (only reachable for bias-free rules).
    """
    keys = _bar_keys(detections, regimes)
    joined = detections.join(
        regimes.select(*keys, pl.col("market_regime").alias("regime")), on=keys, how="left", maintain_order="left"
    )
    return (
        joined.with_columns(regime_weight_expr().alias("regime_weight"))
        .filter(pl.col("regime_weight") >= MIN_WEIGHT)
        .with_columns((pl.col("confidence") * pl.col("regime_weight")).clip(0.35, 0.99).alias("confidence"))
    )


def temperature_weight(temperature: pl.Expr) -> pl.Expr:
    """0.5 + logistic(T): monotone, within (0.5, 1.5), 1.0 at T = 0 and for unknown temperature."""
    return 0.5 + 1.0 / (1.0 + (-temperature.fill_null(0.0)).exp())


def assess_success(detections: pl.DataFrame, statistics: pl.DataFrame, timeframe: int) -> pl.DataFrame:
    """Reference §2.6 decision per detection, keeping every row (so callers can emit the events).

    ``statistics``: pattern_slug, timeframe, market_regime, total_signals, success_rate, enabled,
    temperature. The (slug, regime) row wins over (slug, "all"); ``detections`` needs a ``regime``
    column (null → "all"). Adds success_action (neutral/degraded/boosted/disabled), success_factor,
    success_rate, success_total, success_regime, temperature, suppressed (dropped rows: disabled, or
    degraded below 0.4) and priority = confidence × temperature_weight(temperature).
    """
    stats = statistics.filter(pl.col("timeframe") == timeframe).select(
        pl.col("pattern_slug").alias("slug"),
        pl.col("market_regime").alias("_stat_regime"),
        "total_signals", "success_rate", "enabled", "temperature",
    )
    regime = pl.col("regime").fill_null(GLOBAL_REGIME) if "regime" in detections.columns else pl.lit(GLOBAL_REGIME)
    keyed = detections.with_row_index("_row").with_columns(regime.alias("_regime"))
    specific = keyed.join(stats, left_on=["slug", "_regime"], right_on=["slug", "_stat_regime"], how="inner")
    specific = specific.with_columns(pl.col("_regime").alias("success_regime"))
    fallback = keyed.join(specific.select("_row"), on="_row", how="anti").join(
        stats.filter(pl.col("_stat_regime") == GLOBAL_REGIME).drop("_stat_regime"), on="slug", how="left"
    ).with_columns(pl.when(pl.col("total_signals").is_not_null()).then(pl.lit(GLOBAL_REGIME)).alias("success_regime"))
    both = pl.concat([specific, fallback], how="diagonal_relaxed").sort("_row")
    total, rate = pl.col("total_signals").fill_null(0), pl.col("success_rate")
    action = (
        pl.when(total <= 0).then(pl.lit("neutral"))
        .when(~pl.col("enabled").fill_null(True) | ((total >= 20) & (rate < 0.45))).then(pl.lit("disabled"))
        .when((total >= 10) & (rate < 0.55)).then(pl.lit("degraded"))
        .when((total >= 10) & (rate > 0.70)).then(pl.lit("boosted"))
        .otherwise(pl.lit("neutral"))
    )
    factor = (
        pl.when(pl.col("success_action") == "disabled").then(0.0)
        .when(pl.col("success_action") == "degraded").then((0.72 + (rate - 0.35).clip(lower_bound=0.0)).clip(0.55, 0.9))
        .when(pl.col("success_action") == "boosted").then((1.0 + (rate - 0.70).clip(upper_bound=0.2)).clip(1.03, 1.2))
        .otherwise(1.0)
    )
    out = both.with_columns(action.alias("success_action")).with_columns(factor.alias("success_factor"))
    out = out.with_columns((pl.col("confidence") * pl.col("success_factor")).clip(0.35, 0.99).alias("confidence"))
    suppressed = (pl.col("success_action") == "disabled") | (
        (pl.col("success_action") == "degraded") & (pl.col("confidence") < 0.4)
    )
    return out.with_columns(
        suppressed.alias("suppressed"),
        (pl.col("confidence") * temperature_weight(pl.col("temperature"))).alias("priority"),
        pl.col("total_signals").alias("success_total"),
    ).select(
        *detections.columns, "success_action", "success_factor", "success_rate", "success_total", "success_regime",
        "temperature", "suppressed", "priority",
    )


def apply_success_gate(detections: pl.DataFrame, statistics: pl.DataFrame, timeframe: int) -> pl.DataFrame:
    """``assess_success`` without the suppressed rows (the detections that become signals)."""
    return assess_success(detections, statistics, timeframe).filter(~pl.col("suppressed")).drop("suppressed")
