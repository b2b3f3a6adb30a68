"""Catalog contents, whole-history vs incremental equality, no look-ahead, awkward inputs."""

from __future__ import annotations

from collections import Counter

import numpy as np
import polars as pl
import pytest

from iris_assets.patterns.catalog import (
    BY_SLUG,
    CATALOG,
    TWO_SIDED,
    is_detecting,
    lifecycle_from_temperature,
    spec_for,
)
from iris_assets.patterns.engine import DETECTORS, INCREMENTAL_BARS, detect_all, detect_latest, detection_schema
from tests.unit.patterns.pattern_builders import candles, random_walk, regime_walk

RAW = ("coin_id", "timestamp", "open", "high", "low", "close", "volume")


def test_catalog_holds_the_reference_87_detectors_plus_8_candlesticks() -> None:
    counts = Counter(spec.category for spec in CATALOG)
    assert counts == {"structural": 23, "continuation": 20, "momentum": 14, "volatility": 13, "volume": 17,
                      "candlestick": 8}
    assert len(BY_SLUG) == len(CATALOG) == 95
    assert set(DETECTORS) == set(BY_SLUG)


def test_incremental_tail_covers_every_detector_window() -> None:
    assert max(spec.lookback for spec in CATALOG) <= 90 < INCREMENTAL_BARS


def test_catalog_costs_follow_the_reference_rule() -> None:
    assert [spec_for(s).cpu_cost for s in ("head_shoulders", "cup_and_handle", "high_tight_flag")] == [4, 4, 3]
    assert [spec_for(s).cpu_cost for s in ("double_top", "bull_flag", "macd_cross", "atr_spike", "volume_spike")] == [
        3, 2, 2, 1, 2]
    assert spec_for("pattern_cdl_doji").cpu_cost == 1


def test_one_sided_reference_tags_of_two_sided_rules_are_two_sided() -> None:
    listed = {"breakout_retest", "consolidation_breakout", "pennant", "rsi_divergence", "macd_cross",
              "macd_divergence", "momentum_exhaustion", "bollinger_squeeze", "volatility_expansion_breakout"}
    assert all(BY_SLUG[slug].bias == TWO_SIDED for slug in listed)
    assert {spec.bias for spec in CATALOG} == {"bullish", "bearish", "neutral", "two_sided"}


def test_lifecycle_follows_temperature_and_only_active_or_experimental_detect() -> None:
    states = [lifecycle_from_temperature(t) for t in (0.8, 0.0, -0.4, -1.2)]
    assert states == ["ACTIVE", "EXPERIMENTAL", "COOLDOWN", "DISABLED"]
    assert lifecycle_from_temperature(0.8, enabled=False) == "DISABLED"
    spec = BY_SLUG["bull_flag"]
    assert [is_detecting(spec, s) for s in ("ACTIVE", "experimental", "COOLDOWN", "DISABLED")] == [
        True, True, False, False]


@pytest.fixture(scope="module")
def history() -> pl.DataFrame:
    return regime_walk(11, 520)


@pytest.fixture(scope="module")
def everything(history: pl.DataFrame) -> pl.DataFrame:
    return detect_all(history, 60)


def test_detection_frame_has_the_documented_schema(everything: pl.DataFrame, history: pl.DataFrame) -> None:
    assert everything.schema == pl.Schema(detection_schema(history.schema["timestamp"]))
    assert everything.height > 0
    assert everything.get_column("direction").is_in(["bullish", "bearish", "neutral"]).all()


def test_incremental_path_equals_the_newest_bar_of_the_whole_history(
    history: pl.DataFrame, everything: pl.DataFrame
) -> None:
    stamps = history.get_column("timestamp")
    for end in [*range(29, 120, 7), *range(200, history.height, 23), history.height - 1]:
        newest = detect_latest(history.head(end + 1), 60)
        expected = everything.filter(pl.col("timestamp") == stamps[end])
        assert newest.equals(expected), f"bar {end}"


