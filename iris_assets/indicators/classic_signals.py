"""The reference's classic indicator signals (3.10) for every bar at once (pure Polars).

Each signal is keyed on the candle's **open** time (DECISIONS.md 4) and carries an explicit
direction (DECISIONS.md 10): crosses, breakouts and RSI crossings have a fixed bias;
``trend_reversal`` takes the sign of the new MACD histogram; ``volume_spike`` the bar's move.
"""

from __future__ import annotations

import polars as pl

SIGNAL_TYPES = (
    "golden_cross",
    "death_cross",
    "bullish_breakout",
    "bearish_breakdown",
    "trend_reversal",
    "volume_spike",
    "rsi_oversold",
    "rsi_overbought",
)


def _prev(name: str) -> pl.Expr:
    return pl.col(name).shift(1).over("coin_id")


def _rules() -> list[tuple[str, pl.Expr, pl.Expr, float]]:
    """(signal_type, fires, direction, confidence) per the reference's table."""
    volume = pl.col("volume").fill_null(0.0)
    hist, prev_hist = pl.col("macd_histogram"), _prev("macd_histogram")
    bar_direction = pl.when(pl.col("close") >= _prev("close")).then(pl.lit("bullish")).otherwise(pl.lit("bearish"))
    return [
        (
            "golden_cross",
            (_prev("sma_50") <= _prev("sma_200")) & (pl.col("sma_50") > pl.col("sma_200")),
            pl.lit("bullish"),
            0.92,
        ),
        (
            "death_cross",
            (_prev("sma_50") >= _prev("sma_200")) & (pl.col("sma_50") < pl.col("sma_200")),
            pl.lit("bearish"),
            0.92,
        ),
        (
            "bullish_breakout",
            (pl.col("close") > pl.col("range_high_20")) & (volume > 1.5 * pl.col("average_volume_20")),
            pl.lit("bullish"),
            0.85,
        ),
        (
            "bearish_breakdown",
            (pl.col("close") < pl.col("range_low_20")) & (volume > 1.5 * pl.col("average_volume_20")),
            pl.lit("bearish"),
            0.85,
        ),
        (
            "trend_reversal",
            ((prev_hist <= 0) & (hist > 0)) | ((prev_hist >= 0) & (hist < 0)),
            pl.when(hist > 0).then(pl.lit("bullish")).otherwise(pl.lit("bearish")),
            0.74,
        ),
        ("volume_spike", volume > 2.0 * pl.col("average_volume_20"), bar_direction, 0.70),
        ("rsi_oversold", (_prev("rsi_14") >= 30) & (pl.col("rsi_14") < 30), pl.lit("bullish"), 0.68),
        ("rsi_overbought", (_prev("rsi_14") <= 70) & (pl.col("rsi_14") > 70), pl.lit("bearish"), 0.68),
    ]


def detect_classic_signals(bars: pl.DataFrame) -> pl.DataFrame:
    """Signals fired by ``bars`` (indicator rows with features, sorted by coin and time).

    Returns coin_id, timestamp, signal_type, direction, confidence, market_regime — one row per
    firing; the first bar of each coin has no previous bar and fires no crossing.
    """
    frames = [
        bars.with_columns(fires.fill_null(False).alias("_fires"), direction.alias("direction"))
        .filter(pl.col("_fires"))
        .select(
            "coin_id",
            "timestamp",
            pl.lit(name).alias("signal_type"),
            "direction",
            pl.lit(confidence).alias("confidence"),
            "market_regime",
        )
        for name, fires, direction, confidence in _rules()
    ]
    return pl.concat(frames).sort("coin_id", "timestamp", "signal_type")
