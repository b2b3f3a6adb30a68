"""Resampling base candles to 1h/4h/1d: OHLCV rules, alignment, partial buckets."""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from iris_assets.market_data.resample import resample
from tests.builders import T0, candle_frame


def _base(count: int, skip: tuple[int, ...] = ()) -> pl.DataFrame:
    return candle_frame("AAAUSD", count, skip=skip).with_columns(
        pl.lit(1, dtype=pl.Int32).alias("coin_id"), pl.lit(15, dtype=pl.Int16).alias("timeframe")
    ).drop("symbol")


def test_an_hour_takes_first_open_max_high_min_low_last_close_and_summed_volume() -> None:
    result = resample(_base(4), targets=[60])
    row = result.row(0, named=True)
    assert row["timestamp"] == T0
    assert (row["open"], row["high"], row["low"], row["close"]) == (100.0, 105.0, 99.0, 104.0)
    assert row["volume"] == 10 + 11 + 12 + 13
    assert row["base_count"] == 4 and row["is_partial"] is False


def test_buckets_missing_base_candles_are_flagged_partial() -> None:
    result = resample(_base(96, skip=(5,)), targets=[60, 240, 1440])
    partial = result.filter(pl.col("is_partial")).select("timeframe", "timestamp").rows()
    assert partial == [(60, T0 + timedelta(hours=1)), (240, T0), (1440, T0)]


def test_buckets_are_epoch_aligned_even_when_data_starts_mid_bucket() -> None:
    late = _base(8).filter(pl.col("timestamp") >= T0 + timedelta(minutes=45))
    result = resample(late, targets=[60])
    assert result.get_column("timestamp").to_list() == [T0, T0 + timedelta(hours=1)]
    assert result.get_column("is_partial").to_list() == [True, False]


def test_volume_is_null_only_when_every_base_volume_is_null() -> None:
    base = _base(4).with_columns(pl.Series("volume", [None, 1.0, None, 2.0], dtype=pl.Float64))
    assert resample(base, targets=[60]).get_column("volume").to_list() == [3.0]
    none = base.with_columns(pl.lit(None, dtype=pl.Float64).alias("volume"))
    assert resample(none, targets=[60]).get_column("volume").to_list() == [None]


def test_a_day_of_complete_data_yields_24_hours_6_four_hours_and_1_day_all_closed() -> None:
    result = resample(_base(96))
    counts = dict(result.group_by("timeframe").len().rows())
    assert counts == {60: 24, 240: 6, 1440: 1}
    assert not result.get_column("is_partial").any()


def test_empty_input_gives_an_empty_frame_with_the_aggregate_schema() -> None:
    result = resample(_base(0))
    assert result.is_empty()
    assert result.columns == ["coin_id", "timeframe", "timestamp", "open", "high", "low", "close", "volume",
                              "base_count", "is_partial"]
