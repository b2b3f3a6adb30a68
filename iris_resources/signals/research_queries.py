"""Reads of the research products (``signal_backtests``, ``strategies``) whose size must not grow with history.

Backtests read evaluated outcomes one candle-time slice at a time, packed per series; strategy
discovery reads its pattern stacks one timeframe and time slice at a time, with each bar's regime and
cycle joined in SQL instead of loading every bar of the year.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
import polars as pl
from sqlalchemy import Connection, and_, select, text

from iris_resources.db.persistence_log import log_query
from iris_resources.indicators.queries import read_frame
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
        with driver.cursor(binary=True) as cursor:
            # Range reads of a slice: without planner statistics a nested loop would look cheapest.
            cursor.execute("SELECT current_setting('enable_nestloop'), set_config('enable_nestloop', 'off', true)")
            previous = cursor.fetchone()
            cursor.execute(sql, params)
            groups = cursor.fetchall()
            cursor.execute("SELECT set_config('enable_nestloop', %s, true)", (previous[0] if previous else "on",))
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
        indicators), null where the bar has none."""
        bars = and_(indicators.c.coin_id == signals.c.coin_id, indicators.c.timeframe == signals.c.timeframe,
                    indicators.c.timestamp == signals.c.candle_timestamp)
        cycles = and_(market_cycles.c.coin_id == indicators.c.coin_id,
                      market_cycles.c.timeframe == indicators.c.timeframe,
                      market_cycles.c.timestamp == indicators.c.timestamp)
        statement = (
            select(signals.c.coin_id, signals.c.timeframe, signals.c.candle_timestamp.label("timestamp"),
                   signals.c.signal_type, signals.c.direction, signals.c.confidence, signals.c.priority_score,
                   indicators.c.market_regime.label("regime"), market_cycles.c.cycle_phase.label("cycle"))
            .select_from(signals.outerjoin(indicators, bars).outerjoin(market_cycles, cycles))
            .where(signals.c.coin_id.in_(list(coin_ids)), signals.c.timeframe == timeframe,
                   signals.c.source == "pattern", signals.c.candle_timestamp >= start,
                   signals.c.candle_timestamp < end)
        )
        frame = read_frame(self._connection, statement)
        log_query("signals", "strategy_stacks", count=frame.height, timeframe=timeframe)
        return frame.cast({"coin_id": pl.Int32, "timeframe": pl.Int16}) if not frame.is_empty() else frame


__all__ = ["OUTCOME_SCHEMA", "ResearchQueries"]
