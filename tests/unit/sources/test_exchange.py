"""The exchange source driven by a fake ccxt-like exchange: paging, dedup, pacing, retries, errors."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from iris_resources.sources.base import CandleSource, CoinSpec, SourceError
from iris_resources.sources.exchange import (
    DDoSProtection,
    ExchangeCandleSource,
    NetworkError,
    RateLimitExceeded,
)

START = datetime(2024, 1, 1, tzinfo=UTC)
STEP_MS = 15 * 60 * 1000
START_MS = int(START.timestamp() * 1000)


def rows(count: int, offset: int = 0, close: float = 100.0) -> list[list[Any]]:
    """``count`` 15m ccxt OHLCV rows from START + offset bars."""
    first = START_MS + offset * STEP_MS
    return [[first + i * STEP_MS, 100.0 + i, 101.0 + i, 99.0 + i, close + i, 5.0] for i in range(count)]


class FakeClock:
    """Time that only moves when the source sleeps, and a record of every sleep."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


class FakeExchange:
    """The few ccxt members the source uses; pages may overlap and calls may fail first."""

    id = "fakex"
    rateLimit = 100  # ms between calls

    def __init__(
        self,
        candles: list[list[Any]],
        overlap: int = 0,
        failures: list[Exception] | None = None,
    ) -> None:
        self.candles = candles
        self.overlap = overlap
        self.failures = list(failures or [])
        self.calls: list[tuple[str, str, int, int]] = []
        self.pages = 0

    def parse_timeframe(self, timeframe: str) -> int:
        return {"15m": 900, "1h": 3600}[timeframe]

    def fetch_ohlcv(self, symbol: str, timeframe: str, since: int, limit: int) -> list[list[Any]]:
        self.calls.append((symbol, timeframe, since, limit))
        if self.failures:
            raise self.failures.pop(0)
        self.pages += 1
        begin = since - self.overlap * STEP_MS if self.pages > 1 else since
        page = [list(row) for row in self.candles if row[0] >= begin][:limit]
        for row in page:
            if row[4] is not None:  # later pages carry different closes, to see which copy wins
                row[4] += 1000 * (self.pages - 1)
        return page


def make(exchange: FakeExchange, clock: FakeClock, **kwargs: Any) -> ExchangeCandleSource:
    return ExchangeCandleSource(exchange, sleep=clock.sleep, clock=clock.monotonic, **kwargs)


def test_pages_forward_until_the_end_of_the_window() -> None:
    exchange, clock = FakeExchange(rows(40)), FakeClock()
    source = make(exchange, clock, page_limit=10)
    batch = source.fetch(["BTCUSD"], START, START + timedelta(minutes=15 * 25))
    assert [call[2] for call in exchange.calls] == [
        START_MS,
        START_MS + 10 * STEP_MS,
        START_MS + 20 * STEP_MS,
    ]
    assert {call[:2] for call in exchange.calls} == {("BTC/USDT", "15m")}
    assert batch.candles.height == 25
    assert batch.candles["timestamp"].to_list() == [START + timedelta(minutes=15 * i) for i in range(25)]
    assert batch.candles["symbol"].unique().to_list() == ["BTCUSD"]


def test_overlapping_pages_are_deduplicated_and_the_later_copy_wins() -> None:
    exchange, clock = FakeExchange(rows(30), overlap=3), FakeClock()
    batch = make(exchange, clock, page_limit=10).fetch(["BTCUSD"], START, START + timedelta(minutes=15 * 30))
    candles = batch.candles
    assert candles.height == 30
    assert candles["timestamp"].is_unique().all() and candles["timestamp"].is_sorted()
    # Bar 9 came in page 1 (close 109) and again in page 2 (close 1109): the later page wins.
    assert candles["close"][9] == 1109.0


def test_calls_are_paced_by_the_exchange_rate_limit() -> None:
    exchange, clock = FakeExchange(rows(30)), FakeClock()
    make(exchange, clock, page_limit=10).fetch(["BTCUSD"], START, START + timedelta(minutes=15 * 30))
    assert len(exchange.calls) == 3
    assert clock.sleeps == [0.1, 0.1]


