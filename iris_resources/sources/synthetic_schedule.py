"""Per-coin schedules of the synthetic market: regime phases and formation slots, in whole hours.

Both are drawn sequentially from a generator seeded by (seed, coin), one fixed set of draws per
phase or slot, so a longer horizon only appends items: the schedule up to any hour never depends
on how far ahead it was generated. Hours count from the market's origin.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np

from iris_resources.sources.synthetic_formations import TEMPLATES

_REGIME_STREAM = 11
_FORMATION_STREAM = 12

# regime → (drift direction, volatility multiplier relative to the coin's normal daily volatility)
REGIME_PARAMS: dict[str, tuple[int, float]] = {
    "bull_trend": (1, 1.0),
    "bear_trend": (-1, 1.1),
    "sideways_range": (0, 0.6),
    "high_volatility": (0, 2.2),
    "low_volatility": (0, 0.4),
}
_LABELS = tuple(REGIME_PARAMS)
_BASE_WEIGHTS = np.array([0.25, 0.25, 0.2, 0.15, 0.15])
_PHASE_HOURS = (72, 216)  # 3 to 9 days
_FORMATION_CANDLES = (40, 80)  # hourly candles
_FORMATION_GAP_HOURS = (48, 160)
_FORMATION_MARGIN_HOURS = 12  # leave trend bars in every phase so its net move can be enforced


@dataclass(frozen=True, slots=True)
class Phase:
    """One regime phase: hours ``[start_hour, end_hour)`` with drift in daily-volatility units."""

    regime: str
    start_hour: int
    end_hour: int
    drift_scale: float  # drift per day / the coin's normal daily volatility (signed)
    vol_mult: float


@dataclass(frozen=True, slots=True)
class FormationSlot:
    """Where a formation goes: ``candles`` hourly candles from ``start_hour`` (within one phase)."""

    template_index: int
    start_hour: int
    candles: int
    amplitude_scale: float  # amplitude / (the coin's daily volatility x the phase's multiplier)


def regime_phases(seed: int, coin_index: int, until_hour: int) -> tuple[Phase, ...]:
    """Phases covering hours ``[0, until_hour)`` (the last one may reach beyond it).

    Trends lean against the distance already travelled (in daily-volatility units), so a year of
    phases keeps prices near their starting level instead of compounding away.
    """
    rng = np.random.default_rng([seed, _REGIME_STREAM, coin_index])
    phases: list[Phase] = []
    hour, travelled, previous = 0, 0.0, -1
    while hour < until_hour:
        length = int(rng.integers(_PHASE_HOURS[0], _PHASE_HOURS[1] + 1))
        strength = float(rng.uniform(0.8, 1.4))
        pick = float(rng.random())
        weights = _BASE_WEIGHTS.copy()
        weights[0] *= np.exp(-travelled / 6.0)
        weights[1] *= np.exp(travelled / 6.0)
        if previous >= 0:
            weights[previous] = 0.0  # consecutive phases differ, so every boundary is a real change
        label_index = int(np.searchsorted(np.cumsum(weights / weights.sum()), pick, side="right"))
        label_index = min(label_index, len(_LABELS) - 1)
        label = _LABELS[label_index]
        direction, vol_mult = REGIME_PARAMS[label]
        drift_scale = direction * strength
        phases.append(Phase(label, hour, hour + length, drift_scale, vol_mult))
        travelled += drift_scale * length / 24.0
        hour += length
        previous = label_index
    return tuple(phases)


def formation_slots(
    seed: int, coin_index: int, phases: tuple[Phase, ...], until_hour: int
) -> tuple[FormationSlot, ...]:
    """Non-overlapping formation slots starting before ``until_hour``, each inside a single phase.

    ``phases`` must reach at least ``until_hour + 24 * 30`` so a slot never runs off their end.
    Templates rotate (offset by coin) so every pattern shows up early on some coin.
    """
    rng = np.random.default_rng([seed, _FORMATION_STREAM, coin_index])
    starts = [phase.start_hour for phase in phases]
    slots: list[FormationSlot] = []
    cursor = int(rng.integers(6, 48))
    while cursor < until_hour:
        candles = int(rng.integers(_FORMATION_CANDLES[0], _FORMATION_CANDLES[1] + 1))
        amplitude = float(rng.uniform(1.8, 2.6))
        gap = int(rng.integers(_FORMATION_GAP_HOURS[0], _FORMATION_GAP_HOURS[1] + 1))
        # Move forward until the slot fits inside one phase with a margin of trend bars after it.
        while True:
            if cursor >= phases[-1].end_hour:
                raise ValueError("regime phases end before the formation schedule's horizon")
            phase = phases[bisect.bisect_right(starts, cursor) - 1]
            if cursor + candles + _FORMATION_MARGIN_HOURS <= phase.end_hour:
                break
            cursor = phase.end_hour + 6
        if cursor >= until_hour:
            break
        template_index = (3 * coin_index + len(slots)) % len(TEMPLATES)
        slots.append(FormationSlot(template_index, cursor, candles, amplitude))
        cursor += candles + gap
    return tuple(slots)
