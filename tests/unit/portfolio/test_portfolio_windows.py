"""The replay in time windows (what the asset runs, reading one window at a time) equals the run in
one window exactly, whatever the window size, with gaps, late decisions and missing candles."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from iris_assets.portfolio.equity import close_time_us
from iris_assets.portfolio.settings import PortfolioSettings
from iris_assets.portfolio.simulation import Replay, Simulation, simulate
from tests.unit.portfolio.portfolio_builders import sectors
from tests.unit.portfolio.test_portfolio_replay import SECTORS, SETTINGS, T0, _market

HOUR_US = 3_600_000_000


def _windowed(decisions: pl.DataFrame, candles: pl.DataFrame, step_us: int, offset_us: int = 0,
              settings: PortfolioSettings = SETTINGS) -> Simulation:
    frames = [f for f in (decisions, candles) if f.height]
    lo = min(f.select(close_time_us().min()).item() for f in frames) - offset_us
    end = max(f.select(close_time_us().max()).item() for f in frames)
    replay = Replay(sectors(SECTORS), settings)
    while lo <= end:
        hi = lo + step_us
        replay.window(lo, hi, decisions.filter(close_time_us().is_between(lo, hi - 1)),
                      candles.filter(close_time_us().is_between(lo, hi - 1)))
        lo = hi
    return replay.finish()


def _assert_same(one: Simulation, other: Simulation) -> None:
    for name in ("actions", "positions", "equity"):
        assert_frame_equal(getattr(one, name), getattr(other, name), check_exact=True)
    assert one.state == other.state


@pytest.fixture(scope="module")
def market() -> tuple[pl.DataFrame, pl.DataFrame]:
    return _market(seed=11, hours=24 * 20)


@pytest.mark.parametrize(("step_hours", "offset_hours"), [(1, 0), (9, 5), (24, 0), (24 * 7, 13), (24 * 60, 0)])
def test_any_window_size_gives_the_same_run(market: tuple[pl.DataFrame, pl.DataFrame], step_hours: int,
                                             offset_hours: int) -> None:
    decisions, candles = market
    whole = simulate(decisions, candles, sectors(SECTORS), SETTINGS)
    windowed = _windowed(decisions, candles, step_hours * HOUR_US, offset_hours * HOUR_US)
    _assert_same(whole, windowed)
    assert windowed.replayed is not None
    assert_frame_equal(windowed.replayed, windowed.equity, check_exact=True)


@pytest.mark.parametrize("variant", ["late_decisions", "early_decisions", "gap", "no_candles"])
def test_windows_agree_around_missing_candles(market: tuple[pl.DataFrame, pl.DataFrame], variant: str) -> None:
    decisions, candles = market
    kept = {
        "late_decisions": pl.col("timestamp") < T0 + timedelta(days=11, hours=5),
        "early_decisions": pl.col("timestamp") > T0 + timedelta(days=3, hours=7),
        "gap": (pl.col("timestamp") < T0 + timedelta(days=5)) | (pl.col("timestamp") > T0 + timedelta(days=13)),
        "no_candles": pl.lit(False),
    }[variant]
    candles = candles.filter(kept)
    whole = simulate(decisions, candles, sectors(SECTORS), SETTINGS)
    for step_hours in (7, 48):
        _assert_same(whole, _windowed(decisions, candles, step_hours * HOUR_US))