def test_incremental_path_reads_only_its_tail(history: pl.DataFrame) -> None:
    assert detect_latest(history, 60).equals(detect_latest(history.tail(INCREMENTAL_BARS), 60))


def _rebuild(raw: pl.DataFrame) -> pl.DataFrame:
    return candles(
        raw.get_column("close").to_numpy(), open_=raw.get_column("open").to_numpy(),
        high=raw.get_column("high").to_numpy(), low=raw.get_column("low").to_numpy(),
        volume=raw.get_column("volume").to_numpy(),
    )


@pytest.mark.parametrize("cut", [150, 333])
def test_changing_bars_after_t_never_changes_detections_at_or_before_t(
    history: pl.DataFrame, everything: pl.DataFrame, cut: int
) -> None:
    raw = history.select(RAW)
    rng = np.random.default_rng(cut)
    factor = np.ones(raw.height)
    factor[cut + 1 :] = np.exp(rng.normal(0.0, 0.05, raw.height - cut - 1))
    perturbed = raw.with_columns(
        *(pl.col(name) * factor for name in ("open", "high", "low", "close")),
        pl.col("volume") * np.where(np.arange(raw.height) > cut, 3.0, 1.0),
    )
    again = detect_all(_rebuild(perturbed), 60)
    limit = history.get_column("timestamp")[cut]
    before = everything.filter(pl.col("timestamp") <= limit)
    assert again.filter(pl.col("timestamp") <= limit).equals(before)
    assert not again.filter(pl.col("timestamp") > limit).equals(everything.filter(pl.col("timestamp") > limit))


def test_constant_prices_and_zero_volume_run_without_errors() -> None:
    frame = candles(np.full(300, 50.0), volume=np.zeros(300), wick=0.0)
    found = detect_all(frame, 60)
    assert found.get_column("confidence").is_finite().all()
    # A flat bar is a TA-Lib doji; no formation, band walk or volume pattern appears on a flat line.
    assert set(found.get_column("slug").unique()) <= {"cdl_doji"}
    assert detect_latest(frame, 60).height == found.filter(pl.col("timestamp") == frame["timestamp"][-1]).height


@pytest.mark.parametrize("bars", [0, 1, 2, 29])
def test_short_series_give_an_empty_frame(bars: int) -> None:
    frame = random_walk(3, 40, 0.02).head(bars)
    assert detect_all(frame, 60).is_empty()
    assert detect_latest(frame, 60).is_empty()


def test_raw_candles_without_indicator_columns_still_run_price_detectors() -> None:
    raw = regime_walk(5, 300).select(RAW)
    found = detect_all(raw, 60)
    assert found.height > 0
    assert not found.get_column("slug").is_in(["macd_cross", "rsi_reclaim", "bollinger_squeeze"]).any()
    assert detect_all(raw.drop("volume"), 60).filter(pl.col("category") == "volume").is_empty()


def test_invalid_inputs_are_rejected() -> None:
    frame = random_walk(4, 60, 0.02)
    with pytest.raises(ValueError, match="timeframe"):
        detect_all(frame, 30)
    with pytest.raises(ValueError, match="strictly increasing"):
        detect_all(frame.reverse(), 60)
    with pytest.raises(ValueError, match="one coin"):
        detect_all(pl.concat([frame, frame.with_columns(pl.lit(2, dtype=pl.Int32).alias("coin_id"))]), 60)
    with pytest.raises(ValueError, match="unknown pattern slugs"):
        detect_all(frame, 60, slugs=["no_such_pattern"])


def test_named_slugs_restrict_the_run_and_disabled_lifecycles_are_skipped_by_default(
    history: pl.DataFrame, everything: pl.DataFrame
) -> None:
    only = detect_all(history, 60, slugs=["double_top", "volume_spike"])
    assert set(only.get_column("slug").unique()) <= {"double_top", "volume_spike"}
    assert only.equals(everything.filter(pl.col("slug").is_in(["double_top", "volume_spike"])))
