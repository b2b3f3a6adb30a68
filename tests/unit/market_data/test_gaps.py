"""Gap detection: runs of missing bars, owned by the bar that closes them."""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from iris_assets.market_data.gaps import detect_gaps
from tests.builders import T0, candle_frame

NO_PREVIOUS = pl.DataFrame(schema={"coin_id": pl.Int32, "timestamp": pl.Datetime("us", "UTC")})


def _bars(count: int, skip: tuple[int, ...] = ()) -> pl.DataFrame:
    return candle_frame("AAAUSD", count, skip=skip).select(
        pl.lit(1, dtype=pl.Int32).alias("coin_id"), pl.lit(15, dtype=pl.Int16).alias("timeframe"), "timestamp"
    )


def test_internal_runs_of_missing_bars_become_gaps() -> None:
    gaps = detect_gaps(_bars(20, skip=(3, 4, 5, 10)), NO_PREVIOUS)
    assert gaps.select("gap_start", "gap_end", "missing_bars").rows() == [
        (T0 + timedelta(minutes=45), T0 + timedelta(minutes=90), 3),
        (T0 + timedelta(minutes=150), T0 + timedelta(minutes=165), 1),
    ]


def test_a_gap_spanning_midnight_is_found_from_the_previous_days_last_bar() -> None:
    previous = pl.DataFrame({"coin_id": [1], "timestamp": [T0 - timedelta(hours=2)]},
                            schema={"coin_id": pl.Int32, "timestamp": pl.Datetime("us", "UTC")})
    gaps = detect_gaps(_bars(4), previous)
    assert gaps.select("gap_start", "gap_end", "missing_bars").rows() == [
        (T0 - timedelta(minutes=105), T0, 7)
    ]


def test_complete_data_and_a_missing_tail_are_not_gaps() -> None:
    assert detect_gaps(_bars(10), NO_PREVIOUS).is_empty()
    assert detect_gaps(_bars(10).head(5), NO_PREVIOUS).is_empty()
