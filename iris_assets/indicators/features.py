"""Per-bar features on top of the indicator columns (pure Polars, no I/O).

Everything the reference computed for the *latest* bar of a snapshot (reference 3.4–3.8) is
computed here for *every* bar, so history, signals and regime changes come from one pass:

- price changes over 24h and 7d are **percent** changes against the newest bar at or before
  ``t − Δ`` (DECISIONS.md 7);
- ``volume_24h`` sums the last day of bars and ``volume_change_24h_pct`` compares it with the day
  before (percent, as the reference);
- ``volatility`` is the population standard deviation of log returns over the last day of bars
  (at least 20 bars, so daily candles get a 20-day window), per bar; ``volatility_annualized``
  scales it by √(bars per year) — crypto trades every day of the year;
- ``trend`` / ``trend_score`` and ``market_regime`` follow the reference's rules (3.7, 3.8);
  regime is null until ATR exists, so warm-up bars are not labelled ``sideways_range``.
"""

from __future__ import annotations

import math

import polars as pl

_MINUTES_PER_DAY = 1440


def _pct_change_since(frame: pl.DataFrame, minutes: int, name: str) -> pl.DataFrame:
    """Percent change of ``close`` against the newest bar of the same coin at or before t − minutes."""
    past = frame.select("coin_id", pl.col("timestamp").alias("_past_ts"), pl.col("close").alias("_past_close")).sort(
        "coin_id", "_past_ts"
    )
    lookup = (
        frame.select("coin_id", "timestamp", (pl.col("timestamp") - pl.duration(minutes=minutes)).alias("_target"))
        .sort("coin_id", "_target")
        .join_asof(
            past, left_on="_target", right_on="_past_ts", by="coin_id", strategy="backward", check_sortedness=False
        )
        .select("coin_id", "timestamp", "_past_close")
    )
    return (
        frame.join(lookup, on=["coin_id", "timestamp"], how="left")
        .with_columns(
            pl.when(pl.col("_past_close") > 0).then((pl.col("close") / pl.col("_past_close") - 1.0) * 100.0).alias(name)
        )
        .drop("_past_close")
    )


def _trend() -> pl.Expr:
    missing = pl.col("sma_200").is_null() | pl.col("ema_50").is_null() | pl.col("macd_histogram").is_null()
    bullish = (
        (pl.col("close") > pl.col("sma_200")) & (pl.col("ema_50") > pl.col("sma_200")) & (pl.col("macd_histogram") > 0)
    )
    return (
        pl.when(missing)
        .then(pl.lit("sideways"))
        .when(bullish)
        .then(pl.lit("bullish"))
        .when(pl.col("close") < pl.col("sma_200"))
        .then(pl.lit("bearish"))
        .otherwise(pl.lit("sideways"))
    )


def _adjust(condition: pl.Expr, up: int, down: int, present: pl.Expr) -> pl.Expr:
    return pl.when(present & condition).then(up).when(present).then(down).otherwise(0)


def _trend_score() -> pl.Expr:
    both_emas = pl.col("ema_20").is_not_null() & pl.col("ema_50").is_not_null()
    ema = _adjust(pl.col("ema_20") > pl.col("ema_50"), 15, -15, both_emas)
    sma = _adjust(pl.col("close") > pl.col("sma_200"), 20, -20, pl.col("sma_200").is_not_null())
    macd = _adjust(pl.col("macd_histogram") > 0, 15, -15, pl.col("macd_histogram").is_not_null())
    rsi = pl.when(pl.col("rsi_14").is_between(55, 70)).then(10).when(pl.col("rsi_14") < 40).then(-10).otherwise(0)
    adx = pl.when(pl.col("adx_14") >= 25).then(10).when(pl.col("adx_14") < 15).then(-5).otherwise(0)
    volume = (
        pl.when(pl.col("volume_change_24h_pct") > 10)
        .then(10)
        .when(pl.col("volume_change_24h_pct") < -10)
        .then(-10)
        .otherwise(0)
    )
    return (50 + ema + sma + macd + rsi + adx + volume).clip(0, 100).cast(pl.Int16)


