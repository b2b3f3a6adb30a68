"""Coin metrics: the latest state per coin and timeframe (pure Polars; reference 3.5–3.7).

Coin-level values (price, percent changes, volume, volatility) come from the coin's base
timeframe, as in the reference; indicator columns, trend and regime from each timeframe's own
latest bar. ``is_primary`` marks the reference's per-coin snapshot: the most complete timeframe,
ties going to the larger one. ``activity_score`` is the reference's sum applied to percent values
(DECISIONS.md 7): |24h change %| + daily return volatility % + |24h volume change %|.
"""

from __future__ import annotations

import polars as pl

COMPLETENESS = (
    "ema_20", "ema_50", "sma_50", "sma_200", "rsi_14", "macd", "macd_signal", "macd_histogram", "atr_14",
    "bb_width", "adx_14",
)
SNAPSHOT = (
    "ema_20", "ema_50", "sma_50", "sma_200", "rsi_14", "macd", "macd_signal", "macd_histogram", "atr_14",
    "bb_upper", "bb_middle", "bb_lower", "bb_width", "adx_14",
)
_COIN_LEVEL = ("price_change_24h_pct", "price_change_7d_pct", "volume_24h", "volume_change_24h_pct",
               "volatility", "volatility_annualized")


def activity_bucket(score: pl.Expr) -> pl.Expr:
    """HOT > 70 ≥ WARM ≥ 40 > COLD ≥ 15 > DEAD (reference 3.7)."""
    return (
        pl.when(score > 70).then(pl.lit("HOT")).when(score >= 40).then(pl.lit("WARM"))
        .when(score >= 15).then(pl.lit("COLD")).otherwise(pl.lit("DEAD"))
    )


def _priority(bucket: pl.Expr) -> pl.Expr:
    return bucket.replace_strict({"HOT": 100, "WARM": 70, "COLD": 30, "DEAD": 5}, default=5, return_dtype=pl.Int16)


def coin_metrics_rows(latest: pl.DataFrame, coins: pl.DataFrame, price_change_1h: pl.DataFrame) -> pl.DataFrame:
    """One row per coin and timeframe from each timeframe's latest indicator row.

    ``latest``: newest indicator row per (coin_id, timeframe); ``coins``: coin_id and base
    ``timeframe``; ``price_change_1h``: coin_id, price_change_1h_pct (from base candles).
    """
    # Coin-level values from the base timeframe's row, or the finest timeframe computed (1m/5m bases
    # have no row of their own: indicators start at 15m).
    base_rows = (
        latest.join(coins.select("coin_id", pl.col("timeframe").alias("_coin_base")), on="coin_id")
        .filter(pl.col("timeframe") >= pl.col("_coin_base"))
        .sort("coin_id", "timeframe").group_by("coin_id", maintain_order=True).first()
        .with_columns(pl.col("timeframe").alias("_base"))
    )
    bars_per_day = (1440 // pl.col("_base").cast(pl.Int64)).clip(lower_bound=1)
    coin_level = base_rows.select(
        "coin_id",
        pl.col("close").alias("price_current"),
        *_COIN_LEVEL,
        (pl.col("volatility") * bars_per_day.cast(pl.Float64).sqrt() * 100.0).alias("_daily_vol_pct"),
    ).join(price_change_1h, on="coin_id", how="left")
    score = (
        pl.col("price_change_24h_pct").abs().fill_null(0.0)
        + pl.col("_daily_vol_pct").fill_null(0.0)
        + pl.col("volume_change_24h_pct").abs().fill_null(0.0)
    ).round(4)
    completeness = pl.sum_horizontal(pl.col(c).is_not_null().cast(pl.Int16) for c in COMPLETENESS)
    rows = (
        latest.select("coin_id", "timeframe", pl.col("timestamp").alias("candle_timestamp"), *SNAPSHOT,
                      "trend", "trend_score", "market_regime", "regime_confidence")
        .join(coin_level, on="coin_id", how="inner")
        .with_columns(score.alias("activity_score"), completeness.cast(pl.Int16).alias("completeness"))
        .with_columns(activity_bucket(pl.col("activity_score")).alias("activity_bucket"))
        .with_columns(_priority(pl.col("activity_bucket")).alias("analysis_priority"))
    )
    best = rows.sort(["coin_id", "completeness", "timeframe"], descending=[False, True, True]).group_by(
        "coin_id", maintain_order=True).first().select("coin_id", pl.col("timeframe").alias("_primary"))
    return rows.join(best, on="coin_id").with_columns(
        (pl.col("timeframe") == pl.col("_primary")).alias("is_primary")
    ).drop("_primary", "_daily_vol_pct").sort("coin_id", "timeframe")


def price_change_pct(closes: pl.DataFrame, minutes: int) -> pl.DataFrame:
    """Percent change of each coin's newest close against its newest close at or before t − minutes.

    ``closes``: coin_id, timestamp, close (any order). Returns coin_id, change.
    """
    ordered = closes.sort("coin_id", "timestamp")
    newest = ordered.group_by("coin_id").agg(pl.col("timestamp").last().alias("_t"), pl.col("close").last())
    target = newest.with_columns((pl.col("_t") - pl.duration(minutes=minutes)).alias("_target")).sort("_target")
    past = ordered.select("coin_id", pl.col("timestamp").alias("_past_t"), pl.col("close").alias("_past"))
    joined = target.join_asof(past.sort("_past_t"), left_on="_target", right_on="_past_t", by="coin_id",
                              strategy="backward", check_sortedness=False)
    return joined.select(
        "coin_id",
        pl.when(pl.col("_past") > 0).then((pl.col("close") / pl.col("_past") - 1.0) * 100.0).alias("change"),
    )


