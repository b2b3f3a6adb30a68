"""Candles from files: generic OHLCV CSV or Parquet, and Binance public kline dumps (CSV or zip).

``path`` may be one file or a directory (every supported file below it, hidden ones skipped).
A file's symbol comes from its symbol column, else the ``symbol`` argument, else its name; its
timeframe from the ``timeframe`` argument, else its name, else the median spacing of its
timestamps. Files are read once, on first use, and kept in memory.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import polars as pl

from iris_resources.sources.base import CoinSpec, SectorSpec, SourceBatch, SourceError
from iris_resources.sources.catalog import sector_spec
from iris_resources.sources.file_formats import SUPPORTED_SUFFIXES, RawTable, read_tables
from iris_resources.sources.file_names import name_hints
from iris_resources.sources.file_parsing import WINDOW_TS, parse_frame
from iris_resources.sources.symbols import as_utc, canonical_symbol

DEFAULT_TIMEFRAME = 15  # when neither the caller, the name nor the data (a single row) says
_SUFFIXES = ", ".join(SUPPORTED_SUFFIXES)


@dataclass(frozen=True, slots=True)
class _Origin:
    """Where one symbol's rows came from: the file, its venue (from the name) and its timeframe."""

    label: str
    venue: str | None
    timeframe: int


@dataclass(frozen=True, slots=True)
class _Loaded:
    candles: pl.DataFrame  # sorted by symbol, then timestamp
    rejects: pl.DataFrame  # REJECT_SCHEMA plus WINDOW_TS
    timeframes: dict[str, int]


def _spacing(candles: pl.DataFrame) -> dict[str, int]:
    """Median spacing of each symbol's distinct timestamps, in whole minutes."""
    spacing = candles.group_by("symbol").agg(
        pl.col("timestamp").unique().sort().diff().dt.total_minutes().median().alias("minutes")
    )
    rows = spacing.filter(pl.col("minutes") >= 1).iter_rows()  # a lone row has no spacing (null)
    return {str(symbol): round(minutes) for symbol, minutes in rows}


