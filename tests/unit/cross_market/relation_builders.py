"""Builders for relation tests: close frames from return paths, and the synthetic market on 1h."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl

from iris_assets.market_data.resample import resample
from iris_resources.sources.synthetic import SyntheticMarket

T0 = datetime(2024, 1, 1, tzinfo=UTC)
CLOSE_SCHEMA = pl.Schema({"coin_id": pl.Int32(), "timestamp": pl.Datetime("us", "UTC"), "close": pl.Float64()})


def closes_from_returns(paths: Mapping[int, np.ndarray], timeframe: int = 60, start: datetime = T0,
                        drop: Mapping[int, np.ndarray] | None = None) -> pl.DataFrame:
    """Closes (coin_id, timestamp, close) whose simple returns are ``paths[coin]``; bar indices in
    ``drop[coin]`` are removed afterwards (a gap in that coin's candles)."""
    frames = []
    for coin, returns in paths.items():
        closes = 100.0 * np.cumprod(np.concatenate([[1.0], 1.0 + returns]))
        stamps = [start + timedelta(minutes=timeframe * i) for i in range(closes.size)]
        frame = pl.DataFrame({"coin_id": coin, "timestamp": stamps, "close": closes}, schema=CLOSE_SCHEMA)
        if drop and coin in drop:
            frame = frame.with_row_index("_i").filter(~pl.col("_i").is_in(drop[coin].tolist())).drop("_i")
        frames.append(frame)
    return pl.concat(frames)


def synthetic_hourly(n_coins: int, days: int, seed: int = 7) -> tuple[pl.DataFrame, dict[str, int], SyntheticMarket]:
    """The synthetic market's 15m candles resampled to closed 1h candles (coin_id, timeframe, timestamp,
    high, low, close), with coin ids by symbol."""
    market = SyntheticMarket(seed=seed, n_coins=n_coins)
    symbols = [coin.symbol for coin in market.universe()]
    ids = {symbol: number for number, symbol in enumerate(symbols, start=1)}
    base = market.fetch(symbols, T0, T0 + timedelta(days=days)).candles.with_columns(
        pl.col("symbol").replace_strict(ids, return_dtype=pl.Int32).alias("coin_id"),
        pl.lit(15, dtype=pl.Int16).alias("timeframe"),
    )
    hourly = resample(base, [60]).filter(~pl.col("is_partial"))
    return hourly.select("coin_id", "timeframe", "timestamp", "high", "low", "close"), ids, market
