"""Building a candle source from its one-line spec."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from iris_resources.sources.base import SourceError
from iris_resources.sources.factory import build_source
from iris_resources.sources.files import FileCandleSource
from iris_resources.sources.synthetic import SyntheticMarket


def test_synthetic_builds_the_seeded_market_and_reuses_it() -> None:
    source = build_source(" Synthetic ", seed=3, n_coins=6, base_timeframe=5)
    assert isinstance(source, SyntheticMarket)
    assert (source.seed, source.n_coins, source.base_timeframe) == (3, 6, 5)
    assert build_source("synthetic", seed=3, n_coins=6, base_timeframe=5) is source
    assert build_source("synthetic", seed=4, n_coins=6, base_timeframe=5) is not source


def test_file_builds_a_file_source_on_the_path(tmp_path: Path) -> None:
    source = build_source(f"file:{tmp_path / 'BTCUSDT-15m-2024-01.csv'}")
    assert isinstance(source, FileCandleSource)
    assert source.path == tmp_path / "BTCUSDT-15m-2024-01.csv"


@pytest.mark.skipif(importlib.util.find_spec("ccxt") is not None, reason="ccxt is installed")
def test_exchange_without_ccxt_installed_is_a_source_error() -> None:
    with pytest.raises(SourceError, match="needs ccxt"):
        build_source("exchange:binance")


@pytest.mark.parametrize("spec", ["", "synthetic:extra", "file:", "exchange:", "ftp:data.csv", "binance"])
def test_anything_else_is_a_value_error_listing_the_forms(spec: str) -> None:
    with pytest.raises(ValueError, match=r"expected 'synthetic', 'file:PATH' or 'exchange:ID'"):
        build_source(spec)