class FileCandleSource:
    """A :class:`~iris_resources.sources.base.CandleSource` over candle files (see module doc)."""

    name = "file"

    def __init__(
        self,
        path: str | Path,
        symbol: str | None = None,
        timeframe: int | None = None,
        sector: str = "imported",
    ) -> None:
        if timeframe is not None and timeframe <= 0:
            raise ValueError(f"timeframe must be positive minutes, got {timeframe}")
        self.path = Path(path)
        self.symbol = canonical_symbol(symbol) if symbol else None
        self.timeframe = timeframe
        self.sector = sector
        self._loaded: _Loaded | None = None
        self._lock = threading.Lock()

    def sectors(self) -> tuple[SectorSpec, ...]:
        """The one sector every imported coin is filed under."""
        return (sector_spec(self.sector),)

    def universe(self) -> tuple[CoinSpec, ...]:
        """The coins found in the file(s), by symbol."""
        timeframes = self._load().timeframes
        return tuple(
            CoinSpec(symbol, symbol, self.sector, base_timeframe=timeframes[symbol], sort_order=order)
            for order, symbol in enumerate(sorted(timeframes))
        )

    def fetch(self, symbols: Sequence[str], start: datetime, end: datetime) -> SourceBatch:
        """Candles with ``start <= timestamp < end`` for ``symbols``, and the rows that did not parse.

        A reject whose own time did not parse is reported with the window of the row before it in
        its file (or after it, at the top), so every reject surfaces in exactly one window.
        """
        start, end = as_utc(start, "start"), as_utc(end, "end")
        loaded = self._load()
        wanted = pl.col("symbol").is_in(list(dict.fromkeys(symbols)))
        candles = loaded.candles.filter(wanted & pl.col("timestamp").is_between(start, end, closed="left"))
        rejects = loaded.rejects.filter(wanted & pl.col(WINDOW_TS).is_between(start, end, closed="left"))
        return SourceBatch(candles, rejects.drop(WINDOW_TS))

    # -- loading ------------------------------------------------------------------------------------
    def _files(self) -> list[Path]:
        if not self.path.exists():
            raise SourceError(f"{self.path}: no such file or directory")
        if self.path.is_file():
            if self.path.suffix.lower() not in SUPPORTED_SUFFIXES:
                raise SourceError(f"{self.path}: unsupported file type (expected {_SUFFIXES})")
            return [self.path]
        files = sorted(
            item
            for item in self.path.rglob("*")
            if item.is_file()
            and item.suffix.lower() in SUPPORTED_SUFFIXES
            and not any(part.startswith(".") for part in item.relative_to(self.path).parts)
        )
        if not files:
            raise SourceError(f"{self.path}: no candle files ({_SUFFIXES}) in this directory")
        return files

    def _load(self) -> _Loaded:
        with self._lock:
            if self._loaded is None:
                self._loaded = self._read_all()
            return self._loaded

    def _read_all(self) -> _Loaded:
        candle_parts: list[pl.DataFrame] = []
        reject_parts: list[pl.DataFrame] = []
        origins: dict[str, list[_Origin]] = {}
        for file in self._files():
            for table in read_tables(file):
                candles, rejects = self._parse(table)
                candle_parts.append(candles)
                reject_parts.append(rejects)
                for symbol, origin in self._origins(table, candles, rejects).items():
                    origins.setdefault(symbol, []).append(origin)
        timeframes = {symbol: self._settle(symbol, found) for symbol, found in origins.items()}
        candles = pl.concat(candle_parts).sort("symbol", "timestamp", maintain_order=True)
        return _Loaded(candles, pl.concat(reject_parts), timeframes)

    def _parse(self, table: RawTable) -> tuple[pl.DataFrame, pl.DataFrame]:
        symbol = self.symbol or name_hints(table.stem).symbol
        if symbol is None and "symbol" not in table.frame.columns:
            raise SourceError(
                f"{table.label}: cannot tell the symbol: no symbol column, the file name does not name one"
                " (like BTCUSDT-15m-2024-01.csv), and no symbol= was given"
            )
        candles, rejects = parse_frame(table.frame, symbol)
        # A reject must surface in some fetch: that needs a symbol and a time (its own or a neighbour's).
        orphans = rejects.filter(pl.col("symbol").is_null() | pl.col(WINDOW_TS).is_null())
        if orphans.height:
            line, raw = orphans.row(0)[orphans.columns.index("line")], orphans.row(0)[orphans.columns.index("raw")]
            why = ("blank symbol, and the file name names none (give symbol=)" if orphans["symbol"][0] is None
                   else "no row of the file has a readable timestamp")
            raise SourceError(f"{table.label}: line {line}: {why}: {str(raw)[:80]!r}")
        return candles, rejects

    def _origins(self, table: RawTable, candles: pl.DataFrame, rejects: pl.DataFrame) -> dict[str, _Origin]:
        hints = name_hints(table.stem)
        symbols = set(candles["symbol"].unique().to_list()) | set(rejects["symbol"].drop_nulls().to_list())
        if "symbol" not in table.frame.columns:
            symbols.add(self.symbol or hints.symbol)  # a header-only file still names its coin
        spacing = _spacing(candles)
        return {
            symbol: _Origin(
                table.label,
                hints.venue,
                self.timeframe or hints.timeframe or spacing.get(symbol, DEFAULT_TIMEFRAME),
            )
            for symbol in symbols
        }

    def _settle(self, symbol: str, found: list[_Origin]) -> int:
        """The symbol's timeframe; files that disagree on venue or timeframe cannot share a symbol."""
        first = found[0]
        for other in found[1:]:
            if (other.venue, other.timeframe) != (first.venue, first.timeframe):
                raise SourceError(
                    f"{self.path}: {symbol} comes from files that cannot be merged: {first.label}"
                    f" ({first.venue or 'no venue'}, {first.timeframe}m) and {other.label}"
                    f" ({other.venue or 'no venue'}, {other.timeframe}m); load them as separate sources"
                )
        return first.timeframe
