"""Names and tuning tables of the anomaly engine (reference §4.4–4.6), in one place.

Every number here is the reference's. The lifecycle thresholds are per anomaly type; the component
weights are per score component.
"""

from __future__ import annotations

from typing import Final

PRICE_SPIKE: Final = "price_spike"
VOLUME_SPIKE: Final = "volume_spike"
VOLATILITY_REGIME_BREAK: Final = "volatility_regime_break"
RELATIVE_DIVERGENCE: Final = "relative_divergence"
CROSS_ASSET_SYNCHRONOUS_MOVE: Final = "cross_asset_synchronous_move"
FAILED_BREAKOUT: Final = "failed_breakout"
COMPRESSION_EXPANSION: Final = "compression_expansion"
PRICE_VOLUME_DIVERGENCE: Final = "price_volume_divergence"
CORRELATION_BREAKDOWN: Final = "correlation_breakdown"
FUNDING_OPEN_INTEREST_ANOMALY: Final = "funding_open_interest_anomaly"
CROSS_EXCHANGE_DISLOCATION: Final = "cross_exchange_dislocation"
LIQUIDATION_CASCADE: Final = "liquidation_cascade"

# The fast path runs these in this order on every closed candle (reference §4.1).
FAST_PATH_TYPES: Final = (
    PRICE_SPIKE,
    VOLUME_SPIKE,
    VOLATILITY_REGIME_BREAK,
    FAILED_BREAKOUT,
    COMPRESSION_EXPANSION,
    PRICE_VOLUME_DIVERGENCE,
    RELATIVE_DIVERGENCE,
    CORRELATION_BREAKDOWN,
)
MARKET_STRUCTURE_TYPES: Final = (FUNDING_OPEN_INTEREST_ANOMALY, CROSS_EXCHANGE_DISLOCATION, LIQUIDATION_CASCADE)

STATUS_NEW: Final = "new"
STATUS_ACTIVE: Final = "active"
STATUS_COOLING: Final = "cooling"
STATUS_RESOLVED: Final = "resolved"
OPEN_STATUSES: Final = (STATUS_NEW, STATUS_ACTIVE, STATUS_COOLING)

SCOPE_ASSET: Final = "asset"
SCOPE_SECTOR: Final = "sector"

SOURCE_FAST_PATH: Final = "fast_path"
SOURCE_SECTOR_SCAN: Final = "sector_scan"
SOURCE_MARKET_STRUCTURE_SCAN: Final = "market_structure_scan"

FAST_PATH_LOOKBACK: Final = 96
SECTOR_SCAN_LOOKBACK: Final = 72
MARKET_STRUCTURE_LOOKBACK: Final = 72
MAX_SECTOR_PEERS: Final = 8

COMPONENT_WEIGHTS: Final[dict[str, float]] = {
    "price": 0.32,
    "volume": 0.18,
    "volatility": 0.20,
    "relative": 0.18,
    "synchronicity": 0.12,
    "derivatives": 0.18,
    "liquidity": 0.16,
}

# Lower bounds, checked from the top.
SEVERITY_BANDS: Final = (("critical", 0.85), ("high", 0.70), ("medium", 0.40), ("low", 0.0))

ENTRY_THRESHOLDS: Final[dict[str, float]] = {
    PRICE_SPIKE: 0.56,
    VOLUME_SPIKE: 0.52,
    VOLATILITY_REGIME_BREAK: 0.58,
    RELATIVE_DIVERGENCE: 0.54,
    CROSS_ASSET_SYNCHRONOUS_MOVE: 0.60,
    FAILED_BREAKOUT: 0.55,
    COMPRESSION_EXPANSION: 0.57,
    PRICE_VOLUME_DIVERGENCE: 0.53,
    CORRELATION_BREAKDOWN: 0.56,
    FUNDING_OPEN_INTEREST_ANOMALY: 0.59,
    CROSS_EXCHANGE_DISLOCATION: 0.58,
    LIQUIDATION_CASCADE: 0.62,
}
EXIT_THRESHOLDS: Final[dict[str, float]] = {
    PRICE_SPIKE: 0.34,
    VOLUME_SPIKE: 0.30,
    VOLATILITY_REGIME_BREAK: 0.36,
    RELATIVE_DIVERGENCE: 0.32,
    CROSS_ASSET_SYNCHRONOUS_MOVE: 0.38,
    FAILED_BREAKOUT: 0.33,
    COMPRESSION_EXPANSION: 0.34,
    PRICE_VOLUME_DIVERGENCE: 0.31,
    CORRELATION_BREAKDOWN: 0.34,
    FUNDING_OPEN_INTEREST_ANOMALY: 0.37,
    CROSS_EXCHANGE_DISLOCATION: 0.36,
    LIQUIDATION_CASCADE: 0.40,
}
COOLDOWN_MINUTES: Final[dict[str, int]] = {
    PRICE_SPIKE: 45,
    VOLUME_SPIKE: 45,
    VOLATILITY_REGIME_BREAK: 90,
    RELATIVE_DIVERGENCE: 60,
    CROSS_ASSET_SYNCHRONOUS_MOVE: 120,
    FAILED_BREAKOUT: 45,
    COMPRESSION_EXPANSION: 60,
    PRICE_VOLUME_DIVERGENCE: 45,
    CORRELATION_BREAKDOWN: 75,
    FUNDING_OPEN_INTEREST_ANOMALY: 90,
    CROSS_EXCHANGE_DISLOCATION: 60,
    LIQUIDATION_CASCADE: 120,
}
# Both thresholds are scaled by the coin's regime; unknown labels and None mean 1.0.
REGIME_THRESHOLD_FACTORS: Final[dict[str, float]] = {"bear_trend": 1.05, "high_volatility": 1.18}
