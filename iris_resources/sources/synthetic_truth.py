"""The ground truth the synthetic market plants, so tests can check what analytics recover."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# The one regime vocabulary (DECISIONS.md item 8).
REGIMES: tuple[str, ...] = ("bull_trend", "bear_trend", "sideways_range", "high_volatility", "low_volatility")


@dataclass(frozen=True, slots=True)
class PlantedRelation:
    """A follower whose log returns repeat the leader's ``lag_bars`` base bars later, times ``beta``.

    ``follower_return(t) = beta * leader_return(t - lag_bars) + noise``; the noise is sized so the
    return correlation at the lag is about ``expected_correlation`` (its sign is ``sign``).
    """

    leader: str
    follower: str
    lag_bars: int  # in base bars; always a whole number of hours
    lag_minutes: int
    beta: float
    sign: int  # +1 follows, -1 moves against the leader (inverse relation)
    expected_correlation: float


@dataclass(frozen=True, slots=True)
class RegimePhase:
    """A contiguous period of one coin's path generated under one regime label.

    ``start`` is the open time of its first base bar, ``end`` the open time just after its last
    (exclusive). The log price moves by exactly ``drift_per_day`` per day over the phase (noise is
    centred within the phase), and ``volatility_per_day`` is the daily return volatility used.
    """

    symbol: str
    regime: str
    start: datetime
    end: datetime
    drift_per_day: float
    volatility_per_day: float


@dataclass(frozen=True, slots=True)
class PlantedFormation:
    """A textbook chart formation drawn on ``timeframe`` candles (open times, both inclusive).

    ``start`` is the open time of the formation's first candle and ``end`` that of its completion
    (breakout) candle, so the formation spans ``bars`` candles of ``timeframe`` minutes.
    ``amplitude`` is the template's height as a fraction of the starting price (log scale).
    """

    symbol: str
    pattern: str
    direction: str  # "bullish" or "bearish"
    timeframe: int
    start: datetime
    end: datetime
    bars: int
    amplitude: float


@dataclass(frozen=True, slots=True)
class SyntheticTruth:
    """Everything planted up to ``until`` (regime phases are clipped to it)."""

    until: datetime
    relations: tuple[PlantedRelation, ...]
    regimes: tuple[RegimePhase, ...]
    formations: tuple[PlantedFormation, ...]

    def regimes_for(self, symbol: str) -> tuple[RegimePhase, ...]:
        """The regime phases of one coin, in time order."""
        return tuple(phase for phase in self.regimes if phase.symbol == symbol)

    def formations_for(self, symbol: str) -> tuple[PlantedFormation, ...]:
        """The formations planted on one coin, in time order."""
        return tuple(item for item in self.formations if item.symbol == symbol)
