"""Live candles from a crypto exchange through ccxt (the optional ``exchange`` extra).

The source pages forward with ``since`` until the window's end, keeps the last copy of a
timestamp that two pages both return, waits ``exchange.rateLimit`` milliseconds between calls
(unless the ccxt object throttles itself), and retries rate-limit and network failures with
exponential backoff before giving up with a :class:`SourceError` naming the exchange and symbol.
ccxt itself is imported only by :meth:`ExchangeCandleSource.from_id`; tests drive the class with
any object offering ``fetch_ohlcv``, ``parse_timeframe`` and ``rateLimit``.
"""

from __future__ import annotations

import importlib
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import Any

import polars as pl

from iris_resources.sources.base import (
    CANDLE_SCHEMA,
    REJECT_SCHEMA,
    CoinSpec,
    SectorSpec,
    SourceBatch,
    SourceError,
    empty_candles,
    empty_rejects,
)
from iris_resources.sources.catalog import EXCHANGE_DEFAULT_SYMBOLS, FIXED_COINS, sectors_for
from iris_resources.sources.symbols import as_utc, timeframe_label

_FIELDS = ("timestamp", "open", "high", "low", "close", "volume")  # a ccxt OHLCV row


# Stand-ins for ccxt's error hierarchy (NetworkError > DDoSProtection > RateLimitExceeded), so the
# retry logic works and can be tested without ccxt installed. Real ccxt errors are recognised too.
class NetworkError(Exception):
    """A transient network failure (ccxt.NetworkError when ccxt is used)."""


class DDoSProtection(NetworkError):
    """The exchange's DDoS protection refused the call (ccxt.DDoSProtection)."""


class RateLimitExceeded(DDoSProtection):
    """The exchange's rate limit was hit (ccxt.RateLimitExceeded)."""


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, NetworkError):
        return True
    # If the exchange is a ccxt object, ccxt is already imported: no import cost, no hard dependency.
    ccxt = sys.modules.get("ccxt")
    retryable = () if ccxt is None else (ccxt.NetworkError, ccxt.DDoSProtection, ccxt.RateLimitExceeded)
    return isinstance(exc, retryable)


def default_universe() -> tuple[CoinSpec, ...]:
    """Liquid majors with the catalogue's names and sectors."""
    by_symbol = {coin.symbol: coin for coin in FIXED_COINS}
    return tuple(
        CoinSpec(symbol, by_symbol[symbol].name, by_symbol[symbol].sector, sort_order=order)
        for order, symbol in enumerate(EXCHANGE_DEFAULT_SYMBOLS)
    )


