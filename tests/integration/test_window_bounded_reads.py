"""Freshness lookups and window checks that read along the ``(coin_id, timeframe, timestamp)`` keys.

They used to scan whole tables (growing with the history); these pin what they must still count: every
coin and every stored timeframe, the window's bounds, and nothing of other timeframes or windows.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
from sqlalchemy import Column, Engine, Table, insert, text

from iris_resources.db.resources import TransactionResource
from iris_resources.indicators.queries import IndicatorQueries
from iris_resources.indicators.tables import indicators, signals
from iris_resources.market_data.key_ranges import series_window
from iris_resources.market_data.queries import MarketDataQueries
from iris_resources.market_data.tables import candle_aggregates, candles
from iris_resources.patterns.tables import market_cycles
from iris_resources.signals.checks import DecisionChecks
from iris_resources.signals.queries import DecisionQueries
from iris_resources.signals.tables import investment_decisions, market_decisions
from tests.builders import seed_coins, stored_bar

START = datetime(2024, 12, 1, tzinfo=UTC)
END = START + timedelta(days=1)


def _blank(column: Column[Any]) -> object:
    kind = column.type.python_type
    return {float: 0.0, int: 0, str: "x", datetime: START}.get(kind)


def test_newest_timestamps_cover_every_coin_and_only_the_asked_timeframe(
        engine: Engine, transaction: TransactionResource) -> None:
    first, second = seed_coins(transaction, ["AAAUSD", "BBBUSD"])
    with engine.connect() as connection:
        assert MarketDataQueries(connection).latest_candle_timestamp(15) is None
        assert IndicatorQueries(connection).latest_timestamp(15) is None
    newest = START + timedelta(hours=5)
    with engine.begin() as connection:
        connection.execute(insert(candles), [
            stored_bar(first, 15, START), stored_bar(second, 15, newest),  # the newest belongs to the second coin
            stored_bar(first, 5, newest + timedelta(hours=1))])  # another timeframe: not counted at 15
        connection.execute(insert(indicators), [
            {"coin_id": first, "timeframe": 15, "timestamp": newest, "close": 1.0, "volume": 1.0},
            {"coin_id": second, "timeframe": 15, "timestamp": START, "close": 1.0, "volume": 1.0},
            {"coin_id": second, "timeframe": 60, "timestamp": END, "close": 1.0, "volume": 1.0}])
    with engine.connect() as connection:
        market = MarketDataQueries(connection)
        assert market.latest_candle_timestamp(15) == newest
        assert market.latest_candle_timestamp(5) == newest + timedelta(hours=1)
        assert IndicatorQueries(connection).latest_timestamp(15) == newest
        assert IndicatorQueries(connection).latest_timestamp(60) == END
        # Each coin's newest base candle, whatever its timeframe.
        assert market.latest_per_coin([first, second]) == {first: newest + timedelta(hours=1), second: newest}


def test_candle_window_checks_count_every_coin_and_timeframe_inside_the_window_only(
        engine: Engine, transaction: TransactionResource) -> None:
    first, second = seed_coins(transaction, ["AAAUSD", "BBBUSD"])
    broken = {"high": 0.5, "low": 1.0}  # high below low
    with engine.begin() as connection:
        # The tables refuse such rows; the check guards against data that bypassed them. This test owns its
        # database, so it drops the constraints to store the rows the check must find.
        for table, constraint in connection.execute(text(
                "SELECT conrelid::regclass::text, conname FROM pg_constraint "
                "WHERE contype = 'c' AND conrelid IN ('candles'::regclass, 'candle_aggregates'::regclass)")).all():
            connection.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{constraint}"'))
        connection.execute(insert(candles), [
            stored_bar(first, 15, START, **broken), stored_bar(second, 1, START + timedelta(hours=1), **broken),
            stored_bar(first, 15, END, **broken),  # outside the window
            # one open time stored at two timeframes: a duplicate key
            stored_bar(second, 15, START + timedelta(hours=2)), stored_bar(second, 5, START + timedelta(hours=2))])
        connection.execute(insert(candle_aggregates), [
            stored_bar(second, 1440, START, base_count=96, is_partial=False, **broken),
            stored_bar(second, 60, START - timedelta(hours=1), base_count=4, is_partial=False, **broken)])  # before
    with engine.connect() as connection:
        market = MarketDataQueries(connection)
        assert market.ohlc_violations(START, END) == 3
        assert market.duplicate_keys(START, END) == 1
        coverage = market.coverage([first, second], START, END)
        assert (coverage.rows, coverage.symbols) == (4, 2)
        assert (coverage.first, coverage.last) == (START, START + timedelta(hours=2))


def test_decisions_without_signals_counts_the_window_rows_without_a_signal_on_theirstored_bar(
        engine: Engine, transaction: TransactionResource) -> None:
    first, second = seed_coins(transaction, ["AAAUSD", "BBBUSD"])
    noon = START + timedelta(hours=12)

    def signal(coin_id: int, timeframe: int, at: datetime, source: str) -> dict[str, object]:
        return {"coin_id": coin_id, "timeframe": timeframe, "signal_type": f"{source}_x", "source": source,
                "direction": "bullish", "confidence": 0.7, "candle_timestamp": at, "created_at": START}

    def decision(coin_id: int, timeframe: int, at: datetime) -> dict[str, object]:
        return {"coin_id": coin_id, "timeframe": timeframe, "timestamp": at, "decision": "BUY", "confidence": 0.6,
                "confidence_band": "medium", "created_at": START}

    def filled(table: Table, row: dict[str, object]) -> dict[str, object]:
        # The logs' other required columns (scores, factors, reasons) do not matter to the check.
        blanks = {column.name: _blank(column) for column in table.columns
                  if not column.nullable and column.server_default is None and not column.primary_key}
        return {**blanks, **row}

    with engine.begin() as connection:
        connection.execute(insert(signals), [
            signal(first, 15, noon, "pattern"), signal(second, 60, noon, "indicator")])
        rows = [decision(first, 15, noon),  # backed by a pattern signal
                decision(second, 60, noon),  # an indicator signal only
                decision(second, 15, noon),  # nothing on its bar
                decision(first, 15, END)]  # outside the window
        for table in (investment_decisions, market_decisions):
            connection.execute(insert(table), [filled(table, row) for row in rows])
    with engine.connect() as connection:
        checks = DecisionChecks(connection)
        assert checks.decisions_without_signals(START, END) == 2
        assert checks.market_decisions_without_signals(START, END) == 1
        assert checks.decisions_without_signals(END, END + timedelta(days=1)) == 1


def test_bar_context_reads_every_stored_timeframe_inside_the_window_with_its_own_cycle(
        engine: Engine, transaction: TransactionResource) -> None:
    first, second = seed_coins(transaction, ["AAAUSD", "BBBUSD"])
    inside, before = START + timedelta(hours=4), START - timedelta(hours=4)
    bars = [(coin, timeframe, at) for coin in (first, second) for timeframe in (1, 5, 15, 60, 240, 1440)
            for at in (inside, before, END)]
    with engine.begin() as connection:
        connection.execute(insert(indicators), [
            {"coin_id": coin, "timeframe": timeframe, "timestamp": at, "close": float(timeframe), "volume": 1.0,
             "market_regime": "bull_trend"} for coin, timeframe, at in bars])
        # Cycles on every bar; the ones outside the window carry another phase, so a leak would show.
        connection.execute(insert(market_cycles), [
            {"coin_id": coin, "timeframe": timeframe, "timestamp": at, "confidence": 0.5,
             "cycle_phase": "MARKUP" if at == inside else "MARKDOWN"} for coin, timeframe, at in bars])
    with engine.connect() as connection:
        context = DecisionQueries(connection).bar_context([first, second], START, END)
    assert sorted(context.select("coin_id", "timeframe", "timestamp").rows()) == sorted(
        (coin, timeframe, inside) for coin, timeframe, at in bars if at == inside)
    assert set(context.get_column("cycle_phase")) == {"MARKUP"}
    assert context.filter(pl.col("coin_id") == first).sort("timeframe").get_column("price").to_list() == [
        1.0, 5.0, 15.0, 60.0, 240.0, 1440.0]


def test_series_window_spells_out_every_stored_timeframe() -> None:
    predicates = " AND ".join(str(p.compile(compile_kwargs={"literal_binds": True}))
                              for p in series_window(indicators, [3, 1], START, END))
    assert "indicators.timeframe IN (1, 5, 15, 60, 240, 1440)" in predicates
    assert "indicators.coin_id IN (3, 1)" in predicates
