"""Risk metrics and risk-adjusted final signals (pure; reference 5.2).

* liquidity_score = 0.1 when volume ≤ 0 and market cap ≤ 0, else
  clamp(0.65·clamp(max(volume, 1)^0.18 / 40, 0, 1) + 0.35·clamp(max(cap, 1)^0.12 / 20, 0, 1), 0.1, 1);
* slippage_risk = clamp(1 − 4·volume / max(0.1·cap + volume, 1), 0.02, 0.98);
* volatility_risk = 0.5 when price ≤ 0 or ATR ≤ 0, else clamp((ATR / price) / 0.12, 0.01, 0.98).
Missing inputs count as 0, as in the reference (so a coin without metrics gets 0.1 / 0.98 / 0.5).

A final signal takes an investment decision and its risk: risk_adjusted_score =
max(score·liquidity·(1 − slippage)·(1 − volatility_risk), 0); the decision can only be downgraded
(risk_adjusted_score < 0.32 → HOLD; strength 3 kept at ≥ 1.35; strength ≥ 2 gives level 2 at ≥ 0.8;
else level 1); confidence = clamp(base·(0.55 + 0.45·liquidity·(1 − slippage)·(1 − volatility_risk)),
0.05, 0.99). Writing only changed rows is the caller's job (``bands.keep_changes``, DECISIONS 15).
"""

from __future__ import annotations

import polars as pl

from .decisions import fixed_expr

__all__ = ["RISK_COLUMNS", "final_signals", "risk_metrics"]

KEYS = ("coin_id", "timeframe", "timestamp")
RISK_COLUMNS = ("liquidity_score", "slippage_risk", "volatility_risk")
# Scores of a coin without any metrics (volume, cap, ATR and price all 0).
NO_DATA_RISK = {"liquidity_score": 0.1, "slippage_risk": 0.98, "volatility_risk": 0.5}
HOLD_BELOW = 0.32
KEEP_STRONG = 1.35
KEEP_LEVEL_2 = 0.8
BULLISH_LEVELS = {"ACCUMULATE": 1, "BUY": 2, "STRONG_BUY": 3}
BEARISH_LEVELS = {"REDUCE": 1, "SELL": 2, "STRONG_SELL": 3}
OUTPUT_COLUMNS = (*KEYS, "decision", "confidence", "risk_adjusted_score", "base_decision", "decision_score",
                  *RISK_COLUMNS, "reason")


def _clamp(expr: pl.Expr, lower: float, upper: float) -> pl.Expr:
    return expr.clip(lower_bound=lower, upper_bound=upper)


def risk_metrics(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` plus liquidity_score, slippage_risk, volatility_risk from volume_24h, market_cap, atr, price."""
    volume = pl.col("volume_24h").cast(pl.Float64).fill_null(0.0)
    cap = pl.col("market_cap").cast(pl.Float64).fill_null(0.0)
    atr = pl.col("atr").cast(pl.Float64).fill_null(0.0)
    price = pl.col("price").cast(pl.Float64).fill_null(0.0)
    volume_score = _clamp(volume.clip(lower_bound=1.0).pow(0.18) / 40.0, 0.0, 1.0)
    cap_score = _clamp(cap.clip(lower_bound=1.0).pow(0.12) / 20.0, 0.0, 1.0)
    liquidity = (pl.when((volume <= 0) & (cap <= 0)).then(0.1)
                 .otherwise(_clamp(0.65 * volume_score + 0.35 * cap_score, 0.1, 1.0)))
    slippage = _clamp(1.0 - 4.0 * volume / (0.1 * cap + volume).clip(lower_bound=1.0), 0.02, 0.98)
    volatility = (pl.when((price <= 0) | (atr <= 0)).then(0.5)
                  .otherwise(_clamp((atr / price) / 0.12, 0.01, 0.98)))
    return frame.with_columns(liquidity.alias("liquidity_score"), slippage.alias("slippage_risk"),
                              volatility.alias("volatility_risk"))


def _downgrade_expr(base: pl.Expr, score: pl.Expr) -> pl.Expr:
    """Reference risk-adjusted decision: never stronger than ``base``, HOLD below 0.32."""
    strength = (base.replace_strict(BULLISH_LEVELS, default=None, return_dtype=pl.Int8)
                .fill_null(base.replace_strict(BEARISH_LEVELS, default=None, return_dtype=pl.Int8)))
    level = (pl.when(score < HOLD_BELOW).then(0)
             .when((strength >= 3) & (score >= KEEP_STRONG)).then(3)
             .when((strength >= 2) & (score >= KEEP_LEVEL_2)).then(2)
             .otherwise(1))
    bullish = {level: name for name, level in BULLISH_LEVELS.items()}
    bearish = {level: name for name, level in BEARISH_LEVELS.items()}
    text = pl.String
    return (
        pl.when(strength.is_null() | (level == 0)).then(pl.lit("HOLD"))
        .when(base.is_in(list(BULLISH_LEVELS))).then(level.replace_strict(bullish, default=None, return_dtype=text))
        .otherwise(level.replace_strict(bearish, default=None, return_dtype=text))
    )


def final_signals(decisions: pl.DataFrame, risk: pl.DataFrame) -> pl.DataFrame:
    """Risk-adjusted final signals, one per decision row.

    ``decisions``: output of :func:`iris_assets.signals.decisions.investment_decisions` (keys, decision,
    confidence, score). ``risk``: keys plus either the three risk scores or the raw inputs of
    :func:`risk_metrics`; it is joined on (coin_id, timeframe, timestamp) and a decision without a risk row
    gets the no-data scores. Returns ``OUTPUT_COLUMNS``.
    """
    keys = list(KEYS)
    if not all(name in risk.columns for name in RISK_COLUMNS):
        risk = risk_metrics(risk)
    frame = decisions.select(*keys, pl.col("decision").alias("base_decision"),
                             pl.col("confidence").alias("base_confidence"), pl.col("score").alias("decision_score"))
    frame = frame.join(risk.select(*keys, *RISK_COLUMNS), on=keys, how="left").with_columns(
        pl.col(name).cast(pl.Float64).fill_null(value) for name, value in NO_DATA_RISK.items())
    factor = pl.col("liquidity_score") * (1.0 - pl.col("slippage_risk")) * (1.0 - pl.col("volatility_risk"))
    frame = frame.with_columns(
        (pl.col("decision_score") * factor).clip(lower_bound=0.0).alias("risk_adjusted_score"),
        _clamp(pl.col("base_confidence") * (0.55 + 0.45 * factor), 0.05, 0.99).alias("confidence"),
    ).with_columns(_downgrade_expr(pl.col("base_decision"), pl.col("risk_adjusted_score")).alias("decision"))
    reason = pl.concat_str(
        pl.col("decision"), pl.lit(": base_decision="), pl.col("base_decision"),
        pl.lit("; decision_score="), fixed_expr(pl.col("decision_score"), 3),
        pl.lit("; liquidity_score="), fixed_expr(pl.col("liquidity_score"), 3),
        pl.lit("; slippage_risk="), fixed_expr(pl.col("slippage_risk"), 3),
        pl.lit("; volatility_risk="), fixed_expr(pl.col("volatility_risk"), 3),
        pl.lit("; risk_adjusted_score="), fixed_expr(pl.col("risk_adjusted_score"), 3),
    ).str.slice(0, 512)
    return frame.with_columns(reason.alias("reason")).select(OUTPUT_COLUMNS).sort(keys)
