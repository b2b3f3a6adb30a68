"""Investment decisions from pattern stacks and market context (pure; reference 5.1).

One decision per stack = every ``pattern_*`` signal (base patterns, clusters, hierarchies) of a coin and
timeframe at one candle timestamp. Per stack:

* weight = max(priority_score, or confidence when the priority is 0/null, 0.01);
  signal_priority = mean of the 5 largest weights;
* bias_ratio = Σ weight·bias / Σ weight with bias +1/−1/0 from the explicit ``direction`` column
  (DECISIONS 10: ``cluster_bearish`` is bearish, neutral signals add weight but no bias);
* regime_factor = mean of the stored regime_alignment (a 0/null value counts as 1.0);
* sector_factor = 1 + clamp(3·sector_strength, ±0.2) + clamp(3·relative_strength, ±0.15), +0.05 for the
  top sector, capital-wave adjustment, clamped to [0.65, 1.35]; 1.0 without sector metrics. The
  large-cap threshold is 15e9 here as in the capital-wave narrative (the reference used 1e10 in this
  factor only, spec §9 item 15); the mid-cap band is therefore [1e9, 15e9);
* cycle_factor = the §4.1 cycle alignment with the stack bias sign (bias 0 takes the non-aligned value:
  0.82 in accumulation/markup and distribution/markdown phases, 1.05 in LATE_MARKUP; 1.0 without cycle);
* historical_success = clamp(mean over distinct base slugs of their point-in-time success rate,
  0.35, 0.95), 0.55 when no rate is known (rates come from :func:`iris_assets.signals.success.success_asof`);
* strategy_alignment from the context (1.0 when null);
* score = max(priority·regime·sector·cycle·success, 0) · max(strategy, 0); thresholds and confidence as
  in the reference. Writing only changed rows is the caller's job (``bands.keep_changes``, DECISIONS 15).
"""

from __future__ import annotations

import polars as pl

__all__ = [
    "DECISION_TYPES",
    "cycle_alignment_expr",
    "fixed_expr",
    "investment_decisions",
    "sector_factor_expr",
]

DECISION_TYPES = ("STRONG_BUY", "BUY", "ACCUMULATE", "HOLD", "REDUCE", "SELL", "STRONG_SELL")
KEYS = ("coin_id", "timeframe", "timestamp")
CLUSTER_PREFIX = "pattern_cluster_"
HIERARCHY_PREFIX = "pattern_hierarchy_"
LARGE_CAP = 15e9
MID_CAP = 1e9
MICRO_CAP = 5e8
BIAS_THRESHOLD = 0.18
MIN_SCORE = 0.45
BUY_SCORE = 1.1
STRONG_SCORE = 1.65
STRONG_BIAS = 0.55
DEFAULT_SUCCESS = 0.55
REASON_MAX = 512
BULLISH_PHASES = ("ACCUMULATION", "EARLY_MARKUP", "MARKUP")
BEARISH_PHASES = ("DISTRIBUTION", "EARLY_MARKDOWN", "MARKDOWN", "CAPITULATION")

FACTOR_COLUMNS = ("signal_priority", "regime_factor", "sector_factor", "cycle_factor", "historical_success",
                  "strategy_alignment")
OUTPUT_COLUMNS = (*KEYS, "decision", "confidence", "score", "bias_ratio", "pattern_count", "cluster_count",
                  "hierarchy_count", *FACTOR_COLUMNS, "reason")
_CONTEXT_SCHEMA: dict[str, pl.DataType] = {
    "regime": pl.String(), "cycle_phase": pl.String(), "sector_strength": pl.Float64(),
    "relative_strength": pl.Float64(), "is_top_sector": pl.Boolean(), "capital_wave": pl.String(),
    "market_cap": pl.Float64(), "symbol": pl.String(), "strategy_alignment": pl.Float64(),
    "strategy_names": pl.String(),
}


def _clamp(expr: pl.Expr, lower: float, upper: float) -> pl.Expr:
    return expr.clip(lower_bound=lower, upper_bound=upper)


