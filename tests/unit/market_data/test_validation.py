"""Candle validation: every bad row is quarantined with its reason, the rest loads."""

from __future__ import annotations

import math
from datetime import timedelta

import polars as pl
import pytest

from iris_resources.market_data.validation import validate_candles
from tests.builders import T0, candle_frame, coins_frame

COINS = coins_frame(["AAAUSD", "BBBUSD"], [1, 2])


def _with(frame: pl.DataFrame, row: int, **values: object) -> pl.DataFrame:
    return frame.with_row_index("_i").with_columns(
        *(pl.when(pl.col("_i") == row).then(pl.lit(v)).otherwise(pl.col(k)).alias(k) for k, v in values.items())
    ).drop("_i")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"open": 0.0}, "non_positive_price"),
        ({"low": -1.0}, "non_positive_price"),
        ({"close": math.nan}, "non_finite_price"),
        ({"high": math.inf}, "non_finite_price"),
        ({"volume": -5.0}, "negative_volume"),
        ({"volume": math.nan}, "non_finite_volume"),
        ({"high": 90.0, "low": 95.0, "open": 92.0, "close": 92.0}, "high_below_low"),
        ({"open": 1000.0}, "open_outside_range"),
        ({"close": 1.0}, "close_outside_range"),
        ({"symbol": "ZZZUSD"}, "unknown_symbol"),
    ],
)
def test_a_bad_row_is_rejected_with_its_reason_and_the_rest_loads(change: dict[str, object], reason: str) -> None:
    raw = _with(candle_frame("AAAUSD", 5), 2, **change)
    result = validate_candles(raw, COINS)
    assert result.rejects.get_column("reason").to_list() == [reason]
    assert result.accepted.height == 4


def test_misaligned_timestamps_are_rejected() -> None:
    raw = candle_frame("AAAUSD", 3)
    raw = raw.with_columns(
        pl.when(pl.arange(0, 3) == 1).then(pl.col("timestamp") + timedelta(minutes=7))
        .otherwise(pl.col("timestamp")).alias("timestamp")
    )
    result = validate_candles(raw, COINS)
    assert result.rejects.get_column("reason").to_list() == ["misaligned_timestamp"]


def test_duplicate_timestamps_keep_the_last_row_and_are_counted() -> None:
    first = candle_frame("AAAUSD", 3)
    again = candle_frame("AAAUSD", 1, price=200.0)  # same first timestamp, other prices
    result = validate_candles(pl.concat([first, again]), COINS)
    assert result.duplicates == 1
    assert result.accepted.height == 3
    kept = result.accepted.filter(pl.col("timestamp") == T0)
    assert kept.get_column("open").to_list() == [200.0]


def test_null_volume_is_valid_and_kept_null() -> None:
    raw = candle_frame("AAAUSD", 2).with_columns(pl.lit(None, dtype=pl.Float64).alias("volume"))
    result = validate_candles(raw, COINS)
    assert result.rejects.is_empty()
    assert result.accepted.get_column("volume").null_count() == 2


def test_accepted_rows_carry_coin_id_and_base_timeframe_sorted() -> None:
    raw = pl.concat([candle_frame("BBBUSD", 2), candle_frame("AAAUSD", 2)])
    result = validate_candles(raw, COINS)
    assert result.accepted.select("coin_id", "timeframe").rows() == [(1, 15), (1, 15), (2, 15), (2, 15)]
