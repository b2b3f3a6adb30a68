"""Reads of the research products (``signal_backtests``, ``strategies``) whose size must not grow with history.

Backtests read evaluated outcomes one candle-time slice at a time, packed per series; strategy
discovery reads its pattern stacks one timeframe and time slice at a time, packed per (coin, signal
type, direction), and the slice's bars (regime and cycle) packed per (coin, regime, cycle), instead of
loading every bar of the year. Packing matters: a row a message costs Python more than PostgreSQL
spends finding it, and a year holds millions of pattern signals.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import Connection, LargeBinary, Select, and_, func, literal, select, text
from sqlalchemy.sql.elements import ColumnElement

from iris_resources.db.persistence_log import log_query
from iris_resources.db.planner import KEY_RANGE_SCAN, planner_settings
from iris_resources.indicators.tables import indicators, signals
from iris_resources.patterns.tables import market_cycles

OUTCOME_SCHEMA: dict[str, pl.DataType] = {
    "coin_id": pl.Int32(),
    "timeframe": pl.Int16(),
    "signal_type": pl.String(),
    "candle_timestamp": pl.Datetime("us", "UTC"),
    "confidence": pl.Float64(),
    "result_return": pl.Float64(),
    "result_drawdown": pl.Float64(),
}
# One packed outcome: timestamptz_send (µs since 2000-01-01 UTC) and three float8send, all big-endian.
_PACKED = np.dtype([("ts", ">i8"), ("confidence", ">f8"), ("result_return", ">f8"), ("result_drawdown", ">f8")])
_PG_EPOCH_MICROS = 946_684_800_000_000
# Planner settings for the outcome slice read (transaction-local, restored after). Range reads: without
# planner statistics a nested loop would look cheapest. Hash-grouping the joined rows instead of sorting
# them (by a text key, spilling to disk) took a third off the read of a 15-day slice at 100 coins.
_OUTCOME_PLAN = (("enable_nestloop", "off"), ("enable_sort", "off"), ("work_mem", "64MB"))
# One packed pattern signal (timestamptz_send, float8send ×2) and one packed bar (timestamptz_send).
_PACKED_SIGNAL = np.dtype([("ts", ">i8"), ("confidence", ">f8"), ("priority_score", ">f8")])
_PACKED_BAR = np.dtype([("ts", ">i8")])
STACK_SCHEMA: dict[str, pl.DataType] = {
    "coin_id": pl.Int32(),
    "timeframe": pl.Int16(),
    "timestamp": pl.Datetime("us", "UTC"),
    "signal_type": pl.String(),
    "direction": pl.String(),
    "confidence": pl.Float64(),
    "priority_score": pl.Float64(),
    "regime": pl.String(),
    "cycle": pl.String(),
}


def _packed(*values: ColumnElement[Any]) -> ColumnElement[Any]:
    """``a || b || …`` of bytea expressions: one fixed-width record per row."""
    packed = values[0]
    for value in values[1:]:
        packed = packed.op("||")(value)
    return packed


def _unpack(groups: Sequence[Sequence[Any]], keys: dict[str, pl.DataType], record: np.dtype
            ) -> tuple[pl.DataFrame, np.ndarray]:
    """Rows of packed groups (the key columns, then the row count, then the packed bytes): the keys
    repeated once per record, and the records."""
    width = len(keys)
    counts = np.array([g[width] for g in groups], dtype=np.int64)
    values = np.frombuffer(b"".join(bytes(g[width + 1]) for g in groups), dtype=record)
    frame = pl.DataFrame([[g[i] for g in groups] for i in range(width)], schema=keys, orient="col")
    return frame[np.repeat(np.arange(len(groups)), counts)], values


def _timestamps(packed: np.ndarray) -> pl.Series:
    """timestamptz_send values (µs since 2000-01-01 UTC) as UTC datetimes."""
    micros = packed.astype(np.int64) + _PG_EPOCH_MICROS
    return pl.Series("timestamp", micros).cast(pl.Datetime("us")).dt.replace_time_zone("UTC")


class ResearchQueries:
    """Bounded reads for backtest summaries and strategy discovery."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def outcome_series(self) -> tuple[list[int], list[int]]:
        """The coin ids and timeframes that have outcomes, found by skipping along the primary key (a
        few index probes per coin, however long the history)."""
        coins = [int(c) for c in self._connection.execute(text(
            "WITH RECURSIVE walk AS ("
            " SELECT min(coin_id) AS coin_id FROM signal_outcomes"
            " UNION ALL SELECT (SELECT min(coin_id) FROM signal_outcomes WHERE coin_id > walk.coin_id)"
            " FROM walk WHERE walk.coin_id IS NOT NULL) "
            "SELECT coin_id FROM walk WHERE coin_id IS NOT NULL")).scalars()]
        timeframes = [int(t) for t in self._connection.execute(text(
            "SELECT DISTINCT t.timeframe FROM unnest(CAST(:coins AS int[])) AS c(coin_id) CROSS JOIN LATERAL ("
            " WITH RECURSIVE walk AS ("
            "  SELECT min(timeframe) AS timeframe FROM signal_outcomes WHERE coin_id = c.coin_id"
            "  UNION ALL SELECT (SELECT min(timeframe) FROM signal_outcomes"
            "   WHERE coin_id = c.coin_id AND timeframe > walk.timeframe) FROM walk WHERE walk.timeframe IS NOT NULL)"
            " SELECT timeframe FROM walk WHERE timeframe IS NOT NULL) t"), {"coins": coins}).scalars()]
        return coins, sorted(timeframes)

    def evaluated_outcomes(self, coins: Sequence[int], timeframes: Sequence[int], start: datetime,
                           end: datetime | None) -> pl.DataFrame:
        """Evaluated outcomes (both result_return and result_drawdown known) with candle time in
        ``[start, end)`` (``end`` None: no upper bound) and their signal's confidence: coin_id,
        timeframe, signal_type, candle_timestamp, confidence, result_return, result_drawdown.

        ``coins`` × ``timeframes`` must cover every series with outcomes (:meth:`outcome_series`): the
        slice is read by primary-key ranges. PostgreSQL packs each (signal type, timeframe, coin)'s rows
        into binary strings, so tens of thousands of rows travel instead of a million, and NumPy
        unpacks them; rows come in no particular order.
        """
        # Without an upper bound the far-future end keeps one statement text (no SQL is formatted).
        sql = (
            "SELECT o.signal_type, o.timeframe, o.coin_id, count(*) AS n, string_agg("
            "timestamptz_send(o.candle_timestamp) || float8send(s.confidence) || float8send(o.result_return) "
            "|| float8send(o.result_drawdown), ''::bytea) AS packed "
            "FROM signal_outcomes o JOIN signals s ON s.coin_id = o.coin_id AND s.timeframe = o.timeframe "
            "AND s.candle_timestamp = o.candle_timestamp AND s.signal_type = o.signal_type "
            "WHERE o.coin_id = ANY(%(coins)s) AND o.timeframe = ANY(%(tfs)s) "
            "AND o.candle_timestamp >= %(start)s AND o.candle_timestamp < %(end)s "
            "AND s.coin_id = ANY(%(coins)s) AND s.timeframe = ANY(%(tfs)s) "
            "AND s.candle_timestamp >= %(start)s AND s.candle_timestamp < %(end)s "
            "AND o.result_return IS NOT NULL AND o.result_drawdown IS NOT NULL "
            "GROUP BY o.signal_type, o.timeframe, o.coin_id"
        )
        params = {"coins": list(coins), "tfs": list(timeframes), "start": start,
                  "end": end if end is not None else datetime(9999, 1, 1, tzinfo=UTC)}
        driver = self._connection.connection.driver_connection
        assert driver is not None
        with planner_settings(self._connection, _OUTCOME_PLAN), driver.cursor(binary=True) as cursor:
            cursor.execute(sql, params)
            groups = cursor.fetchall()
        log_query("signals", "evaluated_outcomes", count=sum(g[3] for g in groups), groups=len(groups))
        if not groups:
            return pl.DataFrame(schema=OUTCOME_SCHEMA)
        values = np.frombuffer(b"".join(bytes(g[4]) for g in groups), dtype=_PACKED)
        counts = np.array([g[3] for g in groups], dtype=np.int64)
        index = np.repeat(np.arange(len(groups)), counts)
        keys = pl.DataFrame({"signal_type": [g[0] for g in groups], "timeframe": [g[1] for g in groups],
                             "coin_id": [g[2] for g in groups]}, schema={
            "signal_type": pl.String, "timeframe": pl.Int16, "coin_id": pl.Int32})
        micros = values["ts"].astype(np.int64) + _PG_EPOCH_MICROS
        frame = keys[index].with_columns(
            pl.Series("candle_timestamp", micros).cast(pl.Datetime("us")).dt.replace_time_zone("UTC"),
            pl.Series("confidence", values["confidence"].astype(np.float64)),
            pl.Series("result_return", values["result_return"].astype(np.float64)),
            pl.Series("result_drawdown", values["result_drawdown"].astype(np.float64)),
        )
        return frame.select(list(OUTCOME_SCHEMA))

    def strategy_stacks(self, coin_ids: Sequence[int], timeframe: int, start: datetime, end: datetime
                        ) -> pl.DataFrame:
        """Pattern, cluster and hierarchy signals of ``timeframe`` with candle time in ``[start, end)``:
        coin_id, timeframe, timestamp, signal_type, direction, confidence, priority_score, and the bar's
        regime (``indicators.market_regime``) and cycle (``market_cycles.cycle_phase`` of a bar that has
        indicators), null where the bar has none. Rows come in no particular order."""
        ids = list(coin_ids)
        stacks = self._packed_signals(ids, timeframe, start, end)
        if stacks.is_empty():
            log_query("signals", "strategy_stacks", count=0, timeframe=timeframe)
            return pl.DataFrame(schema=STACK_SCHEMA)
        bars = self._packed_bars(ids, timeframe, start, end)
        frame = stacks.join(bars, on=["coin_id", "timestamp"], how="left").select(
            "coin_id", pl.lit(timeframe, dtype=pl.Int16).alias("timeframe"), *list(STACK_SCHEMA)[2:])
        log_query("signals", "strategy_stacks", count=frame.height, timeframe=timeframe)
        return frame

    def _packed_signals(self, coin_ids: list[int], timeframe: int, start: datetime, end: datetime
                        ) -> pl.DataFrame:
        """The pattern signals of the slice: coin_id, signal_type, direction, timestamp, confidence,
        priority_score."""
        statement = (
            select(signals.c.coin_id, signals.c.signal_type, signals.c.direction, func.count(),
                   func.string_agg(_packed(func.timestamptz_send(signals.c.candle_timestamp),
                                           func.float8send(signals.c.confidence),
                                           func.float8send(signals.c.priority_score)), literal(b"", LargeBinary)))
            .where(signals.c.coin_id.in_(coin_ids), signals.c.timeframe == timeframe,
                   signals.c.source == "pattern", signals.c.candle_timestamp >= start,
                   signals.c.candle_timestamp < end)
            .group_by(signals.c.coin_id, signals.c.signal_type, signals.c.direction)
        )
        with planner_settings(self._connection, KEY_RANGE_SCAN):
            groups = self._connection.execute(statement).all()
        if not groups:
            return pl.DataFrame()
        keys, values = _unpack(groups, {"coin_id": pl.Int32(), "signal_type": pl.String(), "direction": pl.String()},
                               _PACKED_SIGNAL)
        return keys.with_columns(_timestamps(values["ts"]),
                                 pl.Series("confidence", values["confidence"].astype(np.float64)),
                                 pl.Series("priority_score", values["priority_score"].astype(np.float64)))

    def _packed_bars(self, coin_ids: list[int], timeframe: int, start: datetime, end: datetime) -> pl.DataFrame:
        """The slice's bars that have indicators: coin_id, regime, cycle, timestamp.

        Both tables are bounded by the slice (coins, timeframe, time) so each reads a primary-key range:
        joined on the keys alone, PostgreSQL hashed every bar of the timeframe's whole history for
        every slice."""
        cycles = and_(market_cycles.c.coin_id == indicators.c.coin_id,
                      market_cycles.c.timeframe == indicators.c.timeframe,
                      market_cycles.c.timestamp == indicators.c.timestamp,
                      market_cycles.c.coin_id.in_(coin_ids), market_cycles.c.timeframe == timeframe,
                      market_cycles.c.timestamp >= start, market_cycles.c.timestamp < end)
        regime, cycle = indicators.c.market_regime, market_cycles.c.cycle_phase
        statement: Select = (
            select(indicators.c.coin_id, regime, cycle, func.count(),
                   func.string_agg(func.timestamptz_send(indicators.c.timestamp), literal(b"", LargeBinary)))
            .select_from(indicators.outerjoin(market_cycles, cycles))
            .where(indicators.c.coin_id.in_(coin_ids), indicators.c.timeframe == timeframe,
                   indicators.c.timestamp >= start, indicators.c.timestamp < end)
            .group_by(indicators.c.coin_id, regime, cycle)
        )
        groups = self._connection.execute(statement).all()
        schema = {"coin_id": pl.Int32(), "regime": pl.String(), "cycle": pl.String()}
        if not groups:
            return pl.DataFrame(schema={**schema, "timestamp": pl.Datetime("us", "UTC")})
        keys, values = _unpack(groups, schema, _PACKED_BAR)
        return keys.with_columns(_timestamps(values["ts"]))


__all__ = ["OUTCOME_SCHEMA", "STACK_SCHEMA", "ResearchQueries"]
