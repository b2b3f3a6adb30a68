"""Scoring and severity (reference §4.5).

``score`` is the weighted average of the *active* components only: those with a positive value and
a positive weight, each clamped to [0, 1]. A finding with one strong component therefore scores as
high as that component, whatever the detector left at zero. ``confidence`` blends the score with the
detector's own confidence and loses 0.03 when the move is not isolated.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from iris_assets.anomalies.constants import COMPONENT_WEIGHTS, SEVERITY_BANDS
from iris_assets.anomalies.findings import Finding, ScoredFinding
from iris_assets.anomalies.series import BoolArray, FloatArray
from iris_assets.anomalies.stats import clamp01

NOT_ISOLATED_PENALTY = 0.03
Weights = Mapping[str, float]


def component_score(components: Mapping[str, FloatArray], weights: Weights = COMPONENT_WEIGHTS) -> FloatArray:
    """Weighted average over active components, element-wise over bars (0 where none is active)."""
    total: FloatArray | None = None
    weight_sum: FloatArray | None = None
    # Accumulate in the finding's own component order, as the reference does.
    for name, values in components.items():
        weight = weights.get(name, 0.0)
        if weight <= 0:
            continue
        active = values > 0  # NaN (a non-firing bar) is never active
        clamped = np.where(active, clamp01(values), 0.0)
        total = weight * clamped if total is None else total + weight * clamped
        weight_sum = np.where(active, weight, 0.0) if weight_sum is None else weight_sum + np.where(active, weight, 0.0)
    if total is None or weight_sum is None:
        first = next(iter(components.values()), np.zeros(0))
        return np.zeros(np.shape(first))
    return np.where(weight_sum > 0, total / np.where(weight_sum > 0, weight_sum, 1.0), 0.0)


def final_confidence(score: FloatArray, detector_confidence: FloatArray, isolated: BoolArray) -> FloatArray:
    """``clamp(.60·score + .40·clamp(confidence))``, minus 0.03 (then clamped) when not isolated."""
    blended = clamp01(score * 0.60 + clamp01(detector_confidence) * 0.40)
    return np.where(isolated, blended, clamp01(blended - NOT_ISOLATED_PENALTY))


def severity_for(score: float) -> str:
    """Severity band of a score: critical ≥ .85, high ≥ .70, medium ≥ .40, else low."""
    for severity, lower_bound in SEVERITY_BANDS:
        if score >= lower_bound:
            return severity
    return "low"


def _clamp(value: float) -> float:
    return min(max(value, 0.0), 1.0)


def score_finding(finding: Finding, weights: Weights = COMPONENT_WEIGHTS) -> ScoredFinding:
    """Score one finding: the scalar twin of ``component_score``/``final_confidence``.

    The operations and their order are the same as the array versions', so a bar scored in a batch
    and the same bar scored here agree to the last bit.
    """
    total = weight_sum = 0.0
    for name, value in finding.component_scores.items():
        weight = weights.get(name, 0.0)
        if weight > 0 and value > 0:
            total = total + weight * _clamp(value)
            weight_sum = weight_sum + weight
    score = total / weight_sum if weight_sum > 0 else 0.0
    confidence = _clamp(score * 0.60 + _clamp(finding.confidence) * 0.40)
    if not finding.isolated:
        confidence = _clamp(confidence - NOT_ISOLATED_PENALTY)
    return ScoredFinding(finding=finding, score=score, severity=severity_for(score), confidence=confidence)
