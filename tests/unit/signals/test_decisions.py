"""Investment decisions (reference 5.1), every factor computed by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
import pytest

from iris_assets.signals.decisions import investment_decisions

T0 = datetime(2024, 6, 1, tzinfo=UTC)
STACK_SCHEMA: dict[str, pl.DataType] = {
    "coin_id": pl.Int32(), "timeframe": pl.Int16(), "timestamp": pl.Datetime("us", "UTC"), "signal_type": pl.String(),
    "direction": pl.String(), "confidence": pl.Float64(), "priority_score": pl.Float64(),
    "regime_alignment": pl.Float64(), "success_rate": pl.Float64(),
}
CONTEXT_SCHEMA: dict[str, pl.DataType] = {
    "coin_id": pl.Int32(), "timeframe": pl.Int16(), "timestamp": pl.Datetime("us", "UTC"), "regime": pl.String(),
    "cycle_phase": pl.String(), "sector_strength": pl.Float64(), "relative_strength": pl.Float64(),
    "is_top_sector": pl.Boolean(), "capital_wave": pl.String(), "market_cap": pl.Float64(), "symbol": pl.String(),
    "strategy_alignment": pl.Float64(), "strategy_names": pl.String(),
}


def _signal(signal_type: str, direction: str, priority: float | None, confidence: float = 0.7,
            alignment: float | None = 1.0, success: float | None = None, coin_id: int = 1,
            timestamp: datetime = T0) -> dict[str, Any]:
    return {"coin_id": coin_id, "timeframe": 60, "timestamp": timestamp, "signal_type": signal_type,
            "direction": direction, "confidence": confidence, "priority_score": priority,
            "regime_alignment": alignment, "success_rate": success}


def _stacks(*signals: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(list(signals), schema=STACK_SCHEMA)


def _context(coin_id: int = 1, timestamp: datetime = T0, **values: Any) -> pl.DataFrame:
    row: dict[str, Any] = dict.fromkeys(CONTEXT_SCHEMA)
    row.update(coin_id=coin_id, timeframe=60, timestamp=timestamp, symbol="ETHUSD")
    row.update(values)
    return pl.DataFrame([row], schema=CONTEXT_SCHEMA)


def _decide(stacks: pl.DataFrame, context: pl.DataFrame | None = None) -> dict[str, Any]:
    result = investment_decisions(stacks, _context() if context is None else context)
    assert result.height == 1
    return result.row(0, named=True)


def _bullish_case(direction: str = "bullish", cycle: str = "EARLY_MARKUP") -> tuple[pl.DataFrame, pl.DataFrame]:
    stacks = _stacks(
        _signal("pattern_bull_flag", direction, 1.3, confidence=0.8, alignment=1.25, success=0.72),
        _signal("pattern_ascending_triangle", direction, 1.1, confidence=0.7, alignment=1.25, success=0.66),
        _signal("pattern_volume_spike", "neutral", 0.5, confidence=0.6, alignment=None, success=None),
    )
    context = _context(regime="bull_trend", cycle_phase=cycle, sector_strength=0.03, relative_strength=0.02,
                       is_top_sector=False, capital_wave="mid_caps", market_cap=5e9, strategy_alignment=1.05,
                       strategy_names="bull_flag+ascending_triangle@bull_trend")
    return stacks, context


def test_a_bullish_stack_reaches_buy_with_every_factor_by_hand() -> None:
    row = _decide(*_bullish_case())
    # weights 1.3, 1.1, 0.5 (priorities) -> mean of the (at most) 5 largest
    priority = (1.3 + 1.1 + 0.5) / 3
    # neutral volume_spike adds weight, no bias
    bias_ratio = (1.3 + 1.1) / (1.3 + 1.1 + 0.5)
    # regime_alignment 1.25, 1.25 and null -> 1.0
    regime = (1.25 + 1.25 + 1.0) / 3
    # 1 + clamp(3*0.03) + clamp(3*0.02) + mid_caps wave with 1e9 <= 5e9 < 15e9 (+0.04)
    sector = 1 + 0.09 + 0.06 + 0.04
    cycle = 1.15  # EARLY_MARKUP, bullish stack
    success = (0.72 + 0.66) / 2  # distinct base slugs, volume_spike has no known rate
    strategy = 1.05
    score = priority * regime * sector * cycle * success * strategy  # = 1.1182 -> BUY (1.1 <= score < 1.65)
    stability = (regime + cycle + success + sector + strategy) / 5
    confidence = (score / 2.5) * (0.55 + 0.45 * bias_ratio) * stability
    assert row["signal_priority"] == pytest.approx(priority)
    assert row["bias_ratio"] == pytest.approx(bias_ratio)
    assert row["regime_factor"] == pytest.approx(regime)
    assert row["sector_factor"] == pytest.approx(sector)
    assert row["cycle_factor"] == pytest.approx(cycle)
    assert row["historical_success"] == pytest.approx(success)
    assert row["strategy_alignment"] == pytest.approx(strategy)
    assert row["score"] == pytest.approx(score)
    assert score == pytest.approx(1.118167, abs=1e-6)
    assert row["decision"] == "BUY"
    assert row["confidence"] == pytest.approx(confidence)
    assert (row["pattern_count"], row["cluster_count"], row["hierarchy_count"]) == (3, 0, 0)
    assert row["reason"] == (
        "BUY: bullish stack 3 patterns/0 clusters/0 hierarchies; regime=bull_trend; cycle=EARLY_MARKUP; "
        "sector_strength=0.0300; top_sector=no; capital_wave=mid_caps; historical_success=0.69; "
        "strategy_alignment=1.05; strategies=bull_flag+ascending_triangle@bull_trend; score=1.118"
    )


def test_the_bearish_mirror_sells_with_the_same_score() -> None:
    bullish = _decide(*_bullish_case())
    row = _decide(*_bullish_case(direction="bearish", cycle="MARKDOWN"))
    # MARKDOWN with a bearish stack -> 1.15, the sector factor does not depend on the bias
    assert row["cycle_factor"] == pytest.approx(1.15)
    assert row["bias_ratio"] == pytest.approx(-bullish["bias_ratio"])
    assert row["score"] == pytest.approx(bullish["score"])
    assert row["confidence"] == pytest.approx(bullish["confidence"])
    assert row["decision"] == "SELL"
    assert row["reason"].startswith("SELL: bearish stack 3 patterns/")


def test_a_bullish_stack_in_a_markdown_cycle_gets_the_counter_cycle_factor() -> None:
    row = _decide(*_bullish_case(cycle="MARKDOWN"))
    assert row["cycle_factor"] == pytest.approx(0.82)


@pytest.mark.parametrize(("priority", "direction", "expected"), [
    (3.0, "bullish", "STRONG_BUY"),   # 3.0 * 0.55 (default success) = 1.65
    (2.99, "bullish", "BUY"),         # 1.6445
    (2.0, "bullish", "BUY"),          # 1.10
    (1.99, "bullish", "ACCUMULATE"),  # 1.0945
    (0.82, "bullish", "ACCUMULATE"),  # 0.451
    (0.8, "bullish", "HOLD"),         # 0.44 < 0.45
    (3.0, "bearish", "STRONG_SELL"),
    (2.99, "bearish", "SELL"),
    (1.0, "bearish", "REDUCE"),       # 0.55
    (0.8, "bearish", "HOLD"),
])
def test_score_thresholds_on_a_one_signal_stack(priority: float, direction: str, expected: str) -> None:
    row = _decide(_stacks(_signal("pattern_x", direction, priority)))
    # no context: regime 1.0, sector 1.0, cycle 1.0, success 0.55, strategy 1.0 -> score = priority * 0.55
    assert row["score"] == pytest.approx(priority * 0.55)
    assert row["decision"] == expected


@pytest.mark.parametrize(("bullish_weight", "neutral_weight", "expected"), [
    (5.5, 4.5, "STRONG_BUY"),  # bias 0.55, score 5.0 * 0.55 = 2.75
    (5.4, 4.6, "BUY"),         # bias 0.54 < 0.55 with the same score
    (1.8, 8.2, "BUY"),         # bias 0.18 is directional
    (1.7, 8.3, "HOLD"),        # bias 0.17 < 0.18 -> HOLD although the score is 2.75
])
def test_bias_thresholds(bullish_weight: float, neutral_weight: float, expected: str) -> None:
    row = _decide(_stacks(_signal("pattern_a", "bullish", bullish_weight),
                          _signal("pattern_b", "neutral", neutral_weight)))
    assert row["bias_ratio"] == pytest.approx(bullish_weight / 10.0)
    assert row["score"] == pytest.approx(2.75)
    assert row["decision"] == expected


def test_neutral_signals_contribute_weight_but_no_bias() -> None:
    row = _decide(_stacks(_signal("pattern_a", "bullish", 1.0), _signal("pattern_b", "neutral", 1.0)))
    assert row["bias_ratio"] == pytest.approx(0.5)
    only_neutral = _decide(_stacks(_signal("pattern_a", "neutral", 3.0), _signal("pattern_b", "neutral", 3.0)))
    assert only_neutral["bias_ratio"] == 0.0
    assert only_neutral["decision"] == "HOLD"
    assert only_neutral["reason"].startswith("HOLD: neutral stack 2 patterns/")


@pytest.mark.parametrize(("phase", "expected"), [
    ("MARKUP", 0.82), ("ACCUMULATION", 0.82), ("MARKDOWN", 0.82), ("CAPITULATION", 0.82), ("LATE_MARKUP", 1.05),
    (None, 1.0), ("SOMETHING_ELSE", 1.0),
])
def test_a_zero_bias_stack_takes_the_non_aligned_cycle_values(phase: str | None, expected: float) -> None:
    row = _decide(_stacks(_signal("pattern_a", "neutral", 1.0)), _context(cycle_phase=phase))
    assert row["cycle_factor"] == pytest.approx(expected)


def test_late_markup_favours_bearish_stacks() -> None:
    bullish = _decide(_stacks(_signal("pattern_a", "bullish", 1.0)), _context(cycle_phase="LATE_MARKUP"))
    bearish = _decide(_stacks(_signal("pattern_a", "bearish", 1.0)), _context(cycle_phase="LATE_MARKUP"))
    assert (bullish["cycle_factor"], bearish["cycle_factor"]) == pytest.approx((0.92, 1.05))


def test_cluster_bearish_counts_as_bearish_and_is_no_base_slug() -> None:
    row = _decide(_stacks(
        _signal("pattern_cluster_bearish", "bearish", 0.0, confidence=0.9, success=0.99),
        _signal("pattern_hierarchy_distribution", "bearish", 0.74, confidence=0.74),
        _signal("pattern_bear_flag", "bearish", 0.8, success=0.6),
    ))
    # weights: 0.9 (priority 0 -> confidence), 0.74, 0.8 -> all bearish
    assert row["bias_ratio"] == pytest.approx(-1.0)
    assert row["signal_priority"] == pytest.approx((0.9 + 0.74 + 0.8) / 3)
    # only the base slug bear_flag counts for the historical success
    assert row["historical_success"] == pytest.approx(0.6)
    assert (row["pattern_count"], row["cluster_count"], row["hierarchy_count"]) == (1, 1, 1)
    assert row["reason"].startswith("REDUCE: bearish stack 1 patterns/1 clusters/1 hierarchies;")


def test_signal_priority_is_the_mean_of_the_five_largest_weights() -> None:
    row = _decide(_stacks(
        _signal("pattern_a", "bullish", 0.9),
        _signal("pattern_b", "bullish", 0.0, confidence=0.95),  # priority 0 -> confidence 0.95
        _signal("pattern_c", "bullish", None, confidence=0.85),  # null priority -> confidence
        _signal("pattern_d", "bullish", 0.7),
        _signal("pattern_e", "bullish", 0.6),
        _signal("pattern_f", "bullish", 0.5),
        _signal("pattern_g", "bearish", 0.0, confidence=0.0),  # floor 0.01
    ))
    assert row["signal_priority"] == pytest.approx((0.95 + 0.9 + 0.85 + 0.7 + 0.6) / 5)
    total = 0.9 + 0.95 + 0.85 + 0.7 + 0.6 + 0.5 + 0.01
    assert row["bias_ratio"] == pytest.approx((total - 2 * 0.01) / total)


def test_historical_success_is_the_clamped_mean_over_distinct_base_slugs() -> None:
    # the same slug twice counts once; clamp(mean(0.2, 0.9)) = 0.55 (clamping each first would give 0.625)
    row = _decide(_stacks(_signal("pattern_a", "bullish", 1.0, success=0.2),
                          _signal("pattern_b", "bullish", 1.0, success=0.9),
                          _signal("pattern_b", "bullish", 1.0, success=0.9)))
    assert row["historical_success"] == pytest.approx(0.55)
    high = _decide(_stacks(_signal("pattern_a", "bullish", 1.0, success=0.99),
                           _signal("pattern_b", "bullish", 1.0, success=0.98)))
    assert high["historical_success"] == pytest.approx(0.95)
    low = _decide(_stacks(_signal("pattern_a", "bullish", 1.0, success=0.1)))
    assert low["historical_success"] == pytest.approx(0.35)
    unknown = _decide(_stacks(_signal("pattern_a", "bullish", 1.0)))
    assert unknown["historical_success"] == pytest.approx(0.55)


@pytest.mark.parametrize(("values", "expected"), [
    ({}, 1.0),  # no sector metrics: 1.0 whatever the narrative says
    ({"is_top_sector": True, "capital_wave": "sector_leaders"}, 1.0),
    ({"sector_strength": 0.0, "relative_strength": 0.0}, 1.0),
    ({"sector_strength": 0.5, "relative_strength": -0.5}, 1 + 0.2 - 0.15),
    ({"sector_strength": 0.01, "relative_strength": None, "is_top_sector": True}, 1 + 0.03 + 0.05),
    ({"sector_strength": 0.0, "relative_strength": 0.0, "capital_wave": "btc"}, 0.95),
    ({"sector_strength": 0.0, "relative_strength": 0.0, "capital_wave": "btc", "symbol": "BTCUSD"}, 1.0),
    ({"sector_strength": 0.0, "relative_strength": 0.0, "capital_wave": "large_caps", "market_cap": 15e9}, 1.05),
    ({"sector_strength": 0.0, "relative_strength": 0.0, "capital_wave": "large_caps", "market_cap": 12e9}, 1.0),
    ({"sector_strength": 0.0, "relative_strength": 0.0, "capital_wave": "mid_caps", "market_cap": 12e9}, 1.04),
    ({"sector_strength": 0.0, "relative_strength": 0.0, "capital_wave": "mid_caps", "market_cap": 15e9}, 1.0),
    ({"sector_strength": 0.0, "relative_strength": 0.0, "capital_wave": "micro_caps", "market_cap": 4e8}, 1.05),
    ({"sector_strength": 0.0, "relative_strength": 0.0, "capital_wave": "micro_caps", "market_cap": None}, 1.0),
    ({"sector_strength": 0.0, "relative_strength": 0.0, "capital_wave": "sector_leaders",
      "is_top_sector": True}, 1.1),
    ({"sector_strength": 0.2, "relative_strength": 0.2, "capital_wave": "sector_leaders",
      "is_top_sector": True}, 1.35),  # 1 + 0.2 + 0.15 + 0.05 + 0.05 = 1.45 -> 1.35
    ({"sector_strength": -0.2, "relative_strength": -0.2, "capital_wave": "btc"}, 0.65),  # 0.6 -> 0.65
])
def test_sector_factor(values: dict[str, Any], expected: float) -> None:
    row = _decide(_stacks(_signal("pattern_a", "bullish", 1.0)), _context(**values))
    assert row["sector_factor"] == pytest.approx(expected)


def test_a_zero_or_negative_strategy_alignment_zeroes_the_score() -> None:
    row = _decide(_stacks(_signal("pattern_a", "bullish", 3.0)), _context(strategy_alignment=-0.5))
    assert row["score"] == 0.0
    assert row["decision"] == "HOLD"
    assert row["confidence"] == pytest.approx(0.05)  # floor


def test_many_stacks_are_decided_at_once_and_missing_context_means_unknown() -> None:
    later = T0 + timedelta(hours=1)
    stacks = _stacks(_signal("pattern_a", "bullish", 3.0, coin_id=2),
                     _signal("pattern_a", "bearish", 3.0, coin_id=1, timestamp=later),
                     _signal("pattern_a", "bullish", 3.0, coin_id=1),
                     _signal("golden_cross", "bearish", 9.0, coin_id=1))  # not a pattern signal: ignored
    result = investment_decisions(stacks, _context(coin_id=1, cycle_phase="MARKUP"))
    assert result.select("coin_id", "timestamp", "decision").rows() == [
        (1, T0, "STRONG_BUY"), (1, later, "STRONG_SELL"), (2, T0, "STRONG_BUY")]
    assert result["cycle_factor"].to_list() == pytest.approx([1.15, 1.0, 1.0])
    assert result.row(2, named=True)["reason"] == (
        "STRONG_BUY: bullish stack 1 patterns/0 clusters/0 hierarchies; regime=unknown; cycle=unknown; "
        "sector_strength=0.0000; top_sector=n/a; capital_wave=n/a; historical_success=0.55; "
        "strategy_alignment=1.00; strategies=none; score=1.650")


def test_an_optional_top_sector_name_is_shown_in_the_reason() -> None:
    context = _context(sector_strength=-0.01234, relative_strength=0.0).with_columns(
        pl.lit("defi").alias("top_sector"))
    row = _decide(_stacks(_signal("pattern_a", "bullish", 1.0)), context)
    assert "; sector_strength=-0.0123; top_sector=defi; " in row["reason"]


def test_empty_stacks_give_an_empty_frame_with_the_output_columns() -> None:
    result = investment_decisions(_stacks(), _context())
    assert result.is_empty()
    assert "reason" in result.columns and "sector_factor" in result.columns