def test_rate_limits_and_network_errors_back_off_exponentially_then_succeed() -> None:
    failures: list[Exception] = [
        RateLimitExceeded("429"),
        NetworkError("reset"),
        DDoSProtection("cloudflare"),
    ]
    exchange, clock = FakeExchange(rows(5), failures=failures), FakeClock()
    batch = make(exchange, clock, backoff=0.5).fetch(["ETHUSD"], START, START + timedelta(minutes=75))
    assert clock.sleeps == [0.5, 1.0, 2.0]
    assert len(exchange.calls) == 4 and exchange.calls[-1][0] == "ETH/USDT"
    assert batch.candles.height == 5


def test_giving_up_after_max_retries_names_the_exchange_and_symbol() -> None:
    failures: list[Exception] = [RateLimitExceeded("slow down")] * 10
    exchange, clock = FakeExchange(rows(5), failures=failures), FakeClock()
    with pytest.raises(SourceError, match=r"fakex: fetching SOLUSD still failing after 3 retries"):
        make(exchange, clock, max_retries=3).fetch(["SOLUSD"], START, START + timedelta(hours=1))
    assert clock.sleeps == [1.0, 2.0, 4.0]
    assert len(exchange.calls) == 4


def test_backoff_is_capped() -> None:
    failures: list[Exception] = [NetworkError("down")] * 10
    exchange, clock = FakeExchange(rows(5), failures=failures), FakeClock()
    with pytest.raises(SourceError):
        make(exchange, clock, max_retries=5, backoff=10.0, max_backoff=30.0).fetch(
            ["BTCUSD"], START, START + timedelta(hours=1)
        )
    assert clock.sleeps == [10.0, 20.0, 30.0, 30.0, 30.0]


def test_other_exchange_errors_fail_at_once_without_retrying() -> None:
    exchange, clock = FakeExchange(rows(5), failures=[ValueError("bad symbol")]), FakeClock()
    with pytest.raises(SourceError, match=r"fakex: fetching BTCUSD failed: bad symbol"):
        make(exchange, clock).fetch(["BTCUSD"], START, START + timedelta(hours=1))
    assert clock.sleeps == [] and len(exchange.calls) == 1


def test_rows_outside_the_window_are_dropped_and_missing_values_rejected() -> None:
    candles = rows(8)
    candles[2][4] = None  # a close the exchange did not send
    exchange, clock = FakeExchange(candles), FakeClock()
    window = (START + timedelta(minutes=15), START + timedelta(minutes=90))
    batch = make(exchange, clock).fetch(["BTCUSD"], *window)
    assert batch.candles["timestamp"].to_list() == [START + timedelta(minutes=15 * i) for i in (1, 3, 4, 5)]
    [reject] = batch.rejects.to_dicts()
    assert reject["reason"] == "unparseable" and reject["timestamp"] == START + timedelta(minutes=30)
    assert "fakex" in reject["detail"] and "BTCUSD" in reject["detail"]


def test_symbols_map_to_markets_through_a_configurable_map() -> None:
    exchange, clock = FakeExchange(rows(2)), FakeClock()
    source = make(exchange, clock, symbol_map={"BTCUSD": "XBT/USD"}, quote="USDC")
    source.fetch(["BTCUSD", "ETHUSD"], START, START + timedelta(minutes=30))
    assert [call[0] for call in exchange.calls] == ["XBT/USD", "ETH/USDC"]
    with pytest.raises(SourceError, match="no market for DXY"):
        source.market_symbol("DXY")


def test_the_universe_defaults_to_liquid_majors_with_sectors() -> None:
    source = ExchangeCandleSource(FakeExchange([]), timeframe=60)
    assert isinstance(source, CandleSource) and source.name == "exchange"
    symbols = [coin.symbol for coin in source.universe()]
    assert symbols[:2] == ["BTCUSD", "ETHUSD"] and len(symbols) >= 10
    assert all(coin.base_timeframe == 60 for coin in source.universe())
    assert {coin.sector for coin in source.universe()} == {sector.code for sector in source.sectors()}
    custom = ExchangeCandleSource(FakeExchange([]), [CoinSpec("PEPEUSD", "Pepe", "meme")])
    assert [coin.symbol for coin in custom.universe()] == ["PEPEUSD"]


@pytest.mark.skipif(importlib.util.find_spec("ccxt") is not None, reason="ccxt is installed")
def test_from_id_without_ccxt_explains_how_to_install_it() -> None:
    with pytest.raises(SourceError, match=r"pip install 'iris\[exchange\]'"):
        ExchangeCandleSource.from_id("binance")