def _regime() -> tuple[pl.Expr, pl.Expr]:
    """Reference 3.8, first matching rule wins; returns (label, confidence)."""
    ref = pl.coalesce("ema_200", "sma_200")
    price = pl.col("close")
    atr, bbw, adx = pl.col("atr_14"), pl.col("bb_width"), pl.col("adx_14")
    prev_atr = atr.shift(1).over("coin_id")
    prev_bbw = bbw.shift(1).over("coin_id")
    atr_ratio = atr / price
    d7 = pl.col("price_change_7d_pct").fill_null(0.0)  # the reference reads a missing change as 0
    trending = ref.is_not_null() & pl.col("ema_50").is_not_null() & (adx > 25)
    bull = trending & (pl.col("ema_50") > ref) & (d7 >= 0)
    bear = trending & (pl.col("ema_50") < ref) & (d7 <= 0)
    trend_confidence = pl.min_horizontal(0.65 + pl.min_horizontal(adx / 120.0, pl.lit(0.22)), pl.lit(0.95))
    expanding = (atr > 1.03 * prev_atr) & (bbw > 1.05 * prev_bbw)
    quiet = (atr_ratio <= 0.015) & (bbw <= 0.04)
    ranging = adx.fill_null(0.0) < 20
    wide = (atr_ratio >= 0.03) & (bbw >= 0.08)
    rules: list[tuple[pl.Expr, str, pl.Expr]] = [
        (bull, "bull_trend", trend_confidence),
        (bear, "bear_trend", trend_confidence),
        (expanding, "high_volatility", pl.lit(0.80)),
        (quiet, "low_volatility", pl.lit(0.78)),
        (ranging, "sideways_range", pl.lit(0.72)),
        (wide, "high_volatility", pl.lit(0.74)),
    ]
    label: pl.Expr = pl.lit("sideways_range")
    confidence: pl.Expr = pl.lit(0.65)
    for condition, name, conf in reversed(rules):
        label = pl.when(condition).then(pl.lit(name)).otherwise(label)
        confidence = pl.when(condition).then(conf).otherwise(confidence)
    has_data = atr.is_not_null()
    return (
        pl.when(has_data).then(label).otherwise(None),
        pl.when(has_data).then(confidence).otherwise(None).cast(pl.Float64),
    )


def add_bar_features(frame: pl.DataFrame, timeframe: int) -> pl.DataFrame:
    """Add the per-bar features to ``frame`` (coin_id, timestamp, OHLCV and indicator columns).

    ``frame`` must be sorted by ``(coin_id, timestamp)`` and hold one timeframe.
    """
    bars_day = max(_MINUTES_PER_DAY // timeframe, 1)
    vol_window = max(bars_day, 20)
    bars_year = 365 * _MINUTES_PER_DAY / timeframe
    out = _pct_change_since(frame, _MINUTES_PER_DAY, "price_change_24h_pct")
    out = _pct_change_since(out, 7 * _MINUTES_PER_DAY, "price_change_7d_pct")
    volume = pl.col("volume").fill_null(0.0)
    log_return = (pl.col("close") / pl.col("close").shift(1)).log().over("coin_id")
    out = out.with_columns(
        volume.rolling_sum(bars_day, min_samples=1).over("coin_id").alias("volume_24h"),
        log_return.alias("_log_return"),
        pl.col("high").shift(1).rolling_max(20, min_samples=1).over("coin_id").alias("range_high_20"),
        pl.col("low").shift(1).rolling_min(20, min_samples=1).over("coin_id").alias("range_low_20"),
        volume.rolling_mean(20, min_samples=1).over("coin_id").alias("average_volume_20"),
    )
    previous_day = pl.col("volume_24h").shift(bars_day).over("coin_id")
    out = out.with_columns(
        pl.when(previous_day > 0)
        .then((pl.col("volume_24h") - previous_day) / previous_day * 100.0)
        .alias("volume_change_24h_pct"),
        pl.col("_log_return").rolling_std(vol_window, min_samples=2, ddof=0).over("coin_id").alias("volatility"),
    ).with_columns(
        (pl.col("volatility") * math.sqrt(bars_year)).alias("volatility_annualized"),
        _trend().alias("trend"),
        _trend_score().alias("trend_score"),
    )
    regime, confidence = _regime()
    return out.with_columns(regime.alias("market_regime"), confidence.alias("regime_confidence")).drop("_log_return")
