"""Write side of the market data domain. Repositories never commit: the unit of work does.

Bulk writes use binary COPY (see :mod:`iris_resources.db.binary_copy`); this module holds the few
raw SQL statements that Core cannot express (COPY, temp staging tables, advisory locks).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import polars as pl
from psycopg import Connection as PgConnection
from psycopg import sql
from sqlalchemy import Connection, delete, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from iris_resources.db.binary_copy import PgType, iter_copy_chunks
from iris_resources.db.persistence_log import log_repo
from iris_resources.db.statistics import note_bulk_rows
from iris_resources.market_data.key_ranges import series_window
from iris_resources.market_data.tables import (
    candle_aggregates,
    candle_gaps,
    candle_rejects,
    candles,
    coins,
    sectors,
)
from iris_resources.market_data.timeframes import STORED_TIMEFRAMES
from iris_resources.sources.base import CoinSpec, SectorSpec

CANDLE_COLUMNS: tuple[tuple[str, PgType], ...] = (
    ("coin_id", "int4"), ("timeframe", "int2"), ("timestamp", "timestamptz"),
    ("open", "float8"), ("high", "float8"), ("low", "float8"), ("close", "float8"), ("volume", "float8"),
)
AGGREGATE_COLUMNS: tuple[tuple[str, PgType], ...] = (
    *CANDLE_COLUMNS, ("base_count", "int2"), ("is_partial", "bool"),
)
# Namespace of the transaction-scoped advisory locks that serialise candle writers per coin.
_CANDLE_LOCK_NAMESPACE = 0x1A15


def _driver(connection: Connection) -> PgConnection:
    """The psycopg connection under SQLAlchemy's, so COPY runs inside the same transaction."""
    return connection.connection.driver_connection  # type: ignore[return-value]


def copy_frame(connection: Connection, table: str, frame: pl.DataFrame,
               columns: Sequence[tuple[str, PgType]]) -> None:
    """Binary-COPY ``frame`` into ``table`` (columns in the given order).

    Identifiers cannot be bound parameters: psycopg quotes the table and column names instead.
    """
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
        sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(name) for name, _ in columns)
    )
    with _driver(connection).cursor() as cursor, cursor.copy(statement) as copy:
        for chunk in iter_copy_chunks(frame, columns):
            copy.write(chunk)
    note_bulk_rows(connection, table, frame.height)


def require_coins(connection: Connection, coin_ids: Sequence[int]) -> None:
    """Refuse ids that are not coins: stands in for the foreign key candle tables do without."""
    known = set(connection.execute(select(coins.c.id).where(coins.c.id.in_(list(coin_ids)))).scalars())
    unknown = sorted(set(coin_ids) - known)
    if unknown:
        raise ValueError(f"candles reference unknown coin ids: {unknown[:10]}")


