"""Inputs of the portfolio simulation and balance sync, as Polars frames."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import polars as pl
from psycopg import sql
from sqlalchemy import Connection, func, select

from iris_resources.db.binary_copy import PG_EPOCH_OFFSET_US
from iris_resources.db.persistence_log import log_query
from iris_resources.indicators.queries import read_frame
from iris_resources.market_data.tables import coins
from iris_resources.portfolio.tables import portfolio_accounts, portfolio_actions, portfolio_balances, portfolio_state
from iris_resources.signals.tables import final_signals

_SIGNAL_SCHEMA: dict[str, pl.DataType] = {
    "coin_id": pl.Int32(), "timeframe": pl.Int16(), "timestamp": pl.Datetime("us", "UTC"), "decision": pl.String(),
    "confidence": pl.Float64(), "regime": pl.String(), "atr": pl.Float64(), "price": pl.Float64()}
# timestamptz_send (µs since 2000-01-01) and float8send: big-endian, exact.
_RECORD = np.dtype([("timestamp", ">i8"), ("open", ">f8"), ("high", ">f8"), ("low", ">f8"), ("close", ">f8")])
# What the portfolio replay takes per series (same layout as ``iris_assets.portfolio.stops.CANDLE_RECORD``).
CANDLE_RECORD = np.dtype([("timestamp", np.int64), ("open", np.float64), ("high", np.float64),
                          ("low", np.float64), ("close", np.float64)])
_AGGREGATED = (60, 240, 1440)


@dataclass(frozen=True)
class SignalLog:
    """What the replay needs to know about the final-signal log before reading it."""

    first: datetime | None  # earliest bar open time
    last_effective: datetime | None  # latest bar close time (when a signal takes effect)
    rows: int
    coin_ids: list[int]  # coins with any final signal
    labels: set[str | None]  # distinct decision labels


@dataclass(frozen=True)
class CandleSource:
    """Where the closed candles of some coins at one timeframe live (stored base rows or aggregates)."""

    table: str
    timeframe: int
    coin_ids: list[int]


def candle_series(coins: pl.DataFrame, timeframes: Sequence[int]) -> list[CandleSource]:
    """Per timeframe: coins whose base is that timeframe read ``candles``; coins with a finer base
    that divides it read closed ``candle_aggregates`` (1h/4h/1d), like ``MarketDataQueries.closed_candles``."""
    series = []
    for timeframe in timeframes:
        base = coins.filter(pl.col("timeframe") == timeframe).get_column("coin_id").to_list()
        finer = coins.filter(
            (pl.col("timeframe") < timeframe) & (timeframe % pl.col("timeframe").cast(pl.Int64) == 0)
        ).get_column("coin_id").to_list() if timeframe in _AGGREGATED else []
        series += [CandleSource(table, timeframe, sorted(ids))
                   for table, ids in (("candles", base), ("candle_aggregates", finer)) if ids]
    return series


def _partial(item: CandleSource) -> sql.Composable:
    """Aggregates hold the forming bucket too: only closed ones count."""
    return sql.SQL(" AND NOT is_partial" if item.table == "candle_aggregates" else "")


def _candle_records(blob: bytes) -> np.ndarray:
    """Native records (epoch-µs ``timestamp``, open, high, low, close) from one ``_RECORD`` bytea."""
    raw = np.frombuffer(blob, dtype=_RECORD)
    out = np.empty(raw.size, dtype=CANDLE_RECORD)
    out["timestamp"] = raw["timestamp"].astype(np.int64) + PG_EPOCH_OFFSET_US
    for name in ("open", "high", "low", "close"):
        out[name] = raw[name]
    return out


class PortfolioQueries:
    """Reads for the portfolio assets."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def final_signal_stream(self, timeframes: Sequence[int]) -> pl.DataFrame:
        """Every stored final signal of ``timeframes`` (the decision log: one row per change)."""
        frame = read_frame(self._connection, select(
            final_signals.c.coin_id, final_signals.c.timeframe, final_signals.c.timestamp, final_signals.c.decision,
            final_signals.c.confidence, final_signals.c.regime, final_signals.c.atr, final_signals.c.price)
            .where(final_signals.c.timeframe.in_(list(timeframes))))
        return frame.cast({"coin_id": pl.Int32, "timeframe": pl.Int16}) if not frame.is_empty() else frame

    def final_signal_log(self, timeframes: Sequence[int]) -> SignalLog:
        """Span, size, coins and labels of the final signals of ``timeframes`` (one aggregate)."""
        effective = final_signals.c.timestamp + func.make_interval(0, 0, 0, 0, 0, final_signals.c.timeframe)
        rows = self._connection.execute(
            select(final_signals.c.coin_id, final_signals.c.decision, func.min(final_signals.c.timestamp),
                   func.max(effective), func.count())
            .where(final_signals.c.timeframe.in_(list(timeframes)))
            .group_by(final_signals.c.coin_id, final_signals.c.decision)).all()
        return SignalLog(
            first=min((r[2] for r in rows), default=None), last_effective=max((r[3] for r in rows), default=None),
            rows=sum(int(r[4]) for r in rows), coin_ids=sorted({int(r[0]) for r in rows}),
            labels={r[1] for r in rows})

    def final_signal_window(self, timeframes: Sequence[int], lo: datetime, hi: datetime) -> pl.DataFrame:
        """Final signals of ``timeframes`` taking effect (bar open + timeframe) in ``[lo, hi)`` that can
        trade: HOLD and rows without a positive price change nothing in the replay and stay in the table.

        One indexed range over ``timestamp`` (the widest timeframe's reach) bounds the scan to the window;
        rows come back in binary as tuples (a COPY costs a round of driver work per row).
        """
        if not timeframes:
            return pl.DataFrame(schema=_SIGNAL_SCHEMA)
        driver = self._connection.connection.driver_connection
        assert driver is not None
        with driver.cursor(binary=True) as cursor:
            rows = cursor.execute(
                "SELECT coin_id, timeframe, (extract(epoch FROM timestamp) * 1000000)::int8, decision, confidence, "
                "regime, atr, price FROM final_signals WHERE timestamp >= %s AND timestamp < %s "
                "AND timeframe = ANY(%s) AND timestamp + make_interval(mins => timeframe) >= %s "
                "AND timestamp + make_interval(mins => timeframe) < %s AND decision <> 'HOLD' AND price > 0",
                (lo - timedelta(minutes=max(timeframes)), hi, list(timeframes), lo, hi)).fetchall()
        frame = pl.DataFrame(rows, schema={**_SIGNAL_SCHEMA, "timestamp": pl.Int64}, orient="row")
        log_query("portfolio", "final_signal_window", count=frame.height)
        return frame.with_columns(pl.col("timestamp").cast(pl.Datetime("us", "UTC")))

    def candles_end(self, series: Sequence[CandleSource]) -> datetime | None:
        """Latest close time (open + timeframe) of the closed candles of ``series`` (index probes)."""
        ends = []
        driver = self._connection.connection.driver_connection
        assert driver is not None
        for item in series:
            statement = sql.SQL(
                "SELECT max(m.ts) FROM unnest(%s::int4[]) AS c(id), LATERAL (SELECT timestamp AS ts FROM {table} "
                "WHERE coin_id = c.id AND timeframe = %s{partial} ORDER BY timestamp DESC LIMIT 1) m",
            ).format(table=sql.Identifier(item.table), partial=_partial(item))
            with driver.cursor() as cursor:
                end = cursor.execute(statement, (item.coin_ids, item.timeframe)).fetchone()
            if end is not None and end[0] is not None:
                ends.append(end[0] + timedelta(minutes=item.timeframe))
        return max(ends, default=None)

    def closed_candle_window(self, series: Sequence[CandleSource], since: datetime, before: datetime,
                             lo: datetime, hi: datetime) -> list[tuple[int, int, np.ndarray]]:
        """(coin_id, timeframe, ``CANDLE_RECORD`` array) of the closed candles of ``series`` that open in
        ``[since, before)`` and close in ``[lo, hi)``, one entry per coin and timeframe with candles.

        Each coin's candles come back as one bytea of fixed-width binary records (``_RECORD``, in no
        particular order: the replay sorts), built by the server: a COPY or a row fetch costs a round of
        driver work per candle, this one per coin.
        """
        found: list[tuple[int, int, np.ndarray]] = []
        for item in series:
            step = timedelta(minutes=item.timeframe)
            start, end = max(since, lo - step), min(hi - step, before)
            if start >= end:
                continue
            # One primary-key range scan per coin: the cost follows the window, never the history.
            # Binary results: the bytea arrives as is (no hex text to encode and decode).
            statement = sql.SQL(
                "SELECT c.id, s.records FROM unnest(%s::int4[]) AS c(id), LATERAL ("
                "SELECT string_agg(timestamptz_send(timestamp) || float8send(open) || float8send(high) "
                "|| float8send(low) || float8send(close), ''::bytea) AS records FROM {table} "
                "WHERE coin_id = c.id AND timeframe = %s AND timestamp >= %s AND timestamp < %s{partial}) s "
                "WHERE s.records IS NOT NULL",
            ).format(table=sql.Identifier(item.table), partial=_partial(item))
            driver = self._connection.connection.driver_connection
            assert driver is not None
            with driver.cursor(binary=True) as cursor:
                rows = cursor.execute(statement, (item.coin_ids, item.timeframe, start, end)).fetchall()
            found += [(int(coin), item.timeframe, _candle_records(bytes(blob))) for coin, blob in rows]
        log_query("portfolio", "closed_candle_window", count=sum(r.size for _, _, r in found), bulk=True)
        return found

    def ledger(self, account_id: int) -> pl.DataFrame:
        """The account's stored action ledger in sequence order."""
        return read_frame(self._connection, select(portfolio_actions).where(
            portfolio_actions.c.account_id == account_id).order_by(portfolio_actions.c.sequence))

    def state(self, account_id: int) -> dict[str, object] | None:
        """The account's stored state row."""
        row = self._connection.execute(select(portfolio_state).where(
            portfolio_state.c.account_id == account_id)).mappings().first()
        return dict(row) if row is not None else None

    def exchange_accounts(self) -> list[dict[str, object]]:
        """Enabled exchange accounts (id, exchange_name, account_name, credentials_ref)."""
        return [dict(r) for r in self._connection.execute(select(
            portfolio_accounts.c.id, portfolio_accounts.c.exchange_name, portfolio_accounts.c.account_name,
            portfolio_accounts.c.credentials_ref).where(portfolio_accounts.c.kind == "exchange",
                                                       portfolio_accounts.c.enabled.is_(True))
            .order_by(portfolio_accounts.c.exchange_name, portfolio_accounts.c.account_name)).mappings()]

    def balances(self, account_id: int) -> pl.DataFrame:
        """symbol, balance, value_usd of the account's stored balances."""
        return read_frame(self._connection, select(
            portfolio_balances.c.symbol, portfolio_balances.c.balance, portfolio_balances.c.value_usd).where(
            portfolio_balances.c.account_id == account_id))

    def watch_state(self, symbols: Sequence[str]) -> pl.DataFrame:
        """symbol, enabled, auto_watch_enabled of the coins named (plus every auto-watched coin)."""
        return read_frame(self._connection, select(coins.c.symbol, coins.c.enabled, coins.c.auto_watch_enabled)
                          .where(coins.c.symbol.in_(list(symbols)) | coins.c.auto_watch_enabled.is_(True)))
