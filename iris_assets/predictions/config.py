"""Prediction parameters, statuses and outcome reasons (spec §3, DECISIONS.md 21–22).

Reference numbers: a 1.5 % move confirms, relations need confidence ≥ 0.5 to spawn predictions,
at most 8 followers per leader move, prediction confidence = clamp(base × max(rel, 0.55), 0.35,
0.98), feedback +0.04 on success and −0.05 on failure clamped to [0.05, 0.99]. New here: the
threshold is per timeframe and a grace period bounds how long a prediction waits for data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

PREDICTION_TYPE: Final = "cross_market_follow_through"
EVENT_BREAKOUT: Final = "leader_breakout"  # the leader moved up
EVENT_BREAKDOWN: Final = "leader_breakdown"  # the leader moved down

STATUS_PENDING: Final = "pending"
STATUS_CONFIRMED: Final = "confirmed"
STATUS_FAILED: Final = "failed"
STATUS_EXPIRED: Final = "expired"

REASON_TARGET_REACHED: Final = "target_reached"
REASON_OPPOSITE_MOVE: Final = "opposite_move"  # closed the window beyond the threshold the wrong way
REASON_TARGET_NOT_REACHED: Final = "target_not_reached"  # window over, target never touched
REASON_NO_DATA: Final = "no_data"  # no candle by deadline + grace


@dataclass(frozen=True, slots=True)
class PredictionConfig:
    """Knobs of creation, evaluation and feedback."""

    default_success_threshold: float = 0.015
    success_thresholds: Mapping[int, float] = field(default_factory=dict)  # timeframe (minutes) → fraction
    min_relation_confidence: float = 0.5
    max_followers: int = 8  # per leader move and relation timeframe
    relation_confidence_floor: float = 0.55
    confidence_floor: float = 0.35
    confidence_cap: float = 0.98
    grace_bars: int = 1  # bars of the relation timeframe a late candle may take after the deadline
    feedback_success: float = 0.04
    feedback_failure: float = -0.05
    feedback_floor: float = 0.05
    feedback_cap: float = 0.99

    def success_threshold(self, timeframe: int) -> float:
        """The confirming move (fraction) for predictions on ``timeframe``."""
        return float(self.success_thresholds.get(timeframe, self.default_success_threshold))