class CoinRepository:
    """Sectors and coins: the universe."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def upsert_sectors(self, specs: Sequence[SectorSpec]) -> dict[str, int]:
        """Insert or update sectors by code; returns code → id."""
        if not specs:
            return {}
        insert_sectors = pg_insert(sectors).values(
            [{"code": s.code, "name": s.name, "description": s.description} for s in specs]
        )
        statement = insert_sectors.on_conflict_do_update(
            index_elements=["code"],
            set_={"name": insert_sectors.excluded.name, "description": insert_sectors.excluded.description},
        ).returning(sectors.c.code, sectors.c.id)
        result: dict[str, int] = {code: id_ for code, id_ in self._connection.execute(statement)}  # noqa: C416
        log_repo("market_data", "upsert_sectors", mode="write", count=len(result), bulk=True)
        return result

    def upsert_coins(self, specs: Sequence[CoinSpec], sector_ids: dict[str, int], source: str) -> dict[str, int]:
        """Insert or update coins by symbol (``enabled`` is the operator's and is kept); symbol → id."""
        if not specs:
            return {}
        missing = sorted({s.sector for s in specs} - sector_ids.keys())
        if missing:
            raise ValueError(f"coins reference unknown sectors: {', '.join(missing)}")
        insert_coins = pg_insert(coins).values([
            {
                "symbol": s.symbol.strip().upper(), "name": s.name, "asset_type": s.asset_type,
                "sector_id": sector_ids[s.sector], "base_timeframe": s.base_timeframe,
                "sort_order": s.sort_order, "source": source,
            }
            for s in specs
        ])
        excluded = insert_coins.excluded
        statement = insert_coins.on_conflict_do_update(
            index_elements=["symbol"],
            set_={
                "name": excluded.name, "asset_type": excluded.asset_type, "sector_id": excluded.sector_id,
                "base_timeframe": excluded.base_timeframe, "sort_order": excluded.sort_order,
                "source": excluded.source, "deleted_at": None, "updated_at": func.now(),
            },
        ).returning(coins.c.symbol, coins.c.id)
        result: dict[str, int] = {symbol: id_ for symbol, id_ in self._connection.execute(statement)}  # noqa: C416
        log_repo("market_data", "upsert_coins", mode="write", count=len(result), bulk=True)
        return result

    def mark_history_synced(self, coin_ids: Iterable[int], at: datetime) -> None:
        """Record a successful history load for ``coin_ids``."""
        ids = sorted(set(coin_ids))
        if not ids:
            return
        self._connection.execute(
            update(coins)
            .where(coins.c.id.in_(ids))
            .values(
                last_history_sync_at=at,
                history_backfill_completed_at=func.coalesce(coins.c.history_backfill_completed_at, at),
                last_history_sync_error=None,
                next_history_sync_at=None,
            )
        )
        log_repo("market_data", "mark_history_synced", mode="write", count=len(ids))


class CandleRepository:
    """Base candles, their gaps and the quarantine of rejected rows."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def _lock_coins(self, coin_ids: Sequence[int]) -> None:
        # Sorted order: two writers locking overlapping coin sets can never deadlock.
        self._connection.execute(
            text("SELECT pg_advisory_xact_lock(:ns, c) FROM unnest(CAST(:ids AS int[])) AS c ORDER BY c"),
            {"ns": _CANDLE_LOCK_NAMESPACE, "ids": sorted(coin_ids)},
        )

    def upsert_candles(self, frame: pl.DataFrame) -> int:
        """Insert or overwrite validated candles (``CANDLE_COLUMNS``); returns rows written."""
        return self.write_candles(frame).height

    def write_candles(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Insert or overwrite validated candles; returns ``coin_id, timestamp`` of the rows written.

        When nothing is stored yet in the batch's coins and time range (first load, backfill of new
        days) the rows are COPYed straight into ``candles``. Otherwise they go through a temporary
        staging table and ``INSERT … ON CONFLICT DO UPDATE``, touching only rows that changed; the
        keys of inserted and changed rows come back so callers can tell late and corrected data.
        """
        if frame.is_empty():
            return pl.DataFrame(schema={"coin_id": pl.Int32, "timestamp": pl.Datetime("us", "UTC")})
        coin_ids = frame.get_column("coin_id").unique().sort().to_list()
        first, last = frame.get_column("timestamp").min(), frame.get_column("timestamp").max()
        self._lock_coins(coin_ids)
        require_coins(self._connection, coin_ids)
        # Along the key (coin, timeframe, time): without the timeframes a batch of new candles walked each
        # coin's whole history before it found nothing.
        overlap = self._connection.execute(
            select(candles.c.coin_id).where(
                candles.c.coin_id.in_(coin_ids), candles.c.timeframe.in_(STORED_TIMEFRAMES),
                candles.c.timestamp.between(first, last)
            ).limit(1)
        ).first()
        if overlap is None:
            copy_frame(self._connection, "candles", frame, CANDLE_COLUMNS)
            written = frame.select(pl.col("coin_id").cast(pl.Int32), "timestamp")
        else:
            written = self._staged_upsert(frame)
        log_repo("market_data", "upsert_candles", mode="write", count=written.height, bulk=True,
                 coins=len(coin_ids), path="copy" if overlap is None else "staged")
        return written

    def _staged_upsert(self, frame: pl.DataFrame) -> pl.DataFrame:
        self._connection.execute(text(
            "CREATE TEMP TABLE IF NOT EXISTS candles_stage "
            "(LIKE candles INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        ))
        self._connection.execute(text("TRUNCATE candles_stage"))
        copy_frame(self._connection, "candles_stage", frame, CANDLE_COLUMNS)
        rows = self._connection.execute(text(
            "INSERT INTO candles SELECT * FROM candles_stage "
            "ON CONFLICT (coin_id, timeframe, timestamp) DO UPDATE SET "
            "open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, "
            "close = EXCLUDED.close, volume = EXCLUDED.volume "
            "WHERE (candles.open, candles.high, candles.low, candles.close, candles.volume) "
            "IS DISTINCT FROM (EXCLUDED.open, EXCLUDED.high, EXCLUDED.low, EXCLUDED.close, EXCLUDED.volume) "
            "RETURNING candles.coin_id, candles.timestamp"
        )).all()
        return pl.DataFrame([tuple(r) for r in rows], schema={"coin_id": pl.Int32,
                                                               "timestamp": pl.Datetime("us", "UTC")},
                            orient="row")

    def replace_gaps(self, coin_ids: Sequence[int], start: datetime, end: datetime, gaps: pl.DataFrame) -> int:
        """Replace the gaps of ``coin_ids`` closed by a bar in ``[start, end)`` (see ``gaps.py``).

        A gap is owned by the bar that ends it, so re-running a window rewrites exactly its gaps;
        a late bar that splits a recorded gap updates it in place (same ``gap_start``).
        """
        self._connection.execute(
            delete(candle_gaps).where(
                candle_gaps.c.coin_id.in_(list(coin_ids)),
                candle_gaps.c.gap_end >= start,
                candle_gaps.c.gap_end < end,
            )
        )
        if not gaps.is_empty():
            statement = pg_insert(candle_gaps)
            statement = statement.on_conflict_do_update(
                index_elements=["coin_id", "timeframe", "gap_start"],
                set_={"gap_end": statement.excluded.gap_end, "missing_bars": statement.excluded.missing_bars,
                      "detected_at": func.now()},
            )
            self._connection.execute(statement, gaps.select(
                "coin_id", "timeframe", "gap_start", "gap_end", "missing_bars"
            ).to_dicts())
        log_repo("market_data", "replace_gaps", mode="write", count=gaps.height)
        return gaps.height

    def replace_rejects(self, batch_key: str, source: str, rejects: pl.DataFrame) -> int:
        """Replace the quarantined rows of ``batch_key`` (re-running a batch never duplicates them)."""
        self._connection.execute(delete(candle_rejects).where(candle_rejects.c.batch_key == batch_key))
        if not rejects.is_empty():
            rows = rejects.with_columns(
                pl.lit(batch_key).alias("batch_key"), pl.lit(source).alias("source"),
                pl.when(pl.col("raw").is_not_null()).then(pl.struct(text=pl.col("raw"))).alias("raw"),
            ).select("batch_key", "source", "symbol", "timestamp", "reason", "detail", "line", "raw")
            self._connection.execute(insert(candle_rejects), rows.to_dicts())
        log_repo("market_data", "replace_rejects", mode="write", count=rejects.height, batch_key=batch_key)
        return rejects.height


class CandleAggregateRepository:
    """Higher-timeframe buckets (1h/4h/1d) derived from base candles."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection


    def replace_window(self, coin_ids: Sequence[int], start: datetime, end: datetime,
                       frame: pl.DataFrame) -> int:
        """Replace every aggregate of ``coin_ids`` whose bucket opens in ``[start, end)``."""
        self._connection.execute(
            delete(candle_aggregates).where(*series_window(candle_aggregates, coin_ids, start, end))
        )
        if not frame.is_empty():
            require_coins(self._connection, frame.get_column("coin_id").unique().to_list())
            copy_frame(self._connection, "candle_aggregates", frame, AGGREGATE_COLUMNS)
        log_repo("market_data", "replace_aggregates", mode="write", count=frame.height, bulk=True)
        return frame.height
