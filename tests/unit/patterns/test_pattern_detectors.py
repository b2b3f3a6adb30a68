"""Every detector fires on a constructed series (in the right direction) and not on its near miss."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from iris_assets.patterns.catalog import CATALOG
from iris_assets.patterns.engine import detect_all
from tests.unit.patterns.pattern_builders import candles, shape
from tests.unit.patterns.pattern_cases import Case
from tests.unit.patterns.pattern_cases_indicators import CANDLESTICK, MOMENTUM, VOLATILITY, VOLUME
from tests.unit.patterns.pattern_cases_price import CONTINUATION, STRUCTURAL
from tests.unit.patterns.pattern_oracle import Window, load_rules

RULES = load_rules()

CASES: dict[str, Case] = {**STRUCTURAL, **CONTINUATION, **MOMENTUM, **VOLATILITY, **VOLUME, **CANDLESTICK}


def _directions(frame: pl.DataFrame, slug: str, tail: int) -> set[str]:
    found = detect_all(frame, 60, slugs=[slug])
    last = frame.get_column("timestamp").tail(tail)
    return set(found.filter(pl.col("timestamp").is_in(last.implode())).get_column("direction").to_list())


def _window(frame: pl.DataFrame, size: int) -> Window:
    cols = {name: frame.get_column(name).to_list() for name in ("open", "high", "low", "close", "volume")}
    return Window.of(cols, frame.height - 1, size, {})


def test_every_catalog_detector_has_a_constructed_case() -> None:
    assert set(CASES) == {spec.slug for spec in CATALOG}


@pytest.mark.parametrize("slug", sorted(CASES))
def test_detector_fires_in_its_direction_on_its_constructed_series(slug: str) -> None:
    case = CASES[slug]
    assert _directions(case.fire(), slug, case.tail) == {case.direction}


@pytest.mark.parametrize("slug", sorted(CASES))
def test_detector_stays_silent_on_the_near_miss(slug: str) -> None:
    case = CASES[slug]
    assert _directions(case.miss(), slug, case.tail) == set()


@pytest.mark.parametrize("slug", ["rising_wedge", "falling_wedge", "broadening_top", "broadening_bottom"])
def test_fixed_breakouts_fire_with_the_close_strictly_inside_the_bar(slug: str) -> None:
    """DECISIONS 11: the reference needed close == low (wedge) or close < low (broadening)."""
    frame = CASES[slug].fire()
    last = frame.tail(1).row(0, named=True)
    assert last["low"] < last["close"] < last["high"]
    assert _directions(frame, slug, 1) == {CASES[slug].direction}


def _long_flag(bull: bool) -> pl.DataFrame:
    sign = 1.0 if bull else -1.0
    points = [(0, 100.0), (60, 100.0), (72, 100 + 8 * sign), (78, 100 + 6.5 * sign), (84, 100 + 7.2 * sign),
              (90, 100 + 5.8 * sign), (96, 100 + 6.6 * sign), (101, 100 + 5.4 * sign), (102, 100 + 8.8 * sign)]
    return candles(shape(points))


@pytest.mark.parametrize(("bull", "direction"), [(True, "bullish"), (False, "bearish")])
def test_flag_breakout_after_a_long_flag_is_seen_where_the_reference_rule_is_not(bull: bool, direction: str) -> None:
    """Calibration: the reference's fixed 13 + 11-bar geometry cannot see a 30-bar flag's breakout."""
    frame = _long_flag(bull)
    slug = "bull_flag" if bull else "bear_flag"
    _, size, reference = RULES[slug]
    assert reference(_window(frame, size)) is None
    assert _directions(frame, slug, 1) == {direction}


def test_doji_is_neutral_and_an_engulfing_of_strength_80_scores_lower() -> None:
    frame = CANDLESTICK["cdl_engulfing"].fire()
    strong = detect_all(frame, 60, slugs=["cdl_engulfing"]).get_column("confidence").item(-1)
    weaker = frame.with_columns(pl.Series("cdl_engulfing", np.r_[np.zeros(frame.height - 1), -80], dtype=pl.Int32))
    found = detect_all(weaker, 60, slugs=["cdl_engulfing"])
    assert found.get_column("direction").to_list() == ["bearish"]
    assert found.get_column("confidence").item(-1) < strong
