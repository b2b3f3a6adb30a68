"""OBV continues the full-history sum across seeding blocks: stored values equal TA-Lib's OBV over every
candle, also for blocks whose seed lies after the first candle (the block's first bar included)."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import polars as pl
import pytest
from sqlalchemy import Engine

from iris_assets.indicators.assets.indicators import compute_block, obv_before
from iris_assets.indicators.seeding import seed_blocks
from iris_resources.db.resources import TransactionResource
from iris_resources.market_data.queries import MarketDataQueries
from iris_resources.market_data.validation import validate_candles
from tests.builders import T0, seed_coins

talib = pytest.importorskip("talib")

BARS = 9_000  # 94 days of 15m bars: three blocks of 3,000 bars, the later ones seeded after the first bar
LATE_START = 6_500  # a second coin whose history starts inside the last block's warm-up


def _walk(symbol: str, first: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    steps = rng.choice([-1.0, 0.0, 1.0], size=BARS)  # flat closes too: OBV adds nothing on them
    close = 100.0 + np.cumsum(steps * rng.uniform(0.1, 1.0, BARS))
    stamps = [T0 + timedelta(minutes=15 * i) for i in range(BARS)]
    frame = pl.DataFrame({"symbol": symbol, "timestamp": stamps, "open": close, "high": close + 1.0,
                          "low": close - 1.0, "close": close, "volume": rng.uniform(1.0, 50.0, BARS)},
                         schema_overrides={"timestamp": pl.Datetime("us", "UTC")})
    return frame.slice(first)


@pytest.fixture
def coins(transaction: TransactionResource, engine: Engine) -> pl.DataFrame:
    seed_coins(transaction, ["AAAUSD", "BBBUSD"])
    raw = pl.concat([_walk("AAAUSD", 0, 1), _walk("BBBUSD", LATE_START, 2)])
    with transaction.begin() as uow:
        universe = MarketDataQueries(uow.connection).coin_frame()
        uow.candles.upsert_candles(validate_candles(raw, universe).accepted)
        uow.commit()
    return universe


def test_every_block_continues_ta_lib_obv_over_the_full_history(
        transaction: TransactionResource, coins: pl.DataFrame) -> None:
    end = T0 + timedelta(minutes=15 * BARS)
    blocks = list(seed_blocks(15, T0, end))
    assert sum(block.seed > T0 for block in blocks) >= 2  # the continuation is exercised, not just the start
    with transaction.begin() as uow:
        queries = MarketDataQueries(uow.connection)
        history = queries.candles_frame(coins.get_column("coin_id").to_list(), 15, T0, end)
        computed = pl.concat([compute_block(uow.connection, coins, 15, block.seed, block.stop)
                              .filter(pl.col("timestamp") >= block.keep_start) for block in blocks])
    checked = 0
    for (coin_id,), bars in history.group_by("coin_id"):
        expected = bars.sort("timestamp").select(
            "timestamp", pl.Series("expected", talib.OBV(bars.sort("timestamp").get_column("close").to_numpy(),
                                                         bars.sort("timestamp").get_column("volume").to_numpy())))
        got = computed.filter(pl.col("coin_id") == coin_id).join(expected, on="timestamp")
        assert got.height == bars.height
        # The SQL sum adds in another order than TA-Lib: equal to rounding, not bit for bit.
        assert np.allclose(got.get_column("obv").to_numpy(), got.get_column("expected").to_numpy(),
                           rtol=1e-9, atol=1e-6)
        checked += got.height
    assert checked == BARS + (BARS - LATE_START)


def test_obv_through_gives_the_sum_and_the_last_close(transaction: TransactionResource, coins: pl.DataFrame) -> None:
    through = T0 + timedelta(minutes=15 * 99)
    with transaction.begin() as uow:
        queries = MarketDataQueries(uow.connection)
        before = queries.obv_through(coins, 15, through)
        history = queries.candles_frame(coins.get_column("coin_id").to_list(), 15, T0, through + timedelta(seconds=1))
    assert before.height == 1  # the late coin has no bar yet
    close, volume = history.get_column("close").to_numpy(), history.get_column("volume").to_numpy()
    assert before.get_column("obv")[0] == pytest.approx(float(talib.OBV(close, volume)[-1]), rel=1e-12)
    assert before.get_column("close")[0] == close[-1]


def test_coin_chunks_sharing_one_obv_read_equal_the_whole_block(
        transaction: TransactionResource, coins: pl.DataFrame) -> None:
    """The asset reads the OBV before a block once for every coin, then computes the block per coin chunk."""
    block = list(seed_blocks(15, T0, T0 + timedelta(minutes=15 * BARS)))[-1]
    with transaction.begin() as uow:
        whole = compute_block(uow.connection, coins, 15, block.seed, block.stop)
        before = obv_before(uow.connection, coins, 15, block.seed)
        chunks = [compute_block(uow.connection, coins.slice(i, 1), 15, block.seed, block.stop, before)
                  for i in range(coins.height)]
    assert before.height >= 1 and whole.get_column("coin_id").n_unique() == 2
    assert pl.concat(chunks).sort("coin_id", "timestamp").equals(whole.sort("coin_id", "timestamp"))