def fixed_expr(value: pl.Expr, digits: int) -> pl.Expr:
    """``f"{value:.{digits}f}"`` as an expression (half-to-even rounding of the scaled value)."""
    scale = 10**digits
    scaled = (value.abs() * scale).round(0).cast(pl.Int64)
    sign = pl.when((value < 0) & (scaled > 0)).then(pl.lit("-")).otherwise(pl.lit(""))
    whole = (scaled // scale).cast(pl.String)
    if digits == 0:
        return pl.concat_str(sign, whole)
    return pl.concat_str(sign, whole, pl.lit("."), (scaled % scale).cast(pl.String).str.zfill(digits))


def cycle_alignment_expr(phase: pl.Expr, bias: pl.Expr) -> pl.Expr:
    """Reference §4.1 cycle alignment for a bias sign (+1/−1/0); unknown or missing phase → 1.0."""
    return (
        pl.when(phase.is_in(BULLISH_PHASES)).then(pl.when(bias > 0).then(1.15).otherwise(0.82))
        .when(phase.is_in(BEARISH_PHASES)).then(pl.when(bias < 0).then(1.15).otherwise(0.82))
        .when(phase == "LATE_MARKUP").then(pl.when(bias > 0).then(0.92).otherwise(1.05))
        .otherwise(1.0)
    )


def sector_factor_expr() -> pl.Expr:
    """Reference §5.1 step 5 over context columns (1.0 when the sector has no metrics)."""
    cap = pl.col("market_cap").fill_null(0.0)
    top = pl.col("is_top_sector").fill_null(False)
    wave = pl.col("capital_wave")
    wave_adjustment = (
        pl.when((wave == "btc") & (pl.col("symbol").fill_null("") != "BTCUSD")).then(-0.05)
        .when(((wave == "large_caps") & (cap >= LARGE_CAP)) | ((wave == "sector_leaders") & top)).then(0.05)
        .when((wave == "mid_caps") & (cap >= MID_CAP) & (cap < LARGE_CAP)).then(0.04)
        .when((wave == "micro_caps") & (cap > 0) & (cap < MICRO_CAP)).then(0.05)
        .otherwise(0.0)
    )
    factor = (1.0 + _clamp(3.0 * pl.col("sector_strength").fill_null(0.0), -0.2, 0.2)
              + _clamp(3.0 * pl.col("relative_strength").fill_null(0.0), -0.15, 0.15)
              + pl.when(top).then(0.05).otherwise(0.0) + wave_adjustment)
    no_metrics = pl.col("sector_strength").is_null() & pl.col("relative_strength").is_null()
    return pl.when(no_metrics).then(1.0).otherwise(_clamp(factor, 0.65, 1.35))


def _stack_aggregates(stacks: pl.DataFrame) -> pl.DataFrame:
    keys = list(KEYS)
    signal_type = pl.col("signal_type")
    priority = pl.col("priority_score")
    rows = stacks.filter(signal_type.str.starts_with("pattern_")).with_columns(
        pl.max_horizontal(
            pl.when(priority.is_null() | (priority == 0)).then(pl.col("confidence")).otherwise(priority), 0.01,
        ).alias("_weight"),
        pl.col("direction").replace_strict({"bullish": 1.0, "bearish": -1.0}, default=0.0,
                                           return_dtype=pl.Float64).alias("_bias"),
        pl.when(signal_type.str.starts_with(CLUSTER_PREFIX)).then(pl.lit("cluster"))
        .when(signal_type.str.starts_with(HIERARCHY_PREFIX)).then(pl.lit("hierarchy"))
        .otherwise(pl.lit("base")).alias("_kind"),
        signal_type.str.strip_prefix("pattern_").alias("_slug"),
        pl.when((pl.col("regime_alignment").is_null()) | (pl.col("regime_alignment") == 0)).then(1.0)
        .otherwise(pl.col("regime_alignment")).alias("_alignment"),
    )
    weight = pl.col("_weight")
    aggregates = rows.group_by(keys).agg(
        weight.top_k(5).mean().alias("signal_priority"),
        ((weight * pl.col("_bias")).sum() / weight.sum()).alias("bias_ratio"),
        pl.col("_alignment").mean().alias("regime_factor"),
        (pl.col("_kind") == "base").sum().cast(pl.Int64).alias("pattern_count"),
        (pl.col("_kind") == "cluster").sum().cast(pl.Int64).alias("cluster_count"),
        (pl.col("_kind") == "hierarchy").sum().cast(pl.Int64).alias("hierarchy_count"),
    )
    # One rate per distinct base slug (the first known one if a slug repeats), then the mean per stack.
    per_slug = rows.filter((pl.col("_kind") == "base") & pl.col("success_rate").is_not_null()).group_by(
        [*keys, "_slug"]).agg(pl.col("success_rate").first())
    # Summed in slug order: the rows arrive in no fixed order, and a float sum in another order can move
    # the mean by an ulp, enough to flip a rounded digit of the reason (0.495 → "0.50" or "0.49").
    success = per_slug.group_by(keys).agg(pl.col("success_rate").sort_by("_slug").mean().alias("_success_mean"))
    return aggregates.join(success, on=keys, how="left")


def investment_decisions(stacks: pl.DataFrame, context: pl.DataFrame) -> pl.DataFrame:
    """One decision row per (coin_id, timeframe, timestamp) stack.

    ``stacks``: coin_id, timeframe, timestamp, signal_type, direction, confidence, priority_score,
    regime_alignment, success_rate (point in time, nullable). Rows whose type does not start with
    ``pattern_`` are ignored, as in the reference.
    ``context`` (one row per stack, missing rows/columns = unknown): regime, cycle_phase, sector_strength,
    relative_strength, is_top_sector, capital_wave, market_cap, symbol, strategy_alignment, strategy_names,
    and optionally top_sector (the top sector's name, for the reason; else is_top_sector is shown).
    Returns ``OUTPUT_COLUMNS``: keys, decision, confidence, score, bias_ratio, the three counts, every
    factor and the reason string (≤ 512 characters).
    """
    keys = list(KEYS)
    aggregates = _stack_aggregates(stacks)
    present = [name for name in _CONTEXT_SCHEMA if name in context.columns]
    extra = ["top_sector"] if "top_sector" in context.columns else []
    frame = aggregates.join(context.select(*keys, *present, *extra), on=keys, how="left")
    frame = frame.with_columns(
        [pl.lit(None, dtype).alias(name) for name, dtype in _CONTEXT_SCHEMA.items() if name not in present])
    frame = frame.with_columns(
        sector_factor_expr().alias("sector_factor"),
        cycle_alignment_expr(pl.col("cycle_phase"), pl.col("bias_ratio").sign()).alias("cycle_factor"),
        pl.when(pl.col("_success_mean").is_null()).then(DEFAULT_SUCCESS)
        .otherwise(_clamp(pl.col("_success_mean"), 0.35, 0.95)).alias("historical_success"),
        pl.col("strategy_alignment").cast(pl.Float64).fill_null(1.0).alias("strategy_alignment"),
    )
    product = (pl.col("signal_priority") * pl.col("regime_factor") * pl.col("sector_factor")
               * pl.col("cycle_factor") * pl.col("historical_success"))
    frame = frame.with_columns(
        (product.clip(lower_bound=0.0) * pl.col("strategy_alignment").clip(lower_bound=0.0)).alias("score"))
    frame = frame.with_columns(_decision_expr().alias("decision"), _confidence_expr().alias("confidence"))
    frame = frame.with_columns(_reason_expr("top_sector" in extra).alias("reason"))
    return frame.select(OUTPUT_COLUMNS).sort(keys)


def _decision_expr() -> pl.Expr:
    score, ratio = pl.col("score"), pl.col("bias_ratio")
    strong = (score >= STRONG_SCORE) & (ratio.abs() >= STRONG_BIAS)
    return (
        pl.when((ratio.abs() < BIAS_THRESHOLD) | (score < MIN_SCORE)).then(pl.lit("HOLD"))
        .when(ratio > 0).then(
            pl.when(strong).then(pl.lit("STRONG_BUY")).when(score >= BUY_SCORE).then(pl.lit("BUY"))
            .otherwise(pl.lit("ACCUMULATE")))
        .otherwise(
            pl.when(strong).then(pl.lit("STRONG_SELL")).when(score >= BUY_SCORE).then(pl.lit("SELL"))
            .otherwise(pl.lit("REDUCE")))
    )


def _confidence_expr() -> pl.Expr:
    base = _clamp(pl.col("score") / 2.5, 0.0, 0.98)
    directionality = 0.55 + 0.45 * pl.col("bias_ratio").abs().clip(upper_bound=1.0)
    stability = _clamp((pl.col("regime_factor") + pl.col("cycle_factor") + pl.col("historical_success")
                        + pl.col("sector_factor") + pl.col("strategy_alignment")) / 5.0, 0.5, 1.2)
    return _clamp(base * directionality * stability, 0.05, 0.99)


def _text(name: str, default: str) -> pl.Expr:
    """A string column with null or empty values shown as ``default`` (the reference's ``x or default``)."""
    column = pl.col(name)
    return pl.when(column.is_null() | (column == "")).then(pl.lit(default)).otherwise(column)


def _reason_expr(has_top_sector_name: bool) -> pl.Expr:
    ratio = pl.col("bias_ratio")
    label = (pl.when(ratio > BIAS_THRESHOLD).then(pl.lit("bullish"))
             .when(ratio < -BIAS_THRESHOLD).then(pl.lit("bearish")).otherwise(pl.lit("neutral")))
    if has_top_sector_name:
        top_sector = _text("top_sector", "n/a")
    else:
        top_sector = (pl.when(pl.col("is_top_sector")).then(pl.lit("yes"))
                      .when(pl.col("is_top_sector").not_()).then(pl.lit("no")).otherwise(pl.lit("n/a")))
    reason = pl.concat_str(
        pl.col("decision"), pl.lit(": "), label, pl.lit(" stack "), pl.col("pattern_count").cast(pl.String),
        pl.lit(" patterns/"), pl.col("cluster_count").cast(pl.String), pl.lit(" clusters/"),
        pl.col("hierarchy_count").cast(pl.String), pl.lit(" hierarchies; regime="),
        _text("regime", "unknown"), pl.lit("; cycle="), _text("cycle_phase", "unknown"),
        pl.lit("; sector_strength="), fixed_expr(pl.col("sector_strength").fill_null(0.0), 4),
        pl.lit("; top_sector="), top_sector, pl.lit("; capital_wave="), _text("capital_wave", "n/a"),
        pl.lit("; historical_success="), fixed_expr(pl.col("historical_success"), 2),
        pl.lit("; strategy_alignment="), fixed_expr(pl.col("strategy_alignment"), 2),
        pl.lit("; strategies="), _text("strategy_names", "none"),
        pl.lit("; score="), fixed_expr(pl.col("score"), 3),
    )
    return reason.str.slice(0, REASON_MAX)