class ExchangeCandleSource:
    """A :class:`~iris_resources.sources.base.CandleSource` over a ccxt exchange object.

    ``symbols`` is the universe (default: :func:`default_universe`); canonical symbols map to
    exchange markets through ``symbol_map``, else ``BASE/<quote>`` for ``BASEUSD``.
    Backoff before retry ``k`` (0-based) is ``backoff * 2**k`` seconds, capped at ``max_backoff``.
    """

    name = "exchange"

    def __init__(
        self,
        exchange: Any,
        symbols: Sequence[CoinSpec] | None = None,
        timeframe: int = 15,
        page_limit: int = 1000,
        max_retries: int = 5,
        sleep: Callable[[float], None] = time.sleep,
        *,
        symbol_map: Mapping[str, str] | None = None,
        quote: str = "USDT",
        backoff: float = 1.0,
        max_backoff: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if page_limit < 1 or max_retries < 0:
            raise ValueError("page_limit must be >= 1 and max_retries >= 0")
        self.exchange = exchange
        self.exchange_id = str(getattr(exchange, "id", type(exchange).__name__))
        coins = default_universe() if symbols is None else tuple(symbols)
        self._coins = tuple(replace(coin, base_timeframe=timeframe) for coin in coins)
        self.timeframe, self.page_limit, self.max_retries = timeframe, page_limit, max_retries
        self.symbol_map = dict(symbol_map or {})
        self.quote, self.backoff, self.max_backoff = quote, backoff, max_backoff
        self._sleep, self._clock = sleep, clock
        self._last_call: float | None = None

    @classmethod
    def from_id(cls, exchange_id: str, **kwargs: Any) -> ExchangeCandleSource:
        """Build the source around ``ccxt.<exchange_id>()`` (ccxt's own rate limiter enabled)."""
        try:
            ccxt = importlib.import_module("ccxt")
        except ImportError as exc:
            raise SourceError("the exchange source needs ccxt: pip install 'iris[exchange]'") from exc
        exchange_class = getattr(ccxt, exchange_id, None)
        if exchange_class is None or exchange_id not in getattr(ccxt, "exchanges", [exchange_id]):
            raise ValueError(f"unknown ccxt exchange id {exchange_id!r}")
        return cls(exchange_class({"enableRateLimit": True}), **kwargs)

    def sectors(self) -> tuple[SectorSpec, ...]:
        """The sectors of the universe's coins."""
        return sectors_for([coin.sector for coin in self._coins])

    def universe(self) -> tuple[CoinSpec, ...]:
        """The configured coins, on this source's timeframe."""
        return self._coins

    def market_symbol(self, symbol: str) -> str:
        """The exchange's market for a canonical symbol: the map, else ``BTCUSD`` → ``BTC/USDT``."""
        if symbol in self.symbol_map:
            return self.symbol_map[symbol]
        if symbol.endswith("USD") and len(symbol) > 3:
            return f"{symbol[:-3]}/{self.quote}"
        raise SourceError(f"{self.exchange_id}: no market for {symbol}; add it to symbol_map")

    def fetch(self, symbols: Sequence[str], start: datetime, end: datetime) -> SourceBatch:
        """Candles with ``start <= timestamp < end``; only candles already closed are returned."""
        start_ms = int(as_utc(start, "start").timestamp() * 1000)
        end_ms = int(as_utc(end, "end").timestamp() * 1000)
        parts = [self._fetch_symbol(symbol, start_ms, end_ms) for symbol in dict.fromkeys(symbols)]
        candles = pl.concat([empty_candles(), *(candles for candles, _ in parts)])
        rejects = pl.concat([empty_rejects(), *(rejects for _, rejects in parts)])
        return SourceBatch(candles, rejects)

    # -- internals ----------------------------------------------------------------------------------
    def _fetch_symbol(self, symbol: str, start_ms: int, end_ms: int) -> tuple[pl.DataFrame, pl.DataFrame]:
        market = self.market_symbol(symbol)
        label = timeframe_label(self.timeframe)
        step_ms = int(self.exchange.parse_timeframe(label)) * 1000
        # A candle still open at the time of the call would be stored and later change: leave it out.
        end_ms = min(end_ms, int(time.time() * 1000) - step_ms + 1)
        fetch_page = partial(self.exchange.fetch_ohlcv, market, label)
        rows: list[list[Any]] = []
        since = start_ms
        while since < end_ms:
            page = self._call(symbol, partial(fetch_page, since, self.page_limit))
            page = [row for row in page if isinstance(row[0], int | float)]  # untimed rows are unusable
            if not page:
                break
            rows.extend(row for row in page if start_ms <= row[0] < end_ms)
            following = int(max(row[0] for row in page)) + step_ms
            if following <= since:  # the exchange ignored `since`: stop rather than loop forever
                break
            since = following
        return self._to_frames(symbol, rows)

    def _to_frames(self, symbol: str, rows: list[list[Any]]) -> tuple[pl.DataFrame, pl.DataFrame]:
        """Candles (last copy of each timestamp wins) and rejects for rows with a missing value."""
        if not rows:
            return empty_candles(), empty_rejects()
        frame = pl.DataFrame(
            [row[:6] for row in rows], schema=dict.fromkeys(_FIELDS, pl.Float64), orient="row", strict=False
        ).with_columns(
            pl.lit(symbol, dtype=pl.String).alias("symbol"),
            pl.col("timestamp").cast(pl.Int64).mul(1000).cast(CANDLE_SCHEMA["timestamp"]),
            pl.Series("raw", [",".join(map(str, row[:6])) for row in rows], dtype=pl.String),
        )
        frame = frame.unique(subset="timestamp", keep="last", maintain_order=True).sort("timestamp")
        failed = pl.any_horizontal(pl.col(field).is_null() for field in _FIELDS[1:])
        candles = frame.filter(~failed).select([pl.col(n).cast(t) for n, t in CANDLE_SCHEMA.items()])
        rejects = frame.filter(failed).select(
            "symbol",
            "timestamp",
            pl.lit("unparseable").alias("reason"),
            pl.format(
                "{}: {} candle with a missing or non-numeric value: {}",
                pl.lit(self.exchange_id),
                "symbol",
                "raw",
            ).alias("detail"),
            pl.lit(None, dtype=pl.Int64).alias("line"),
            "raw",
        )
        return candles, rejects.cast(pl.Schema(REJECT_SCHEMA))

    def _call(self, symbol: str, request: Callable[[], list[list[Any]]]) -> list[list[Any]]:
        """One exchange call with pacing and exponential backoff on transient errors."""
        for attempt in range(self.max_retries + 1):
            self._pace()
            try:
                return request()
            except Exception as exc:
                if not _retryable(exc):
                    raise SourceError(f"{self.exchange_id}: fetching {symbol} failed: {exc}") from exc
                if attempt == self.max_retries:
                    raise SourceError(
                        f"{self.exchange_id}: fetching {symbol} still failing after {self.max_retries}"
                        f" retries: {type(exc).__name__}: {exc}"
                    ) from exc
                self._sleep(min(self.backoff * 2**attempt, self.max_backoff))
        raise AssertionError("unreachable")  # the loop always returns or raises

    def _pace(self) -> None:
        """Wait out ``rateLimit`` ms since the previous call, unless ccxt throttles by itself."""
        if not getattr(self.exchange, "enableRateLimit", False) and self._last_call is not None:
            wait = float(getattr(self.exchange, "rateLimit", 0)) / 1000.0 - (self._clock() - self._last_call)
            if wait > 0:
                self._sleep(wait)
        self._last_call = self._clock()
