"""The contract every candle source fulfils.

A source knows a universe of coins and returns raw candles for a time window as a Polars frame.
Rows it cannot even parse (an unreadable number or timestamp) come back separately as rejects with
a reason; value-level checks (prices, OHLC order, alignment) happen later in
:mod:`iris_resources.market_data.validation`, the same for every source.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

import polars as pl

# Raw candle frame: one row per candle, timestamps are UTC open times.
CANDLE_SCHEMA: dict[str, pl.DataType] = {
    "symbol": pl.String(),
    "timestamp": pl.Datetime("us", "UTC"),
    "open": pl.Float64(),
    "high": pl.Float64(),
    "low": pl.Float64(),
    "close": pl.Float64(),
    "volume": pl.Float64(),
}

# Rows a source could not parse: where they came from, why, and the raw text.
REJECT_SCHEMA: dict[str, pl.DataType] = {
    "symbol": pl.String(),
    "timestamp": pl.Datetime("us", "UTC"),
    "reason": pl.String(),
    "detail": pl.String(),
    "line": pl.Int64(),
    "raw": pl.String(),
}


def empty_candles() -> pl.DataFrame:
    """A zero-row frame with :data:`CANDLE_SCHEMA`."""
    return pl.DataFrame(schema=CANDLE_SCHEMA)


def empty_rejects() -> pl.DataFrame:
    """A zero-row frame with :data:`REJECT_SCHEMA`."""
    return pl.DataFrame(schema=REJECT_SCHEMA)


@dataclass(frozen=True, slots=True)
class SectorSpec:
    """A sector of the universe."""

    code: str
    name: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class CoinSpec:
    """A coin as a source describes it."""

    symbol: str
    name: str
    sector: str
    base_timeframe: int = 15
    asset_type: str = "crypto"
    sort_order: int = 0


@dataclass(frozen=True, slots=True)
class SourceBatch:
    """Candles fetched for a window, plus the rows that could not be parsed."""

    candles: pl.DataFrame
    rejects: pl.DataFrame = field(default_factory=empty_rejects)


class SourceError(RuntimeError):
    """A source failed as a whole (missing or malformed file, exchange unreachable)."""


@runtime_checkable
class CandleSource(Protocol):
    """What the ``candles`` asset needs from any source."""

    name: str

    def sectors(self) -> tuple[SectorSpec, ...]:
        """The sectors the universe's coins belong to."""
        ...

    def universe(self) -> tuple[CoinSpec, ...]:
        """Every coin this source can deliver."""
        ...

    def fetch(self, symbols: Sequence[str], start: datetime, end: datetime) -> SourceBatch:
        """Candles with ``start <= timestamp < end`` for ``symbols`` (UTC open times)."""
        ...
