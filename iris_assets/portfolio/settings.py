"""Portfolio parameters (reference 4 settings plus the knobs DECISIONS.md 24–27 added).

One frozen object so a simulation is fully described by (decisions, candles, sectors, settings):
the same inputs always give the same ledger.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

REGIME_FACTORS: Mapping[str, float] = MappingProxyType(
    {
        "bull_trend": 1.15,
        "bear_trend": 0.75,
        "sideways_range": 0.85,
        "high_volatility": 0.95,
    }
)


@dataclass(frozen=True)
class PortfolioSettings:
    """Capital, sizing, risk and stop parameters of the paper portfolio."""

    starting_capital: float = 100_000.0
    max_position_size: float = 0.05  # fraction of capital per position
    max_positions: int = 20
    max_sector_exposure: float = 0.25  # fraction of capital, cost basis
    max_exposure: float = 1.0  # Σ cost basis / capital
    rebalance_band: float = 0.10  # |target − value| ≤ band × value → no trade
    min_trade_value: float = 10.0  # USD; smaller (trimmed) buys are dropped
    fee_rate: float = 0.0  # fraction of notional charged on every fill
    stop_atr_multiplier: float = 2.0
    take_profit_atr_multiplier: float = 3.0
    sell_close_confidence: float = 0.55  # SELL at or above closes, below reduces to half
    reduce_fraction: float = 0.5  # REDUCE / weak SELL keep this share of the base units
    reduce_tolerance: float = 1.10  # already ≤ tolerance × reduced target → nothing to do
    regime_factors: Mapping[str, float] = field(default_factory=lambda: REGIME_FACTORS)
