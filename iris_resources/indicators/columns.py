"""Column names of the wide ``indicators`` table (the engine's output plus per-bar features).

Kept here, not imported from the engine, because persistence must not depend on orchestration;
an architecture test asserts that these lists equal the engine's.
"""

from __future__ import annotations

ENGINE_FLOAT_COLUMNS: tuple[str, ...] = (
    "sma_20", "sma_50", "sma_200", "ema_12", "ema_20", "ema_26", "ema_50", "ema_200", "rsi_14",
    "macd", "macd_signal", "macd_histogram", "bb_upper", "bb_middle", "bb_lower", "bb_width",
    "true_range", "atr_14", "adx_14", "plus_di_14", "minus_di_14", "obv", "volume_sma_20", "volume_ratio_20",
    "natr_14", "stoch_k", "stoch_d", "stochrsi_k", "stochrsi_d", "cci_14", "willr_14", "mfi_14", "roc_10", "mom_10",
)
CANDLE_PATTERN_COLUMNS: tuple[str, ...] = (
    "cdl_engulfing", "cdl_hammer", "cdl_doji", "cdl_morning_star", "cdl_evening_star", "cdl_shooting_star",
    "cdl_3_white_soldiers", "cdl_3_black_crows",
)
# Per-bar features derived from the bar's own timeframe (percent units, DECISIONS.md 7).
FEATURE_FLOAT_COLUMNS: tuple[str, ...] = (
    "price_change_24h_pct", "price_change_7d_pct", "volume_24h", "volume_change_24h_pct",
    "volatility", "volatility_annualized", "range_high_20", "range_low_20", "average_volume_20",
    "regime_confidence",
)
FEATURE_INT_COLUMNS: tuple[str, ...] = ("trend_score",)
FEATURE_TEXT_COLUMNS: tuple[str, ...] = ("trend", "market_regime")

# The reference's 14 snapshot indicators (coin_metrics, completeness, API payloads).
SNAPSHOT_INDICATORS: tuple[str, ...] = (
    "ema_20", "ema_50", "sma_50", "sma_200", "rsi_14", "macd", "macd_signal", "macd_histogram", "atr_14",
    "bb_upper", "bb_middle", "bb_lower", "bb_width", "adx_14",
)
# What counts towards a snapshot's completeness (reference 3.5).
COMPLETENESS_INDICATORS: tuple[str, ...] = (
    "ema_20", "ema_50", "sma_50", "sma_200", "rsi_14", "macd", "macd_signal", "macd_histogram", "atr_14",
    "bb_width", "adx_14",
)
