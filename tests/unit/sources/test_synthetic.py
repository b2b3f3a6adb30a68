"""The synthetic market's candles: deterministic, aligned, valid OHLCV with realistic levels and volume."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from iris_resources.sources.base import CANDLE_SCHEMA, CandleSource
from iris_resources.sources.synthetic import SyntheticMarket

ORIGIN = datetime(2024, 1, 1, tzinfo=UTC)
DAYS = 120
END = ORIGIN + timedelta(days=DAYS)


@pytest.fixture(scope="module")
def market() -> SyntheticMarket:
    return SyntheticMarket(seed=7, n_coins=20)


@pytest.fixture(scope="module")
def candles(market: SyntheticMarket) -> pl.DataFrame:
    return market.fetch([coin.symbol for coin in market.universe()], ORIGIN, END).candles


def test_the_market_satisfies_the_candle_source_protocol(market: SyntheticMarket) -> None:
    assert isinstance(market, CandleSource)
    assert market.name == "synthetic"


def test_a_window_returns_exactly_the_rows_of_a_bigger_window_sliced() -> None:
    symbols = ["BTCUSD", "ETHUSD", "DOGEUSD", "SYN001USD"]
    start, end = ORIGIN + timedelta(days=40, minutes=7), ORIGIN + timedelta(days=43, hours=5)
    small = SyntheticMarket(n_coins=25).fetch(symbols, start, end).candles
    big = SyntheticMarket(n_coins=25).fetch(symbols, ORIGIN - timedelta(days=2), ORIGIN + timedelta(days=90))
    sliced = big.candles.filter(pl.col("timestamp").is_between(start, end, closed="left"))
    assert small.height == 4 * (3 * 96 + 5 * 4 - 1)  # 00:15 on day 40 up to 04:45 on day 43
    assert_frame_equal(small, sliced)


def test_extending_the_cached_horizon_does_not_change_earlier_candles() -> None:
    market = SyntheticMarket(seed=11, n_coins=8)
    window = (ORIGIN + timedelta(days=2), ORIGIN + timedelta(days=3))
    before = market.fetch(["ETHUSD", "LINKUSD"], *window).candles
    market.fetch(["ETHUSD", "LINKUSD"], ORIGIN + timedelta(days=400), ORIGIN + timedelta(days=401))
    assert_frame_equal(market.fetch(["ETHUSD", "LINKUSD"], *window).candles, before)


def test_markets_with_equal_parameters_agree_and_other_seeds_differ() -> None:
    window = (ORIGIN + timedelta(days=10), ORIGIN + timedelta(days=12))
    first = SyntheticMarket(seed=5, n_coins=6).fetch(["BTCUSD", "UNIUSD"], *window).candles
    second = SyntheticMarket(seed=5, n_coins=6).fetch(["BTCUSD", "UNIUSD"], *window).candles
    other = SyntheticMarket(seed=6, n_coins=6).fetch(["BTCUSD", "UNIUSD"], *window).candles
    assert_frame_equal(first, second)
    assert not np.allclose(first["close"].to_numpy(), other["close"].to_numpy())


def test_candles_are_valid_continuous_ohlcv_over_a_long_window(candles: pl.DataFrame) -> None:
    assert candles.schema == pl.Schema(CANDLE_SCHEMA)
    assert candles.height == 20 * DAYS * 96
    invalid = candles.filter(
        (pl.col("low") > pl.min_horizontal("open", "close"))
        | (pl.col("high") < pl.max_horizontal("open", "close"))
        | (pl.col("low") <= 0)
        | (pl.col("volume") <= 0)
        | pl.any_horizontal(pl.col("open", "high", "low", "close", "volume").is_nan())
    )
    assert invalid.height == 0
    jumps = candles.with_columns(pl.col("close").shift(1).over("symbol").alias("previous")).filter(
        pl.col("previous").is_not_null() & (pl.col("open") != pl.col("previous"))
    )
    assert jumps.height == 0


def test_timestamps_are_aligned_contiguous_and_never_before_the_origin() -> None:
    market = SyntheticMarket(base_timeframe=5, n_coins=3)
    start, end = ORIGIN - timedelta(hours=1), ORIGIN + timedelta(hours=6, minutes=2)
    frame = market.fetch(["BTCUSD"], start, end).candles
    stamps = frame["timestamp"]
    assert stamps.min() == ORIGIN
    assert stamps.max() == ORIGIN + timedelta(hours=6)
    assert stamps.dt.minute().to_numpy().tolist() == [(5 * i) % 60 for i in range(frame.height)]
    assert (stamps.diff().drop_nulls() == timedelta(minutes=5)).all()
    assert market.fetch(["BTCUSD"], start, ORIGIN).candles.height == 0


def test_unknown_symbols_give_no_candles_and_naive_times_are_refused(market: SyntheticMarket) -> None:
    assert market.fetch(["NOPEUSD"], ORIGIN, END).candles.height == 0
    assert market.fetch(["NOPEUSD", "BTCUSD"], ORIGIN, ORIGIN + timedelta(hours=1)).candles.height == 4
    with pytest.raises(ValueError, match="timezone-aware"):
        market.fetch(["BTCUSD"], datetime(2024, 1, 1), END)


def test_latest_closed_is_the_open_time_of_the_newest_finished_bar(market: SyntheticMarket) -> None:
    ten = datetime(2024, 3, 1, 10, tzinfo=UTC)
    assert market.latest_closed(ten + timedelta(minutes=29, seconds=59)) == ten
    assert market.latest_closed(ten + timedelta(minutes=30)) == ten + timedelta(minutes=15)


def test_the_universe_spans_sectors_and_realistic_price_levels() -> None:
    market = SyntheticMarket(n_coins=30)
    coins = market.universe()
    assert [coin.symbol for coin in coins[:3]] == ["BTCUSD", "ETHUSD", "LINKUSD"]
    assert coins[20].symbol == "SYN001USD" and coins[-1].symbol == "SYN010USD"
    assert len({coin.symbol for coin in coins}) == 30
    assert {sector.code for sector in market.sectors()} >= {"layer1", "defi", "ai", "meme", "infrastructure"}
    assert {coin.sector for coin in coins} == {sector.code for sector in market.sectors()}
    opens = market.fetch([c.symbol for c in coins], ORIGIN, ORIGIN + timedelta(minutes=15)).candles
    prices = opens["open"].to_numpy()
    assert prices.min() >= 0.05 and prices.max() == 60_000.0


def test_volume_rises_on_big_moves_and_peaks_in_the_afternoon_utc(candles: pl.DataFrame) -> None:
    btc = candles.filter(pl.col("symbol") == "BTCUSD").with_columns(
        (pl.col("close") / pl.col("open")).log().abs().alias("move")
    )
    big = btc.filter(pl.col("move") >= pl.col("move").quantile(0.98))["volume"].to_numpy().mean()
    assert big > 2 * np.median(btc["volume"].to_numpy())
    by_hour = btc.group_by(pl.col("timestamp").dt.hour().alias("hour")).agg(pl.col("volume").median())
    volume = dict(by_hour.iter_rows())
    assert volume[14] > 1.5 * volume[2]
