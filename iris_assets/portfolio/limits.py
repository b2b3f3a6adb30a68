"""Risk limits evaluated on the portfolio as it would be after a buy (DECISIONS.md 27).

The reference checked the sector ratio before the trade and only for new positions, so one order
could carry a sector past its cap and resizes were never limited. Here every buy (open or
increase) is trimmed to the largest notional that keeps, after the fill and its fee:

* open positions ≤ ``max_positions`` (an open that would exceed it gets nothing),
* Σ cost basis of the coin's sector ≤ ``max_sector_exposure`` × capital,
* Σ cost basis of all positions ≤ ``max_exposure`` × capital (with 1.0: available cash ≥ 0).

Capital is the cash-basis capital (starting + realized), and the fee of the fill lowers it, which
is why each room is divided by (1 + limit × fee_rate). Reductions are never limited.
"""

from __future__ import annotations

from iris_assets.portfolio.settings import PortfolioSettings


def buy_room(
    *,
    capital: float,
    allocated: float,
    sector_cost: float | None,
    opening: bool,
    open_positions: int,
    settings: PortfolioSettings,
) -> float:
    """Largest buy notional the limits allow (≥ 0). ``sector_cost`` None: the coin has no sector."""
    if opening and open_positions + 1 > settings.max_positions:
        return 0.0
    fee = settings.fee_rate
    room = (settings.max_exposure * capital - allocated) / (1.0 + settings.max_exposure * fee)
    if sector_cost is not None:
        sector_cap = settings.max_sector_exposure
        room = min(room, (sector_cap * capital - sector_cost) / (1.0 + sector_cap * fee))
    return max(room, 0.0)
