"""The formation detectors recover the synthetic market's planted formations on 1h candles.

One year, 20 coins: 15m candles resampled to closed 1h buckets, indicators and bar features added,
then each coin's detections compared with every planted formation: a hit is a detection of the
matching slug and direction within ±3 hourly bars of the planted completion (breakout) bar. The
detectors also have to stay selective: on bars outside any formation they fire rarely.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import numpy as np
import polars as pl
import pytest

from iris_assets.indicators.engine import compute_indicators
from iris_assets.indicators.features import add_bar_features
from iris_assets.market_data.resample import resample
from iris_assets.patterns.engine import detect_all
from iris_resources.sources.synthetic import DEFAULT_ORIGIN, SyntheticMarket

SLUGS = {
    "double_top": "double_top",
    "double_bottom": "double_bottom",
    "head_and_shoulders": "head_shoulders",
    "inverse_head_and_shoulders": "inverse_head_shoulders",
    "ascending_triangle": "ascending_triangle",
    "descending_triangle": "descending_triangle",
    "bull_flag": "bull_flag",
    "bear_flag": "bear_flag",
}
TOLERANCE = 3  # hourly bars either side of the planted completion bar
# Share of formation-free bars on which a detector may fire. The reference's own double top/bottom
# rule (two pivot closes within 2.5 % and a close under the low between them) already fires on
# about 30 % of hourly bars of a random walk; the others stay near 1-2 %.
FREE_BAR_LIMIT = {"double_top": 0.35, "double_bottom": 0.35}


@pytest.fixture(scope="module")
def recovery() -> tuple[dict[str, tuple[int, int]], dict[str, float]]:
    market = SyntheticMarket(seed=7, n_coins=20)
    symbols = [coin.symbol for coin in market.universe()]
    end = DEFAULT_ORIGIN + timedelta(days=365)
    formations = market.ground_truth(end).formations
    planted = sorted({f.symbol for f in formations})
    base = market.fetch(planted, DEFAULT_ORIGIN, end).candles.with_columns(
        pl.col("symbol").replace_strict({s: i for i, s in enumerate(symbols)}, return_dtype=pl.Int32)
        .alias("coin_id"),
        pl.lit(15, dtype=pl.Int16).alias("timeframe"),
    )
    hourly = resample(base, [60]).filter(~pl.col("is_partial"))
    bars = add_bar_features(compute_indicators(hourly, by="coin_id"), 60)
    hits: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    fired: Counter[str] = Counter()
    free_bars = 0
    for symbol in planted:
        frame = bars.filter(pl.col("coin_id") == symbols.index(symbol))
        stamps = frame.get_column("timestamp")
        found = detect_all(frame, 60, slugs=SLUGS.values())
        position = stamps.search_sorted(found.get_column("timestamp")).to_numpy()
        slug, direction = found.get_column("slug").to_numpy(), found.get_column("direction").to_numpy()
        busy = np.zeros(frame.height, dtype=bool)
        for item in market.ground_truth(end).formations_for(symbol):
            last = int(stamps.search_sorted(item.end))
            busy[last - item.bars + 1 : last + TOLERANCE + 1] = True
            match = (slug == SLUGS[item.pattern]) & (direction == item.direction)
            hits[item.pattern] += bool((match & (np.abs(position - last) <= TOLERANCE)).any())
            totals[item.pattern] += 1
        free_bars += int((~busy).sum())
        for name in SLUGS.values():
            fired[name] += np.unique(position[(slug == name) & ~busy[position]]).shape[0]
    return {p: (hits[p], totals[p]) for p in totals}, {s: fired[s] / free_bars for s in SLUGS.values()}


@pytest.mark.parametrize("pattern", sorted(SLUGS))
def test_at_least_95_percent_of_planted_formations_are_found_with_their_direction(
    recovery: tuple[dict[str, tuple[int, int]], dict[str, float]], pattern: str
) -> None:
    found, total = recovery[0][pattern]
    assert total >= 80
    assert found / total >= 0.95, f"{pattern}: {found}/{total}"


@pytest.mark.parametrize("slug", sorted(SLUGS.values()))
def test_formation_detectors_stay_rare_on_bars_without_a_formation(
    recovery: tuple[dict[str, tuple[int, int]], dict[str, float]], slug: str
) -> None:
    assert recovery[1][slug] <= FREE_BAR_LIMIT.get(slug, 0.03)
