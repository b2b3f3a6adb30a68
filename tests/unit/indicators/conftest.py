"""Shared data and the TA-Lib parity check for the indicator-engine tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl
import pytest

# tests/unit/indicators/conftest.py -> parents[4] is the directory holding the repository and shared/.
BTC_1H = Path(__file__).resolve().parents[4] / "shared" / "data" / "market" / "coinbase_BTC-USD_1h.csv"

Candles = dict[str, np.ndarray]
# Values within this fraction of a series' largest magnitude are compared at that magnitude: near
# zero a relative error only measures last-bit noise (e.g. StochRSI %D residues of 1e-15).
NEAR_ZERO_FRACTION = 1e-3


def random_walk(
    seed: int, count: int, *, price: float = 100.0, volatility: float = 0.01, decimals: int | None = None
) -> Candles:
    """Seeded geometric random walk with valid OHLC and lognormal volumes (optionally rounded prices)."""
    rng = np.random.default_rng(seed)
    close = price * np.exp(np.cumsum(rng.normal(0.0, volatility, count)))
    open_ = np.concatenate(([close[0]], close[:-1])) * np.exp(rng.normal(0.0, volatility / 3, count))
    high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0.0, volatility / 2, count)))
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0.0, volatility / 2, count)))
    if decimals is not None:
        open_, high, low, close = (np.round(a, decimals) for a in (open_, high, low, close))
        high = np.maximum.reduce([high, open_, close])
        low = np.minimum.reduce([low, open_, close])
    volume = rng.lognormal(3.0, 1.0, count)
    return {"open": open_, "high": high, "low": low, "close": close, "volume": volume}


# Several regimes: ordinary, rounded to cents (exact ties), a sub-cent coin, a high-priced one.
SYNTHETIC_CASES: dict[str, Callable[[], Candles]] = {
    "walk_3000": lambda: random_walk(1, 3000),
    "walk_cents_5000": lambda: random_walk(2, 5000, decimals=2),
    "walk_whole_units_2000": lambda: random_walk(3, 2000, price=50.0, volatility=0.02, decimals=0),
    "micro_price_2000": lambda: random_walk(4, 2000, price=2e-6, volatility=0.03),
    "high_price_2000": lambda: random_walk(5, 2000, price=60_000.0, volatility=0.004),
}


@pytest.fixture
def make_candles() -> Callable[..., Candles]:
    """The seeded random-walk generator, for tests that need their own series."""
    return random_walk


@pytest.fixture(params=sorted(SYNTHETIC_CASES))
def synthetic(request: pytest.FixtureRequest) -> Candles:
    """Each synthetic random-walk case in turn."""
    return SYNTHETIC_CASES[request.param]()


@pytest.fixture(scope="session")
def btc_frame() -> pl.DataFrame:
    """Coinbase BTC-USD hourly candles (20,111 bars) as a frame with a ``timestamp`` column."""
    if not BTC_1H.exists():
        pytest.skip(f"real market data not available at {BTC_1H}")
    frame = pl.read_csv(BTC_1H)
    stamps = pl.col("timestamp_utc").str.to_datetime(time_zone="UTC").alias("timestamp")
    return frame.select(stamps, "open", "high", "low", "close", "volume")


@pytest.fixture(scope="session")
def btc(btc_frame: pl.DataFrame) -> Candles:
    """The real BTC candles as float64 arrays."""
    names = ("open", "high", "low", "close", "volume")
    return {name: btc_frame.get_column(name).cast(pl.Float64).to_numpy() for name in names}


def parity_error(ours: np.ndarray, theirs: np.ndarray) -> float:
    """Max relative error after checking that nulls sit exactly where TA-Lib has NaN/inf.

    The denominator is ``max(|talib|, 1e-3 * max|talib|)`` (see ``NEAR_ZERO_FRACTION``).
    """
    undefined = ~np.isfinite(theirs)
    mismatched = np.flatnonzero(np.isnan(ours) != undefined)
    assert mismatched.size == 0, f"null/NaN positions differ from TA-Lib's at indices {mismatched[:10]}"
    if undefined.all():
        return 0.0
    expected = theirs[~undefined]
    scale = max(float(np.abs(expected).max()) * NEAR_ZERO_FRACTION, np.finfo(float).tiny)
    return float((np.abs(ours[~undefined] - expected) / np.maximum(np.abs(expected), scale)).max())


@pytest.fixture
def assert_parity() -> Callable[..., None]:
    """``assert_parity(ours, theirs, exact=False)``: same NaN positions; bit-identical or within 1e-9."""

    def check(ours: np.ndarray, theirs: np.ndarray, *, exact: bool = False) -> None:
        error = parity_error(np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64))
        if exact:
            defined = np.isfinite(theirs)
            identical = np.array_equal(ours[defined], theirs[defined])
            assert identical, f"not bit-identical (max rel err {error:.3g})"
        assert error <= 1e-9, f"max relative error {error:.3g} > 1e-9"

    return check
