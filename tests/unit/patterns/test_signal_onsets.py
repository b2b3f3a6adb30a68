"""The onset filter keeps a pattern signal on the first bar of each run, per type and direction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl

from iris_assets.patterns.onsets import signal_onsets

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def _bars(n: int) -> pl.Series:
    return pl.Series("timestamp", [T0 + timedelta(minutes=15 * i) for i in range(n)])


def _signals(rows: list[tuple[int, str, str]]) -> pl.DataFrame:
    return pl.DataFrame({"timestamp": [T0 + timedelta(minutes=15 * i) for i, _, _ in rows],
                         "signal_type": [t for _, t, _ in rows], "direction": [d for _, _, d in rows],
                         "confidence": [0.7] * len(rows)})


def _kept(frame: pl.DataFrame) -> list[tuple[int, str, str]]:
    return sorted((int((ts - T0) / timedelta(minutes=15)), t, d)
                  for ts, t, d in frame.select("timestamp", "signal_type", "direction").iter_rows())


def test_a_run_of_consecutive_bars_is_one_signal_and_a_gap_starts_a_new_one() -> None:
    rows = [(i, "pattern_double_bottom", "bullish") for i in (3, 4, 5, 6, 9, 10)]
    assert _kept(signal_onsets(_signals(rows), _bars(12))) == [
        (3, "pattern_double_bottom", "bullish"), (9, "pattern_double_bottom", "bullish")]


def test_a_change_of_direction_is_a_new_onset_and_types_are_independent() -> None:
    rows = [(1, "pattern_macd_divergence", "bullish"), (2, "pattern_macd_divergence", "bearish"),
            (3, "pattern_macd_divergence", "bearish"), (2, "pattern_band_walk_bullish", "bullish"),
            (3, "pattern_band_walk_bullish", "bullish")]
    assert _kept(signal_onsets(_signals(rows), _bars(5))) == [
        (1, "pattern_macd_divergence", "bullish"), (2, "pattern_band_walk_bullish", "bullish"),
        (2, "pattern_macd_divergence", "bearish")]


def test_previous_means_the_previous_stored_bar_not_the_previous_calendar_slot() -> None:
    # Bars 0..3 then a missing slot (an exchange outage): the bar after the gap follows bar 3.
    bars = pl.Series("timestamp", [T0 + timedelta(minutes=15 * i) for i in (0, 1, 2, 3, 5, 6)])
    rows = [(3, "pattern_volume_dry_up", "neutral"), (5, "pattern_volume_dry_up", "neutral")]
    assert _kept(signal_onsets(_signals(rows), bars)) == [(3, "pattern_volume_dry_up", "neutral")]


def test_other_columns_survive_and_empty_input_passes_through() -> None:
    kept = signal_onsets(_signals([(0, "pattern_cdl_doji", "neutral")]), _bars(2))
    assert kept.columns == ["timestamp", "signal_type", "direction", "confidence"]
    empty = _signals([])
    assert signal_onsets(empty, _bars(2)).is_empty()
