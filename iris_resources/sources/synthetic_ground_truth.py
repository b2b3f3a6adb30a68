"""Assembling :class:`SyntheticTruth` from the synthetic market's schedules and planted pairs.

Only schedules are needed (no price path), so the truth for a year costs milliseconds.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np

from iris_resources.sources.catalog import CoinProfile
from iris_resources.sources.synthetic_formations import TEMPLATES
from iris_resources.sources.synthetic_paths import FOLLOWER_NOISE
from iris_resources.sources.synthetic_schedule import Phase, formation_slots, regime_phases
from iris_resources.sources.synthetic_truth import (
    PlantedFormation,
    PlantedRelation,
    RegimePhase,
    SyntheticTruth,
)
from iris_resources.sources.synthetic_universe import PairPlan

SCHEDULE_MARGIN_HOURS = 24 * 30  # phases reach this far past a horizon so formation slots fit
_NOISE_SCALE = float(np.sqrt(1 + FOLLOWER_NOISE**2))


def relation_truth(plan: PairPlan, profiles: tuple[CoinProfile, ...], hour_bars: int) -> PlantedRelation:
    """The planted pair in symbols, base bars and minutes."""
    sign = 1 if plan.beta > 0 else -1
    return PlantedRelation(
        leader=profiles[plan.leader].symbol,
        follower=profiles[plan.follower].symbol,
        lag_bars=plan.lag_hours * hour_bars,
        lag_minutes=plan.lag_hours * 60,
        beta=plan.beta,
        sign=sign,
        expected_correlation=sign / _NOISE_SCALE,
    )


def _regimes(
    origin: datetime,
    symbol: str,
    leader: CoinProfile,
    phases: tuple[Phase, ...],
    plan: PairPlan | None,
    until: datetime,
) -> list[RegimePhase]:
    """A coin's phases; a follower inherits its leader's, shifted by the lag (bull/bear swap if inverse)."""
    beta, lag = (1.0, 0) if plan is None else (plan.beta, plan.lag_hours)
    swap = {"bull_trend": "bear_trend", "bear_trend": "bull_trend"} if beta < 0 else {}
    scale = 1.0 if plan is None else abs(beta) * _NOISE_SCALE
    items = []
    for number, phase in enumerate(phases):
        start = origin if number == 0 else origin + timedelta(hours=phase.start_hour + lag)
        if start >= until:
            break
        items.append(
            RegimePhase(
                symbol=symbol,
                regime=swap.get(phase.regime, phase.regime),
                start=start,
                end=min(origin + timedelta(hours=phase.end_hour + lag), until),
                drift_per_day=beta * phase.drift_scale * leader.daily_vol,
                volatility_per_day=scale * phase.vol_mult * leader.daily_vol,
            )
        )
    return items


def _formations(
    seed: int,
    origin: datetime,
    index: int,
    profile: CoinProfile,
    phases: tuple[Phase, ...],
    hours: int,
    until: datetime,
) -> list[PlantedFormation]:
    """The formations of an independent coin that are complete before ``until``."""
    items = []
    starts = np.array([phase.start_hour for phase in phases])
    for slot in formation_slots(seed, index, phases, hours):
        end = origin + timedelta(hours=slot.start_hour + slot.candles - 1)
        if end + timedelta(hours=1) > until:
            break
        phase = phases[int(np.searchsorted(starts, slot.start_hour, side="right")) - 1]
        template = TEMPLATES[slot.template_index]
        items.append(
            PlantedFormation(
                symbol=profile.symbol,
                pattern=template.pattern,
                direction=template.direction,
                timeframe=60,
                start=origin + timedelta(hours=slot.start_hour),
                end=end,
                bars=slot.candles,
                amplitude=slot.amplitude_scale * profile.daily_vol * phase.vol_mult,
            )
        )
    return items


def build_truth(
    seed: int,
    origin: datetime,
    hour_bars: int,
    profiles: tuple[CoinProfile, ...],
    pairs: tuple[PairPlan, ...],
    until: datetime,
) -> SyntheticTruth:
    """Everything planted in the market described by the arguments, up to ``until``."""
    hours = max(0, int((until - origin) // timedelta(hours=1)) + 1)
    follower_plan = {plan.follower: plan for plan in pairs}
    regimes: list[RegimePhase] = []
    formations: list[PlantedFormation] = []
    for index, profile in enumerate(profiles):
        plan = follower_plan.get(index)
        source = index if plan is None else plan.leader
        phases = regime_phases(seed, source, hours + SCHEDULE_MARGIN_HOURS)
        regimes.extend(_regimes(origin, profile.symbol, profiles[source], phases, plan, until))
        if plan is None:
            formations.extend(_formations(seed, origin, index, profile, phases, hours, until))
    relations = tuple(relation_truth(plan, profiles, hour_bars) for plan in pairs)
    return SyntheticTruth(until, relations, tuple(regimes), tuple(formations))
