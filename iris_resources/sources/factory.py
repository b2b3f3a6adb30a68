"""Building a candle source from its one-line description (settings, CLI, Dagster resource)."""

from __future__ import annotations

from functools import lru_cache

from iris_resources.sources.base import CandleSource
from iris_resources.sources.exchange import ExchangeCandleSource
from iris_resources.sources.files import FileCandleSource
from iris_resources.sources.synthetic import SyntheticMarket

SPEC_HELP = "expected 'synthetic', 'file:PATH' or 'exchange:ID' (a ccxt exchange id such as 'binance')"


@lru_cache(maxsize=2)
def _synthetic(seed: int, n_coins: int, base_timeframe: int) -> SyntheticMarket:
    # The market is deterministic and thread-safe, so runs that ask for the same one share its cache
    # of generated paths instead of regenerating them from the origin every time.
    return SyntheticMarket(seed=seed, n_coins=n_coins, base_timeframe=base_timeframe)


def build_source(spec: str, *, seed: int = 7, n_coins: int = 20, base_timeframe: int = 15) -> CandleSource:
    """The source ``spec`` names: ``"synthetic"``, ``"file:PATH"`` or ``"exchange:ID"``.

    ``seed`` and ``n_coins`` shape the synthetic market; ``base_timeframe`` is the synthetic grid and
    the exchange's candle timeframe (a file source reads its timeframe from the files).
    Raises :class:`ValueError` for anything else.
    """
    kind, _, argument = spec.strip().partition(":")
    kind = kind.strip().lower()
    argument = argument.strip()
    if kind == "synthetic" and not argument:
        return _synthetic(seed, n_coins, base_timeframe)
    if kind == "file" and argument:
        return FileCandleSource(argument)
    if kind == "exchange" and argument:
        return ExchangeCandleSource.from_id(argument, timeframe=base_timeframe)
    raise ValueError(f"unknown candle source {spec!r}: {SPEC_HELP}")
