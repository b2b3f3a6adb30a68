"""Dependency gate, regime weighting, success gating, temperature, clusters, hierarchy, market cycle."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from iris_assets.patterns.catalog import CATALOG
from iris_assets.patterns.context import (
    apply_dependency_gate,
    apply_regime_context,
    apply_success_gate,
    assess_success,
    cluster_signals,
    hierarchy_signals,
    regime_weight,
    regime_weight_expr,
    temperature_weight,
)
from iris_assets.patterns.cycle import cycle_phase, market_cycle

T0 = datetime(2024, 3, 1, tzinfo=UTC)
REGIMES = ["bull_trend", "bear_trend", "sideways_range", "high_volatility", "low_volatility", None]


def detections(*rows: tuple[int, str, str, str, float]) -> pl.DataFrame:
    """Rows (hour offset, slug, category, direction, confidence)."""
    return pl.DataFrame(
        [(T0 + timedelta(hours=h), slug, cat, d, c) for h, slug, cat, d, c in rows],
        schema={"timestamp": pl.Datetime("us", "UTC"), "slug": pl.String, "category": pl.String,
                "direction": pl.String, "confidence": pl.Float64},
        orient="row",
    )


def bars(hours: int, **columns: object) -> pl.DataFrame:
    base = {"timestamp": [T0 + timedelta(hours=h) for h in range(hours)], "close": [100.0] * hours}
    base.update({k: v if isinstance(v, list) else [v] * hours for k, v in columns.items()})
    return pl.DataFrame(base).with_columns(pl.col("timestamp").cast(pl.Datetime("us", "UTC")))


def test_head_shoulders_needs_volume_fields_and_the_200_bar_trend_inputs() -> None:
    found = detections((0, "head_shoulders", "structural", "bearish", 0.8), (1, "head_shoulders", "structural",
                                                                              "bearish", 0.8))
    ready = bars(2, ema_50=1.0, ema_200=1.0, average_volume_20=[None, 10.0])
    assert apply_dependency_gate(found, ready).get_column("timestamp").to_list() == [T0 + timedelta(hours=1)]
    young = bars(2, ema_50=1.0, ema_200=None, sma_200=None, average_volume_20=10.0)
    assert apply_dependency_gate(found, young).is_empty()


def test_indicator_detectors_need_their_required_columns() -> None:
    found = detections((0, "macd_cross", "momentum", "bullish", 0.7), (0, "volume_spike", "volume", "neutral", 0.7))
    kept = apply_dependency_gate(found, bars(1, macd=1.0, average_volume_20=5.0))
    assert kept.get_column("slug").to_list() == ["volume_spike"]  # macd_signal missing


def test_bull_flag_is_dropped_in_a_bear_trend_and_boosted_in_a_bull_trend() -> None:
    found = detections((0, "bull_flag", "continuation", "bullish", 0.8), (1, "bull_flag", "continuation",
                                                                           "bullish", 0.8))
    out = apply_regime_context(found, bars(2, market_regime=["bear_trend", "bull_trend"]))
    assert out.height == 1
    row = out.row(0, named=True)
    assert row["regime"] == "bull_trend" and row["regime_weight"] == 1.18 and row["confidence"] > 0.8


def test_bearish_breakdowns_count_as_bearish_in_the_regime_weight() -> None:
    assert regime_weight("breakout_retest", "continuation", "bearish", "bear_trend") == 1.18
    assert regime_weight("breakout_retest", "continuation", "bullish", "bear_trend") == 0.58


def test_vectorised_regime_weights_equal_the_scalar_rules() -> None:
    rows = list(itertools.product([s.slug for s in CATALOG], ["bullish", "bearish", "neutral"], REGIMES))
    frame = pl.DataFrame(
        {"slug": [r[0] for r in rows], "direction": [r[1] for r in rows], "regime": [r[2] for r in rows]},
        schema={"slug": pl.String, "direction": pl.String, "regime": pl.String},
    ).with_columns(pl.col("slug").replace_strict({s.slug: s.category for s in CATALOG}).alias("category"))
    got = frame.select(regime_weight_expr()).to_series().to_list()
    expected = [regime_weight(slug, cat, d, r) for slug, d, r, cat in frame.iter_rows()]
    assert got == expected


def stats(*rows: tuple[str, str, int, float, bool, float]) -> pl.DataFrame:
    return pl.DataFrame(
        [(slug, 60, regime, n, rate, enabled, temp) for slug, regime, n, rate, enabled, temp in rows],
        schema=["pattern_slug", "timeframe", "market_regime", "total_signals", "success_rate", "enabled",
                "temperature"],
        orient="row",
    )


def test_regime_specific_statistics_win_over_the_global_row() -> None:
    found = detections((0, "bull_flag", "continuation", "bullish", 0.8)).with_columns(regime=pl.lit("bull_trend"))
    table = stats(("bull_flag", "all", 40, 0.32, False, -1.0), ("bull_flag", "bull_trend", 30, 0.82, True, 0.9))
    row = assess_success(found, table, 60).row(0, named=True)
    assert row["success_action"] == "boosted" and row["success_regime"] == "bull_trend"
    assert row["confidence"] == pytest.approx(0.8 * 1.12) and not row["suppressed"]


def test_weak_statistics_degrade_and_bad_statistics_suppress() -> None:
    found = detections((0, "head_shoulders", "structural", "bearish", 0.8))
    degraded = assess_success(found, stats(("head_shoulders", "all", 20, 0.50, True, 0.0)), 60).row(0, named=True)
    assert degraded["success_action"] == "degraded" and degraded["confidence"] < 0.8
    suppressed = apply_success_gate(found, stats(("head_shoulders", "all", 25, 0.30, True, 0.0)), 60)
    assert suppressed.is_empty()
    disabled = assess_success(found, stats(("head_shoulders", "all", 3, 0.9, False, 0.0)), 60)
    assert disabled.get_column("success_action").to_list() == ["disabled"]


def test_no_statistics_leave_the_detection_neutral() -> None:
    found = detections((0, "head_shoulders", "structural", "bearish", 0.8))
    row = assess_success(found, stats(("bull_flag", "all", 50, 0.9, True, 1.0)), 60).row(0, named=True)
    assert (row["success_action"], row["success_factor"], row["confidence"], row["priority"]) == (
        "neutral", 1.0, 0.8, 0.8)


def test_temperature_weight_is_bounded_monotone_and_neutral_at_zero() -> None:
    temps = pl.Series("t", [-1e6, -3.0, -0.5, 0.0, 0.5, 3.0, 1e6, None], dtype=pl.Float64)
    weights = pl.select(temperature_weight(pl.lit(temps))).to_series().to_list()
    assert all(0.5 <= w <= 1.5 for w in weights)
    assert weights[:7] == sorted(weights[:7]) and weights[3] == 1.0 and weights[7] == 1.0


def test_breakout_retest_with_a_volume_spike_in_a_strong_trend_forms_a_bullish_cluster() -> None:
    found = detections((0, "breakout_retest", "continuation", "bullish", 0.85),
                       (0, "volume_spike", "volume", "neutral", 0.7))
    out = cluster_signals(found, bars(1, trend_score=72, market_regime="bull_trend"))
    assert out.get_column("slug").to_list() == ["cluster_bullish"]
    row = out.row(0, named=True)
    assert row["confidence"] > 0.9 and row["regime"] == "bull_trend" and row["direction"] == "bullish"
    assert cluster_signals(found, bars(1, trend_score=59, market_regime="bull_trend")).is_empty()


def test_a_trend_score_of_zero_is_a_weak_trend_not_a_missing_one() -> None:
    found = detections((0, "breakout_retest", "continuation", "bearish", 0.7),
                       (0, "volume_climax", "volume", "bearish", 0.7))
    out = cluster_signals(found, bars(1, trend_score=0, market_regime="bear_trend"))
    assert out.get_column("slug").to_list() == ["cluster_bearish"]
    assert out.get_column("direction").to_list() == ["bearish"]


def test_a_bearish_stack_with_exhaustion_and_a_cluster_gives_distribution_and_trend_exhaustion() -> None:
    found = detections((0, "head_shoulders", "structural", "bearish", 0.8),
                       (2, "momentum_exhaustion", "momentum", "bearish", 0.7),
                       (3, "volume_climax", "volume", "bearish", 0.7))
    clusters = detections((3, "cluster_bearish", "cluster", "bearish", 0.8))
    closes = list(np.linspace(100, 60, 4))  # relative volatility well above 3 %
    out = hierarchy_signals(found, clusters, bars(4, trend_score=32, market_regime="bear_trend", close=closes), 60)
    at_last = out.filter(pl.col("timestamp") == T0 + timedelta(hours=3))
    assert set(at_last.get_column("slug")) == {"hierarchy_distribution", "hierarchy_trend_exhaustion"}


def test_quiet_bullish_stacks_read_as_accumulation_and_old_signals_leave_the_window() -> None:
    found = detections((0, "bull_flag", "continuation", "bullish", 0.8), (1, "double_bottom", "structural",
                                                                           "bullish", 0.8))
    frame = bars(2, trend_score=50, market_regime="sideways_range")
    out = hierarchy_signals(found, found.head(0), frame, 60)
    assert out.get_column("slug").to_list() == ["hierarchy_accumulation"]
    late = hierarchy_signals(found, found.head(0), frame, 60, window=timedelta(minutes=30))
    assert late.is_empty()


def test_market_cycle_markup_case_from_the_reference() -> None:
    assert cycle_phase(78, "bull_trend", 0.01, pattern_density=2, cluster_frequency=1, sector_strength=0.91) == (
        "MARKUP", 0.84)
    assert cycle_phase(78, "bull_trend", 0.01, pattern_density=2)[0] == "EARLY_MARKUP"
    assert cycle_phase(10, "high_volatility", 0.08) == ("CAPITULATION", 0.82)
    assert cycle_phase(None, None, None) == ("ACCUMULATION", 0.55)


def test_vectorised_market_cycle_equals_the_scalar_rule_on_every_bar() -> None:
    rng = np.random.default_rng(4)
    n = 400
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.03, n)))
    frame = bars(n, close=list(close), trend_score=list(rng.integers(0, 101, n)),
                 market_regime=list(rng.choice(np.array(REGIMES[:-1], dtype=object), n)),
                 capital_flow=list(rng.normal(0, 0.03, n)))
    found = detections(*[(int(h), "volume_spike", "volume", "neutral", 0.7) for h in rng.integers(0, n, 150)])
    clusters = detections(*[(int(h), "cluster_bullish", "cluster", "bullish", 0.8) for h in rng.integers(0, n, 20)])
    out = market_cycle(frame, 60, found, clusters, window=timedelta(hours=6))
    nv = frame.select((pl.col("close").rolling_std(24, min_samples=2, ddof=0) / pl.col("close")).fill_null(0.0))
    hours = found.get_column("timestamp").to_list()
    marks = clusters.get_column("timestamp").to_list()
    for i, row in enumerate(frame.iter_rows(named=True)):
        ts = row["timestamp"]
        density = sum(ts - timedelta(hours=6) <= h <= ts for h in hours)
        count = sum(ts - timedelta(hours=6) <= h <= ts for h in marks)
        expected = cycle_phase(row["trend_score"], row["market_regime"], nv.item(i, 0), density, count, None,
                               row["capital_flow"])
        assert (out.item(i, "cycle_phase"), out.item(i, "cycle_confidence")) == expected
