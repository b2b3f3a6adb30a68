"""Relation (lead/lag) parameters: the reference's constants (spec §2.2) in one frozen config.

Every default reproduces IRIS: a 200-candle window, at least 48 paired returns, lags up to 8 hours
capped at 24 bars, |ρ| ≥ 0.25 to be active, confidence clamped to [0.20, 0.99] — except that an
active relation must also be statistically significant across all pairs and lags searched (our
addition: otherwise the best of nine lags over many pairs of noise is "active"). Preferred leaders
are configuration (DECISIONS.md 19), not hard-coded symbols; their order is the config order.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_PREFERRED_LEADERS: tuple[str, ...] = ("BTCUSD", "ETHUSD", "SOLUSD")


@dataclass(frozen=True, slots=True)
class RelationConfig:
    """Knobs of :func:`iris_assets.cross_market.relations.compute_relations`."""

    lookback: int = 200  # candles in the window (so at most lookback - 1 returns)
    min_points: int = 48  # paired returns a lag needs before its correlation counts
    max_lag_hours: int = 8
    max_lag_bars_cap: int = 24
    min_correlation: float = 0.25  # |ρ| below this marks the relation inactive
    # Family-wise significance over every pair and lag searched (Bonferroni, Fisher z): searching
    # 9 lags × N² pairs, the best of pure noise clears 0.25 routinely; an active relation must also
    # beat what noise reaches by chance. None keeps the reference's bare 0.25.
    significance: float | None = 0.01
    confidence_floor: float = 0.20
    confidence_cap: float = 0.99
    preferred_leaders: tuple[int, ...] = ()  # coin ids, most preferred first

    def __post_init__(self) -> None:
        if self.lookback < 3:
            raise ValueError(f"lookback must be >= 3, got {self.lookback}")
        if self.min_points < 3:
            raise ValueError(f"min_points must be >= 3, got {self.min_points}")


def max_lag_bars(timeframe: int, config: RelationConfig | None = None) -> int:
    """Largest lag searched, in bars: ``max(min(⌊8·60 / tf⌋, 24), 0)`` (8 for 1h, 2 for 4h, 0 for 1d)."""
    if timeframe <= 0:
        raise ValueError(f"timeframe must be positive, got {timeframe}")
    config = config or RelationConfig()
    return max(min(config.max_lag_hours * 60 // timeframe, config.max_lag_bars_cap), 0)


def relation_timeframe(timeframe: int) -> int:
    """The timeframe relations are computed on for an event timeframe: sub-hour events use 1h."""
    return 60 if timeframe < 60 else timeframe
