"""Inputs of the fusion derived from its signals read: bar regimes and success-rate lookups."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl

from iris_assets.signals.fusion_inputs import bar_regimes, first_lookup, success_lookups, with_success_rates

T0 = datetime(2024, 12, 1, tzinfo=UTC)


def _signals() -> pl.DataFrame:
    rows = [
        (1, 15, T0 - timedelta(minutes=15), "golden_cross", "bullish", None, None),
        (1, 15, T0, "pattern_bull_flag", "bullish", "bear_trend", "bull_trend"),
        (1, 15, T0, "pattern_cluster_bullish", "bullish", "bear_trend", "bull_trend"),
        (2, 60, T0 + timedelta(hours=1), "pattern_bull_flag", "bullish", "sideways_range", None),
    ]
    return pl.DataFrame(rows, schema={
        "coin_id": pl.Int32, "timeframe": pl.Int16, "timestamp": pl.Datetime("us", "UTC"), "signal_type": pl.String,
        "direction": pl.String, "market_regime": pl.String, "bar_regime": pl.String}, orient="row").with_columns(
        pl.lit(0.7).alias("confidence"), pl.lit(1.0).alias("priority_score"), pl.lit(1.0).alias("context_score"),
        pl.lit(1.0).alias("regime_alignment"))


def test_bar_regimes_have_one_row_per_signal_candle() -> None:
    regimes = bar_regimes(_signals()).sort("coin_id", "timestamp")
    assert regimes.rows() == [(1, 15, T0 - timedelta(minutes=15), None), (1, 15, T0, "bull_trend"),
                              (2, 60, T0 + timedelta(hours=1), None)]


def test_lookups_use_the_bar_regime_else_the_signals_and_start_at_the_first_base_pattern() -> None:
    lookups = success_lookups(_signals())
    assert lookups.select("slug", "regime").rows() == [
        (None, None), ("bull_flag", "bull_trend"), (None, "bull_trend"), ("bull_flag", "sideways_range")]
    assert first_lookup(lookups) == T0
    assert first_lookup(lookups.filter(pl.col("slug").is_null())) is None


def test_success_rates_come_from_outcomes_known_by_the_signal() -> None:
    outcomes = pl.DataFrame(
        [("bull_flag", 15, "bull_trend", T0 - timedelta(days=1), True),
         ("bull_flag", 15, "bull_trend", T0 + timedelta(days=1), False)],
        schema={"slug": pl.String, "timeframe": pl.Int16, "regime": pl.String,
                "known_at": pl.Datetime("us", "UTC"), "win": pl.Boolean}, orient="row")
    rated = with_success_rates(success_lookups(_signals()), outcomes)
    assert "slug" not in rated.columns and "regime" not in rated.columns
    assert rated.get_column("success_rate").to_list() == [None, 1.0, None, None]
