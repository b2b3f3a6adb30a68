"""Reads of the signal fusion (``market_decisions``).

The fusion window of a bar needs the signals of its own candle time and of the two distinct candle
times before it, so a window ``[start, end)`` reads its own signals plus, per coin and timeframe,
those at the three newest distinct candle times before ``start`` (no older than ``reach_from``).
Only signals are read, not every bar: each signal comes with its bar's regime (the ``indicators``
row of the same coin, timeframe and candle time), and candle times travel as epoch microseconds,
which the CSV reader takes as integers instead of parsing timestamp text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import polars as pl
from sqlalchemy import BigInteger, ColumnElement, Connection, and_, func, select, true

from iris_resources.db.persistence_log import log_query
from iris_resources.db.planner import INDEX_PROBES, planner_settings
from iris_resources.db.values import integer_rows
from iris_resources.indicators.queries import read_frame
from iris_resources.indicators.tables import indicators, signals
from iris_resources.market_data.key_ranges import series_window
from iris_resources.market_data.tables import coins

__all__ = ["FUSION_TIMEFRAMES", "WARM_UP_REACH", "FusionQueries"]

# Timeframes whose warm-up is read (the ones signals are produced at).
FUSION_TIMEFRAMES = (15, 60, 240, 1440)
WARM_UP_TIMESTAMPS = 3
# The warm-up looks back at most a year.
WARM_UP_REACH = timedelta(days=365)
# Days of signals per read statement.
READ_CHUNK = timedelta(days=7)
_UTC = pl.Datetime("us", "UTC")


def _epoch_us(column: ColumnElement[datetime]) -> ColumnElement[int]:
    # date_part is float8 (cheaper than numeric ``extract``); the cast to bigint rounds to the µs.
    return (func.date_part("epoch", column) * 1_000_000).cast(BigInteger)


class FusionQueries:
    """Signal reads of the fusion, bounded by the run window and its warm-up."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def window_signals(self, coin_ids: Sequence[int], start: datetime, end: datetime,
                       reach_from: datetime) -> pl.DataFrame:
        """Signals of every source with candle time in ``[start, end)`` plus the warm-up before ``start``.

        Columns: coin_id, timeframe, timestamp, signal_type, direction, confidence, priority_score,
        context_score, regime_alignment, market_regime (the signal's), bar_regime (the bar's, null when
        the bar has no indicator row). The warm-up is, per coin and timeframe, every signal at the
        three newest distinct candle times in ``[reach_from, start)``.
        """
        ids = list(coin_ids)
        keys = select(coins.c.id.label("coin_id")).where(coins.c.id.in_(ids)).subquery("keys")
        timeframes = integer_rows(FUSION_TIMEFRAMES, "timeframe", "tfs")
        recent = (
            select(signals.c.candle_timestamp)
            .where(signals.c.coin_id == keys.c.coin_id, signals.c.timeframe == timeframes.c.timeframe,
                   signals.c.candle_timestamp < start, signals.c.candle_timestamp >= reach_from)
            .group_by(signals.c.candle_timestamp)
            .order_by(signals.c.candle_timestamp.desc()).limit(WARM_UP_TIMESTAMPS)
            .lateral("recent")
        )
        warm = (
            select(keys.c.coin_id, timeframes.c.timeframe, func.min(recent.c.candle_timestamp).label("since"))
            .select_from(keys.join(timeframes, true()).join(recent, true()))
            .group_by(keys.c.coin_id, timeframes.c.timeframe).subquery("warm")
        )
        bar = and_(indicators.c.coin_id == signals.c.coin_id, indicators.c.timeframe == signals.c.timeframe,
                   indicators.c.timestamp == signals.c.candle_timestamp)
        columns = (signals.c.coin_id, signals.c.timeframe, _epoch_us(signals.c.candle_timestamp).label("timestamp"),
                   signals.c.signal_type, signals.c.direction, signals.c.confidence, signals.c.priority_score,
                   signals.c.context_score, signals.c.regime_alignment, signals.c.market_regime)
        # The warm-up is a few rows per coin and timeframe: its bar regimes are looked up in SQL. Each
        # (coin, timeframe) reads its own key range (``INDEX_PROBES``): hash-joined, every stored signal
        # was scanned (3.4 s after a year of 100 coins, growing with the history; this takes 0.06 s).
        with planner_settings(self._connection, INDEX_PROBES):
            before = read_frame(self._connection, select(*columns, indicators.c.market_regime.label("bar_regime"))
                                .select_from(signals.join(warm, and_(warm.c.coin_id == signals.c.coin_id,
                                                                     warm.c.timeframe == signals.c.timeframe))
                                             .outerjoin(indicators, bar))
                                .where(signals.c.candle_timestamp >= warm.c.since, signals.c.candle_timestamp < start))
        # The window itself holds most of the rows: it is read a few days at a time (the CSV text of a
        # whole month is several times the typed frame), and each chunk's bars are read once and joined
        # here (a hash join); in SQL the planner may pick one index lookup per signal (4 s per 1 M rows).
        parts = [before]
        chunk = start
        while chunk < end:
            chunk_end = min(chunk + READ_CHUNK, end)
            parts.append(self._signals_with_bars(ids, columns, chunk, chunk_end))
            chunk = chunk_end
        frame = pl.concat(parts, how="vertical_relaxed").with_columns(
            pl.col("coin_id").cast(pl.Int32), pl.col("timeframe").cast(pl.Int16), pl.col("timestamp").cast(_UTC))
        log_query("signals", "fusion_window_signals", count=frame.height)
        return frame

    def _signals_with_bars(self, ids: list[int], columns: tuple[ColumnElement[Any], ...], start: datetime,
                           end: datetime) -> pl.DataFrame:
        """Signals with candle time in ``[start, end)`` and their bars' regimes (``bar_regime``)."""
        inside = read_frame(self._connection, select(*columns).where(
            signals.c.coin_id.in_(ids), signals.c.candle_timestamp >= start, signals.c.candle_timestamp < end))
        # Read along the key (``series_window``): by coin and time alone this scanned every stored bar of
        # every coin, five times per 31-day run.
        bars = read_frame(self._connection, select(
            indicators.c.coin_id, indicators.c.timeframe, _epoch_us(indicators.c.timestamp).label("timestamp"),
            indicators.c.market_regime.label("bar_regime")).where(*series_window(indicators, ids, start, end)))
        return inside.join(bars, on=["coin_id", "timeframe", "timestamp"], how="left")
