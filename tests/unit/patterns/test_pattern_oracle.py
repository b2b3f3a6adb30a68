"""The vectorised detectors equal the reference rules evaluated window by window at every bar."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

import tests.unit.patterns.pattern_oracle_continuation
import tests.unit.patterns.pattern_oracle_indicators
import tests.unit.patterns.pattern_oracle_structural
import tests.unit.patterns.pattern_oracle_volume  # noqa: F401
from iris_assets.patterns.catalog import BY_SLUG, CONFIDENCE_CLAMPS
from iris_assets.patterns.engine import PIPELINE_MIN_CANDLES, detect_all
from tests.unit.patterns.pattern_builders import random_walk, regime_walk
from tests.unit.patterns.pattern_oracle import Window, load_rules

RULES = load_rules()

# Formation detectors extended by a scale-aware variant: the reference rule is a subset of them.
CALIBRATED = {"head_shoulders", "inverse_head_shoulders", "double_top", "double_bottom", "ascending_triangle",
              "descending_triangle", "bull_flag", "bear_flag"}
INDICATORS = ("rsi_14", "macd", "macd_signal", "macd_histogram", "bb_width", "bb_upper", "bb_lower", "bb_middle",
              "atr_14")
SERIES = {
    "calm": lambda: random_walk(1, 320, 0.01),
    "volatile": lambda: random_walk(2, 320, 0.03),
    "wild": lambda: random_walk(3, 320, 0.06),
    "trending": lambda: random_walk(4, 320, 0.02, drift=0.004),
    "falling": lambda: random_walk(5, 320, 0.02, drift=-0.004),
    "regimes_a": lambda: regime_walk(6, 400),
    "regimes_b": lambda: regime_walk(7, 400),
    "regimes_c": lambda: regime_walk(8, 400),
}


def oracle(frame: pl.DataFrame) -> dict[str, dict[int, tuple[int, float]]]:
    """slug -> {bar: (direction, clamped confidence)} from the scalar rules."""
    cols = {name: frame.get_column(name).to_list() for name in ("open", "high", "low", "close", "volume")}
    ind = {name: frame.get_column(name).cast(pl.Float64).fill_null(np.nan).to_numpy() for name in INDICATORS}
    found: dict[str, dict[int, tuple[int, float]]] = {}
    for slug, (min_bars, size, fn) in RULES.items():
        low, high = CONFIDENCE_CLAMPS[BY_SLUG[slug].category]
        hits = {}
        for t in range(max(min_bars, PIPELINE_MIN_CANDLES) - 1, frame.height):
            result = fn(Window.of(cols, t, size, ind))
            if result is not None:
                hits[t] = (result[0], min(max(result[1], low), high))
        found[slug] = hits
    return found


@pytest.fixture(scope="module", params=list(SERIES))
def compared(request: pytest.FixtureRequest) -> tuple[dict[str, dict[int, tuple[int, float]]], pl.DataFrame]:
    frame = SERIES[request.param]()
    engine = detect_all(frame, 60).join(
        frame.select("timestamp").with_row_index("bar"), on="timestamp"
    )
    return oracle(frame), engine


def test_every_reference_detector_has_a_scalar_rule() -> None:
    reference = {spec.slug for spec in BY_SLUG.values() if spec.category != "candlestick"}
    assert set(RULES) == reference


def test_detections_equal_the_reference_rules_at_every_bar(
    compared: tuple[dict[str, dict[int, tuple[int, float]]], pl.DataFrame],
) -> None:
    expected, engine = compared
    sign = {"bullish": 1, "bearish": -1, "neutral": 0}
    mismatches = []
    for slug, hits in expected.items():
        rows = engine.filter(pl.col("slug") == slug)
        got = {bar: (sign[d], c) for bar, d, c in rows.select("bar", "direction", "confidence").iter_rows()}
        if slug in CALIBRATED:
            got = {bar: value for bar, value in got.items() if bar in hits}
        for bar in sorted(set(got) | set(hits)):
            a, b = hits.get(bar), got.get(bar)
            if a is None or b is None or a[0] != b[0] or abs(a[1] - b[1]) > 1e-9:
                mismatches.append((slug, bar, a, b))
    assert mismatches == []
