"""Target position size for a buy-side signal (reference 4.5, capital on a cash basis).

capital = starting capital + realized PnL so far, so gains and losses change what the next
position may be. The reference's 5 % cap is kept on top of the regime boost, so a bull boost can
never push a position past ``max_position_size`` of capital: 100k, c = 0.8, price 100, ATR 2 gives
4508 in ``bull_trend`` and 2940 in ``bear_trend``.
"""

from __future__ import annotations

import math

from iris_assets.portfolio.settings import PortfolioSettings


def _clamp(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


def regime_factor(regime: str | None, settings: PortfolioSettings | None = None) -> float:
    """1.15 bull, 0.75 bear, 0.85 sideways, 0.95 high volatility, 1.0 for anything else."""
    factors = (settings or PortfolioSettings()).regime_factors
    return factors.get(regime, 1.0) if regime is not None else 1.0


def volatility_adjustment(price: float, atr: float | None) -> float:
    """clamp(1 − ATR/price, 0.55, 1.05) when both are known, else 1.0."""
    if price <= 0 or atr is None or math.isnan(atr):
        return 1.0
    return _clamp(1.0 - atr / price, 0.55, 1.05)


def target_notional(
    *,
    capital: float,
    available: float,
    confidence: float,
    regime: str | None,
    price: float,
    atr: float | None,
    settings: PortfolioSettings,
) -> float:
    """USD value the position should have; ``available`` includes the position's own cost basis."""
    cap = capital * settings.max_position_size
    confidence = 0.0 if math.isnan(confidence) else _clamp(confidence, 0.0, 1.0)
    raw = cap * confidence * regime_factor(regime, settings) * volatility_adjustment(price, atr)
    return max(min(raw, cap, available), 0.0)
