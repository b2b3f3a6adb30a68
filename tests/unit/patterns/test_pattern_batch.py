"""A worker batch runs gates, meta-signals, onsets and cycles once for all its coins: every coin's rows
must equal what the coin gets alone, so no window, join or onset run reaches into another coin."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
import pytest

from iris_assets.patterns.batch import PatternBatch, detect_batch
from iris_assets.patterns.series_keys import MAX_COINS, CoinClock
from tests.unit.patterns.pattern_builders import START, regime_walk
from tests.unit.patterns.test_pattern_inputs import NO_STATISTICS

SINCE = START + timedelta(days=20)


def _coin(seed: int, coin_id: int, bars: int) -> pl.DataFrame:
    return regime_walk(seed, bars).with_columns(pl.lit(coin_id, dtype=pl.Int32).alias("coin_id"))


def _alone(bars: pl.DataFrame, coin_id: int, timeframe: int, since: datetime) -> tuple[pl.DataFrame, pl.DataFrame]:
    found = detect_batch(PatternBatch((coin_id,), timeframe, since, bars, NO_STATISTICS))
    return found.signals, found.cycles


# From the first bar too: a window leaking across coins would show on a coin's first bars. At 15m the
# volatility window (96 bars) outlasts the detectors' warm-up, so a leak there changes hierarchies.
@pytest.mark.parametrize(("timeframe", "since"), [(60, SINCE), (60, START), (15, START)])
def test_every_coin_of_a_batch_gets_the_rows_it_gets_alone(timeframe: int, since: datetime) -> None:
    # Same calendar for every coin (windows would cross coins if keyed by time alone), different
    # lengths, and the batch's rows shuffled: the step must not rely on the order it reads.
    coins = {7: _coin(3, 7, 2_500), 2: _coin(11, 2, 2_200), 40: _coin(5, 40, 2_500)}
    batch = pl.concat(coins.values()).sample(fraction=1.0, shuffle=True, seed=1)
    together = detect_batch(PatternBatch(tuple(coins), timeframe, since, batch, NO_STATISTICS))
    assert together.signals.get_column("coin_id").unique().sort().to_list() == [2, 7, 40]
    for coin_id, bars in coins.items():
        signals, cycles = _alone(bars, coin_id, timeframe, since)
        assert signals.height > 100 and cycles.height > 100
        assert together.signals.filter(pl.col("coin_id") == coin_id).equals(signals)
        assert together.cycles.filter(pl.col("coin_id") == coin_id).equals(cycles)
    # Rows come out by coin (then type and time), so stored ids do not depend on the read order.
    assert together.signals.get_column("coin_id").is_sorted()
    assert together.cycles.select("coin_id", "timestamp").equals(
        together.cycles.select("coin_id", "timestamp").sort("coin_id", "timestamp"))


def test_an_empty_batch_produces_nothing() -> None:
    empty = _coin(3, 1, 10).clear()
    found = detect_batch(PatternBatch((1,), 60, SINCE, empty, NO_STATISTICS))
    assert found.signals.is_empty() and found.cycles.is_empty()


def test_coin_clock_keeps_each_coin_in_its_own_stretch() -> None:
    frame = pl.DataFrame({"coin_id": [5, 5, 9], "timestamp": [START, START + timedelta(hours=1), START]})
    times = CoinClock(frame)(frame)
    assert times[1] - times[0] == 3_600_000_000
    assert times[2] - times[0] >= 1 << 53  # same instant, other coin: far beyond any window


def test_coin_clock_refuses_more_coins_than_fit() -> None:
    frame = pl.DataFrame({"coin_id": list(range(MAX_COINS + 1)), "timestamp": [START] * (MAX_COINS + 1)})
    with pytest.raises(ValueError, match="at most 1023 coins"):
        CoinClock(frame)
