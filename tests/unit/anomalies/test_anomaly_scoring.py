"""Scoring and severity (reference §4.5) on hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest

from iris_assets.anomalies import Explainability, Finding, score_finding, severity_for
from iris_assets.anomalies.scoring import component_score, final_confidence


def _finding(components: dict[str, float], *, confidence: float = 0.5, isolated: bool = True) -> Finding:
    return Finding(
        anomaly_type="price_spike",
        summary="synthetic",
        component_scores=components,
        metrics={},
        confidence=confidence,
        explainability=Explainability("x", "y", "z"),
        isolated=isolated,
    )


def test_the_score_is_the_weighted_average_of_active_components() -> None:
    result = score_finding(_finding({"price": 0.8, "volume": 0.5}))

    assert result.score == pytest.approx((0.32 * 0.8 + 0.18 * 0.5) / (0.32 + 0.18))  # 0.692


def test_a_zero_component_does_not_dilute_the_score() -> None:
    assert score_finding(_finding({"price": 0.8, "volatility": 0.0})).score == pytest.approx(0.8)


def test_unknown_components_carry_no_weight() -> None:
    assert score_finding(_finding({"relative": 0.6, "sentiment": 1.0})).score == pytest.approx(0.6)


def test_components_are_clamped_to_one_before_weighting() -> None:
    assert score_finding(_finding({"price": 1.4, "volume": 0.5})).score == pytest.approx((0.32 + 0.09) / 0.5)


def test_no_active_component_scores_zero() -> None:
    result = score_finding(_finding({"price": 0.0, "volume": -0.2}))

    assert result.score == 0.0
    assert result.severity == "low"


def test_confidence_blends_score_and_detector_confidence() -> None:
    result = score_finding(_finding({"volume": 0.5}, confidence=0.9))

    assert result.confidence == pytest.approx(0.6 * 0.5 + 0.4 * 0.9)


def test_a_move_that_is_not_isolated_loses_three_points_of_confidence() -> None:
    isolated = score_finding(_finding({"volume": 0.5}, confidence=0.9))
    market_wide = score_finding(_finding({"volume": 0.5}, confidence=0.9, isolated=False))

    assert isolated.confidence - market_wide.confidence == pytest.approx(0.03)


def test_confidence_never_leaves_the_unit_interval() -> None:
    assert score_finding(_finding({"price": 0.01}, confidence=-3.0, isolated=False)).confidence == 0.0
    assert score_finding(_finding({"price": 1.0}, confidence=7.0)).confidence == 1.0


@pytest.mark.parametrize(
    ("score", "severity"),
    [(0.85, "critical"), (0.8499, "high"), (0.70, "high"), (0.6999, "medium"), (0.40, "medium"), (0.3999, "low")],
)
def test_severity_bands_have_inclusive_lower_bounds(score: float, severity: str) -> None:
    assert severity_for(score) == severity


def test_all_components_near_one_are_critical() -> None:
    components = {"price": 1.0, "volume": 0.98, "volatility": 0.95, "relative": 0.92, "synchronicity": 0.90}

    result = score_finding(_finding(components, confidence=0.95))

    assert result.score > 0.8
    assert result.severity == "critical"
    assert result.confidence > 0.8


def test_array_scoring_matches_scalar_scoring_bit_for_bit() -> None:
    rng = np.random.default_rng(11)
    price, volatility = rng.uniform(-0.2, 1.2, 200), rng.uniform(-0.2, 1.2, 200)
    confidence, isolated = rng.uniform(0, 1, 200), rng.uniform(0, 1, 200) > 0.5

    scores = component_score({"price": price, "volatility": volatility})
    confidences = final_confidence(scores, confidence, isolated)

    for i in range(200):
        single = score_finding(
            _finding({"price": price[i], "volatility": volatility[i]}, confidence=confidence[i], isolated=isolated[i])
        )
        assert (single.score, single.confidence) == (scores[i], confidences[i])
