"""Market-leader detection on coin metrics (spec §2.5 and market-data spec §3.14), in percent units.

A coin leads the market when it is HOT, moved at least 2 % in 24 h on at least +12 % volume, and
its direction agrees with its regime (up: bull_trend or high_volatility; down: bear_trend). The
thresholds are applied to the percent changes they were written for (DECISIONS.md 7), not to the
reference's absolute price deltas.

Confidence: ``clamp(0.45 + min(|Δ24h %| / 12, 0.2) + min(volΔ % / 100, 0.2) + 0.1·[HOT], 0.45, 0.95)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

MIN_PRICE_CHANGE_PCT = 2.0
MIN_VOLUME_CHANGE_PCT = 12.0
BULLISH_REGIMES: tuple[str, ...] = ("bull_trend", "high_volatility")
BEARISH_REGIMES: tuple[str, ...] = ("bear_trend",)
REASON_THRESHOLD_NOT_MET = "leader_threshold_not_met"

LEADER_COLUMNS = ("coin_id", "activity_bucket", "price_change_24h_pct", "volume_change_24h_pct", "market_regime")


@dataclass(frozen=True, slots=True)
class LeaderCheck:
    """One coin's verdict: ``direction``/``confidence`` when detected, else ``reason``."""

    detected: bool
    direction: str | None = None
    confidence: float | None = None
    reason: str | None = None


def leader_confidence(price_change_pct: pl.Expr, volume_change_pct: pl.Expr, hot: pl.Expr) -> pl.Expr:
    """The reference's leader confidence on percent inputs (always ≥ ≈0.837 once the rule passed)."""
    score = (
        0.45
        + pl.min_horizontal(price_change_pct.abs() / 12.0, pl.lit(0.2))
        + pl.min_horizontal(volume_change_pct / 100.0, pl.lit(0.2))
        + pl.when(hot).then(0.1).otherwise(0.0)
    )
    return score.clip(0.45, 0.95)


def _mark(metrics: pl.DataFrame) -> pl.DataFrame:
    change, volume = pl.col("price_change_24h_pct"), pl.col("volume_change_24h_pct")
    hot = pl.col("activity_bucket") == "HOT"
    bullish = change > 0
    regime_agrees = pl.when(bullish).then(pl.col("market_regime").is_in(BULLISH_REGIMES)).otherwise(
        pl.col("market_regime").is_in(BEARISH_REGIMES))
    # Null inputs make the comparisons null; fill_null(False) treats missing metrics as "not met".
    detected = (hot & (change.abs() >= MIN_PRICE_CHANGE_PCT) & (volume >= MIN_VOLUME_CHANGE_PCT)
                & regime_agrees).fill_null(False)
    return metrics.with_columns(
        detected.alias("detected"),
        pl.when(bullish).then(pl.lit("up")).otherwise(pl.lit("down")).alias("direction"),
        leader_confidence(change, volume, hot).alias("confidence"),
    )


def detect_leaders(metrics: pl.DataFrame) -> pl.DataFrame:
    """The detected leaders among ``metrics`` (one row per coin with :data:`LEADER_COLUMNS`).

    Returns the input columns plus ``direction`` (up/down) and ``confidence``, only for detected
    coins, in input order. Any coin qualifies (no preferred-leader filter, as in the reference).
    """
    return _mark(metrics).filter(pl.col("detected")).drop("detected")


def check_leader(activity_bucket: str | None, price_change_24h_pct: float | None,
                 volume_change_24h_pct: float | None, market_regime: str | None) -> LeaderCheck:
    """:func:`detect_leaders` for one coin, with the reference's skip reason."""
    row = pl.DataFrame(
        {"coin_id": [0], "activity_bucket": [activity_bucket], "price_change_24h_pct": [price_change_24h_pct],
         "volume_change_24h_pct": [volume_change_24h_pct], "market_regime": [market_regime]},
        schema={"coin_id": pl.Int32, "activity_bucket": pl.String, "price_change_24h_pct": pl.Float64,
                "volume_change_24h_pct": pl.Float64, "market_regime": pl.String},
    )
    marked = _mark(row).row(0, named=True)
    if not marked["detected"]:
        return LeaderCheck(False, reason=REASON_THRESHOLD_NOT_MET)
    return LeaderCheck(True, direction=marked["direction"], confidence=marked["confidence"])
