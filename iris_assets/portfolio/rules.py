"""What a final signal asks of the position of its (coin, timeframe).

Buy-side labels size the position to a target; HOLD asks nothing and writes no ledger row
(DECISIONS.md 26); STRONG_SELL closes; SELL closes at confidence ≥ 0.55 and otherwise, like REDUCE,
brings the position down to half of its *base* units — the units right after the last open or
increase. Measuring the half against the base rather than the current units is what makes a
repeated weak sell idempotent: once the position is at (or within 10 % above) half of its base,
the same signal again does nothing (the reference halved it again on every re-evaluation).
"""

from __future__ import annotations

import enum

from iris_assets.portfolio.settings import PortfolioSettings

BUY_LABELS = frozenset({"STRONG_BUY", "BUY", "ACCUMULATE"})
LABELS = BUY_LABELS | {"HOLD", "REDUCE", "SELL", "STRONG_SELL"}


class Intent(enum.Enum):
    TARGET = "target"  # size the position to the sizing target
    CLOSE = "close"
    HALVE = "halve"  # down to reduce_fraction of the base units
    NOTHING = "nothing"


def intent_of(decision: str, confidence: float, settings: PortfolioSettings) -> Intent:
    """Intent of one final-signal label; unknown labels are a data error."""
    if decision in BUY_LABELS:
        return Intent.TARGET
    if decision == "HOLD":
        return Intent.NOTHING
    if decision == "STRONG_SELL":
        return Intent.CLOSE
    if decision == "SELL":
        return Intent.CLOSE if confidence >= settings.sell_close_confidence else Intent.HALVE
    if decision == "REDUCE":
        return Intent.HALVE
    raise ValueError(f"unknown final signal {decision!r}; expected one of {sorted(LABELS)}")


def units_to_halve(units: float, base_units: float, settings: PortfolioSettings) -> float:
    """Units to sell so the position holds reduce_fraction × base_units (0 when already there)."""
    target = settings.reduce_fraction * base_units
    if units <= settings.reduce_tolerance * target:
        return 0.0
    return units - target
