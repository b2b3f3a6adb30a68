"""Read side of the market data domain: frozen read models and Polars frames. Never writes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import polars as pl
from sqlalchemy import Connection, Table, and_, func, select, text, true

from iris_resources.db.binary_copy import PgType, decode
from iris_resources.db.copy_out import copy_out
from iris_resources.db.persistence_log import log_query
from iris_resources.market_data.key_ranges import series_window
from iris_resources.market_data.read_models import CandleCoverage, CandleRead, CoinRead, GapRead, SectorRead
from iris_resources.market_data.repository import _driver
from iris_resources.market_data.tables import (
    candle_aggregates,
    candle_gaps,
    candle_rejects,
    candles,
    coins,
    sectors,
)
from iris_resources.market_data.timeframes import STORED_TIMEFRAMES

_FRAME_COLUMNS: tuple[tuple[str, PgType], ...] = (
    ("coin_id", "int4"), ("timeframe", "int2"), ("timestamp", "timestamptz"), ("open", "float8"), ("high", "float8"),
    ("low", "float8"), ("close", "float8"), ("volume", "float8"), ("volume_is_null", "bool"),
    ("is_partial", "bool"),
)


def newest_timestamp(connection: Connection, table: Table, timeframe: int) -> datetime | None:
    """The newest ``timestamp`` of ``table``'s rows at ``timeframe`` (a table keyed on ``(coin_id, timeframe,
    timestamp)``): one index descent per coin. ``max()`` filtered by timeframe alone scanned the whole
    table (indicators: 0.6–0.9 s after a year of 100 coins, growing with the history)."""
    newest = (select(table.c.timestamp).where(table.c.coin_id == coins.c.id, table.c.timeframe == timeframe)
              .order_by(table.c.timestamp.desc()).limit(1).lateral("newest"))
    value: datetime | None = connection.execute(
        select(func.max(newest.c.timestamp)).select_from(coins.join(newest, true()))).scalar_one()
    return value.astimezone(UTC) if value is not None else None


class MarketDataQueries:
    """Queries over coins, candles and aggregates."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def list_coins(self, *, enabled_only: bool = True, symbols: Sequence[str] | None = None) -> tuple[CoinRead, ...]:
        """Coins ordered by ``sort_order`` then symbol (one statement)."""
        statement = (
            select(
                coins.c.id, coins.c.symbol, coins.c.name, coins.c.asset_type,
                sectors.c.code.label("sector_code"), coins.c.base_timeframe, coins.c.enabled,
                coins.c.sort_order, coins.c.history_backfill_completed_at,
            )
            .join(sectors, sectors.c.id == coins.c.sector_id)
            .where(coins.c.deleted_at.is_(None))
            .order_by(coins.c.sort_order, coins.c.symbol)
        )
        if enabled_only:
            statement = statement.where(coins.c.enabled.is_(True))
        if symbols is not None:
            statement = statement.where(coins.c.symbol.in_([s.strip().upper() for s in symbols]))
        result = tuple(CoinRead(**row._mapping) for row in self._connection.execute(statement))
        log_query("market_data", "list_coins", count=len(result))
        return result

    def list_sectors(self) -> tuple[SectorRead, ...]:
        """Every sector, by code."""
        rows = self._connection.execute(select(sectors.c.id, sectors.c.code, sectors.c.name).order_by(sectors.c.code))
        return tuple(SectorRead(id=r.id, code=r.code, name=r.name) for r in rows)

    def coin_frame(self, symbols: Sequence[str] | None = None) -> pl.DataFrame:
        """``symbol, coin_id, timeframe`` of enabled coins, for validation joins."""
        listed = self.list_coins(symbols=symbols)
        return pl.DataFrame(
            {
                "symbol": [c.symbol for c in listed],
                "coin_id": [c.id for c in listed],
                "timeframe": [c.base_timeframe for c in listed],
            },
            schema={"symbol": pl.String, "coin_id": pl.Int32, "timeframe": pl.Int16},
        )

    def coins_info_frame(self) -> pl.DataFrame:
        """coin_id, symbol, name, sector, sort_order of every coin (joins in projections and scans)."""
        listed = self.list_coins(enabled_only=False)
        return pl.DataFrame(
            {"coin_id": [c.id for c in listed], "symbol": [c.symbol for c in listed],
             "name": [c.name for c in listed], "sector": [c.sector_code for c in listed],
             "sort_order": [c.sort_order for c in listed]},
            schema={"coin_id": pl.Int32, "symbol": pl.String, "name": pl.String, "sector": pl.String,
                    "sort_order": pl.Int32},
        )

    def candles_frame(
        self,
        coin_ids: Sequence[int],
        timeframe: int | None,
        start: datetime,
        end: datetime,
        *,
        include_partial: bool = False,
    ) -> pl.DataFrame:
        """Candles of ``coin_ids`` with ``start <= timestamp < end``, sorted by coin and time.

        ``timeframe=None`` reads each coin's stored base candles; 1h/4h/1d read
        ``candle_aggregates`` (closed buckets only unless ``include_partial``). One binary COPY,
        decoded with NumPy.
        """
        ids = sorted(set(coin_ids))
        params: tuple[object, ...] = (ids, start, end)
        if timeframe in (60, 240, 1440):
            table, partial = "candle_aggregates", "is_partial"
            where = " AND timeframe = %s" + ("" if include_partial else " AND NOT is_partial")
            params = (ids, start, end, timeframe)
        elif timeframe is None:
            # Every stored timeframe spelled out: by coin and time alone the key (coin, timeframe, time)
            # was walked over each coin's whole history (0.5 s per read after a year of 100 coins).
            table, partial, where = "candles", "false", " AND timeframe = ANY(%s)"
            params = (ids, start, end, list(STORED_TIMEFRAMES))
        else:
            table, partial, where = "candles", "false", " AND timeframe = %s"
            params = (ids, start, end, timeframe)
        sql = (
            f"COPY (SELECT coin_id, timeframe, timestamp, open, high, low, close, COALESCE(volume, 0) AS volume, "
            f"volume IS NULL AS volume_is_null, {partial} AS is_partial FROM {table} "
            f"WHERE coin_id = ANY(%s) AND timestamp >= %s AND timestamp < %s{where} "
            f"ORDER BY coin_id, timestamp) TO STDOUT (FORMAT BINARY)"
        )
        buffer = copy_out(_driver(self._connection), sql, params)
        frame = _restore_nulls(decode(bytes(buffer), _FRAME_COLUMNS)) if buffer else _empty_frame()
        log_query("market_data", "candles_frame", count=frame.height, timeframe=timeframe, bulk=True)
        return frame

    def closed_candles(self, coins: pl.DataFrame, timeframe: int, start: datetime, end: datetime) -> pl.DataFrame:
        """Closed candles at ``timeframe`` for ``coins`` (coin_id, timeframe = base): stored base rows
        for coins whose base is ``timeframe``, closed aggregates for coins whose base is finer."""
        frames = [self.candles_frame(ids, timeframe, start, end) for _, ids in self._series_tables(coins, timeframe)]
        if not frames:
            return _empty_frame()
        return pl.concat(frames).sort("coin_id", "timestamp")

    def obv_through(self, coins: pl.DataFrame, timeframe: int, through: datetime) -> pl.DataFrame:
        """On-balance volume of each coin's closed ``timeframe`` series up to and including ``through``,
        and the close of its last bar there: coin_id, obv, close (coins without such bars are absent).

        TA-Lib's definition over the full history (first bar = its volume, then ± volume by the sign
        of the close change); with the close, a windowed computation continues the full-history OBV
        exactly, its own first bar included.
        """
        parts = []
        for table, ids in self._series_tables(coins, timeframe):
            partial = " AND NOT is_partial" if table == "candle_aggregates" else ""
            bound = {"ids": ids, "tf": timeframe, "through": through}
            sums = self._connection.execute(text(
                "SELECT coin_id, sum(CASE WHEN prev IS NULL THEN volume ELSE sign(close - prev) * volume END) "
                "FROM (SELECT coin_id, close, COALESCE(volume, 0) AS volume, "
                "lag(close) OVER (PARTITION BY coin_id ORDER BY timestamp) AS prev "
                f"FROM {table} WHERE coin_id = ANY(:ids) AND timeframe = :tf AND timestamp <= :through{partial}) s "
                "GROUP BY coin_id"
            ), bound).all()
            # The last close per coin: one descent of the (coin_id, timeframe, timestamp) key each.
            closes: dict[int, float] = {int(coin_id): float(close) for coin_id, close in self._connection.execute(text(
                "SELECT c.coin_id, last.close FROM unnest(CAST(:ids AS integer[])) AS c(coin_id) "
                f"CROSS JOIN LATERAL (SELECT close FROM {table} WHERE coin_id = c.coin_id AND timeframe = :tf "
                f"AND timestamp <= :through{partial} ORDER BY timestamp DESC LIMIT 1) AS last"
            ), bound).all()}
            parts += [(int(coin_id), float(obv), closes[int(coin_id)]) for coin_id, obv in sums]
        log_query("market_data", "obv_through", count=len(parts), timeframe=timeframe)
        return pl.DataFrame(parts, schema={"coin_id": pl.Int32, "obv": pl.Float64, "close": pl.Float64},
                            orient="row")

    @staticmethod
    def _series_tables(coins: pl.DataFrame, timeframe: int) -> list[tuple[str, list[int]]]:
        base_ids = coins.filter(pl.col("timeframe") == timeframe).get_column("coin_id").to_list()
        finer_ids = coins.filter(
            (pl.col("timeframe") < timeframe) & (timeframe % pl.col("timeframe").cast(pl.Int64) == 0)
        ).get_column("coin_id").to_list() if timeframe in (60, 240, 1440) else []
        return [(table, ids) for table, ids in (("candles", base_ids), ("candle_aggregates", finer_ids)) if ids]

    def history(self, coin_id: int, timeframe: int, start: datetime, end: datetime) -> tuple[CandleRead, ...]:
        """Candles of one coin as read models (API-sized windows)."""
        frame = self.candles_frame([coin_id], timeframe, start, end, include_partial=True)
        return tuple(CandleRead(**row) for row in frame.drop("coin_id", "timeframe").iter_rows(named=True))

    def latest_per_coin(self, coin_ids: Sequence[int]) -> dict[int, datetime]:
        """Each coin's newest stored base candle (one index-backed lookup per coin and timeframe)."""
        rows = self._connection.execute(
            # Per (coin, timeframe): ordered by time alone, the key (coin_id, timeframe, timestamp) cannot
            # stop after one row, so each coin's whole history was read and sorted.
            text(
                "SELECT c.coin_id, max(last.timestamp) FROM unnest(CAST(:ids AS int[])) AS c(coin_id) "
                "CROSS JOIN unnest(CAST(:tfs AS smallint[])) AS t(timeframe) "
                "CROSS JOIN LATERAL (SELECT timestamp FROM candles WHERE coin_id = c.coin_id "
                "AND timeframe = t.timeframe ORDER BY timestamp DESC LIMIT 1) AS last GROUP BY c.coin_id"
            ),
            {"ids": list(coin_ids), "tfs": list(STORED_TIMEFRAMES)},
        ).all()
        return {int(coin_id): ts for coin_id, ts in rows}

    def last_bars_before(self, coins: pl.DataFrame, before: datetime) -> pl.DataFrame:
        """Each coin's newest stored base bar strictly before ``before`` (coin_id, timestamp).

        ``coins`` has ``coin_id`` and ``timeframe``; one index-backed LATERAL lookup per coin.
        """
        rows = self._connection.execute(
            text(
                "SELECT c.coin_id, last.timestamp FROM unnest(CAST(:ids AS int[]), CAST(:tfs AS smallint[])) "
                "AS c(coin_id, timeframe) CROSS JOIN LATERAL (SELECT timestamp FROM candles "
                "WHERE coin_id = c.coin_id AND timeframe = c.timeframe AND timestamp < :before "
                "ORDER BY timestamp DESC LIMIT 1) AS last"
            ),
            {"ids": coins.get_column("coin_id").to_list(), "tfs": coins.get_column("timeframe").to_list(),
             "before": before},
        ).all()
        log_query("market_data", "last_bars_before", count=len(rows))
        return pl.DataFrame(
            [(r[0], r[1]) for r in rows], schema={"coin_id": pl.Int32, "timestamp": pl.Datetime("us", "UTC")},
            orient="row",
        )

    def latest_candle_timestamp(self, timeframe: int) -> datetime | None:
        """The newest stored base candle at ``timeframe`` (freshness checks)."""
        return newest_timestamp(self._connection, candles, timeframe)

    def coverage(self, coin_ids: Sequence[int], start: datetime, end: datetime) -> CandleCoverage:
        """Rows, distinct coins and time range of base candles in a window."""
        row = self._connection.execute(
            select(
                func.count(), func.count(func.distinct(candles.c.coin_id)),
                func.min(candles.c.timestamp), func.max(candles.c.timestamp),
            ).where(*series_window(candles, coin_ids, start, end))
        ).one()
        log_query("market_data", "coverage", count=row[0])
        return CandleCoverage(rows=row[0], symbols=row[1], first=row[2], last=row[3])

    def ohlc_violations(self, start: datetime, end: datetime) -> int:
        """Stored base candles or aggregates in the window that break OHLC ordering (should be 0)."""
        total = 0
        for table in (candles, candle_aggregates):
            bad = and_(
                *series_window(table, None, start, end),
                (table.c.high < table.c.low) | (table.c.open > table.c.high) | (table.c.open < table.c.low)
                | (table.c.close > table.c.high) | (table.c.close < table.c.low) | (table.c.low <= 0),
            )
            total += self._connection.execute(select(func.count()).where(bad)).scalar_one()
        log_query("market_data", "ohlc_violations", count=total)
        return total

    def duplicate_keys(self, start: datetime, end: datetime) -> int:
        """Candles sharing (coin, open time) across timeframes in the window (should be 0)."""
        inner = (
            select(candles.c.coin_id, candles.c.timestamp)
            .where(*series_window(candles, None, start, end))
            .group_by(candles.c.coin_id, candles.c.timestamp)
            .having(func.count() > 1)
            .subquery()
        )
        count = self._connection.execute(select(func.count()).select_from(inner)).scalar_one()
        log_query("market_data", "duplicate_keys", count=count)
        return int(count)

    def gaps(self, start: datetime, end: datetime) -> tuple[GapRead, ...]:
        """Recorded gaps starting in the window, by symbol then time."""
        statement = (
            select(coins.c.symbol, candle_gaps.c.timeframe, candle_gaps.c.gap_start,
                   candle_gaps.c.gap_end, candle_gaps.c.missing_bars)
            .join(coins, coins.c.id == candle_gaps.c.coin_id)
            .where(candle_gaps.c.gap_start >= start, candle_gaps.c.gap_start < end)
            .order_by(coins.c.symbol, candle_gaps.c.gap_start)
        )
        result = tuple(GapRead(**row._mapping) for row in self._connection.execute(statement))
        log_query("market_data", "gaps", count=len(result))
        return result

    def reject_counts(self, batch_keys: Sequence[str]) -> dict[str, int]:
        """Rejected rows per reason for the given batches."""
        statement = (
            select(candle_rejects.c.reason, func.count())
            .where(candle_rejects.c.batch_key.in_(list(batch_keys)))
            .group_by(candle_rejects.c.reason)
        )
        return dict(self._connection.execute(statement))


def _empty_frame() -> pl.DataFrame:
    return pl.DataFrame(schema={
        "coin_id": pl.Int32, "timeframe": pl.Int16, "timestamp": pl.Datetime("us", "UTC"), "open": pl.Float64,
        "high": pl.Float64, "low": pl.Float64, "close": pl.Float64, "volume": pl.Float64,
        "is_partial": pl.Boolean,
    })


def _restore_nulls(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        pl.when(pl.col("volume_is_null")).then(None).otherwise(pl.col("volume")).alias("volume")
    ).drop("volume_is_null")
