"""The ``candles`` asset: base candles per UTC day, validated, with rejects and gaps recorded."""


import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import dagster as dg
import polars as pl

from iris_assets.config import MarketScope
from iris_assets.executor import CRITICAL_PATH
from iris_assets.market_data.assets.checks import candle_check_results
from iris_assets.market_data.gaps import detect_gaps
from iris_assets.partitions import (
    day_chunks,
    days,
    market_backfill_policy,
    market_daily_partition,
    rows_per_day,
    run_window,
)
from iris_resources.db.resources import TransactionResource
from iris_resources.market_data.queries import MarketDataQueries
from iris_resources.market_data.validation import conform_candles, validate_candles
from iris_resources.sources.base import CandleSource
from iris_resources.sources.resource import CandleSourceResource

CANDLE_CHECKS = [
    dg.AssetCheckSpec("ohlc_integrity", asset="candles", blocking=True,
                      description="Stored candles and aggregates respect low ≤ open/close ≤ high, prices > 0."),
    dg.AssetCheckSpec("no_duplicates", asset="candles", blocking=True,
                      description="One candle per coin and open time."),
    dg.AssetCheckSpec("gaps", asset="candles",
                      description="Missing base bars inside the window (warns, never blocks)."),
]


def batch_key(source: str, day: datetime, symbols: list[str]) -> str:
    """Identity of one day's load, so its rejects are replaced (not duplicated) on re-runs."""
    scope = "all" if not symbols else hashlib.sha1(",".join(sorted(symbols)).encode()).hexdigest()[:12]
    return f"candles:{source}:{day:%Y-%m-%d}:{scope}"


def _rejects_by_day(rejects: pl.DataFrame, start: datetime, end: datetime) -> dict[datetime, pl.DataFrame]:
    """Split a window's rejects by UTC day (rows without a timestamp belong to the first day, rows a
    source sent from outside the window to its nearest day: every reject is kept)."""
    last_day = end - timedelta(days=1)
    day_of = pl.col("timestamp").dt.truncate("1d").clip(pl.lit(start), pl.lit(last_day)).fill_null(start)
    tagged = rejects.with_columns(day_of.alias("_day"))
    return {day: tagged.filter(pl.col("_day") == day).drop("_day") for day, _ in days(start, end)}


def utc_now() -> datetime:
    """The wall clock (a function so tests can pin it)."""
    return datetime.now(UTC)


def closed_only(raw: pl.DataFrame, coins: pl.DataFrame, now: datetime) -> pl.DataFrame:
    """Drop candles that have not closed by ``now`` (a live partition is polled while it fills).

    Rows of unknown coins or without a timestamp stay: validation quarantines them.
    """
    return raw.join(coins.select("symbol", pl.col("timeframe").alias("_tf")), on="symbol", how="left").filter(
        pl.col("_tf").is_null() | pl.col("timestamp").is_null()
        | (pl.col("timestamp") + pl.duration(minutes=pl.col("_tf").cast(pl.Int64)) <= now)
    ).drop("_tf")


def candle_closed_events(accepted: pl.DataFrame, before: dict[int, datetime], source: str) -> list[dict[str, Any]]:
    """One ``candle_closed`` per coin whose newest candle moved forward (reference 2.5 event rule).

    ``timestamp`` is the newest candle's open time; re-loading older candles emits nothing.
    """
    if accepted.is_empty():
        return []
    newest = accepted.group_by("coin_id").agg(pl.col("timestamp").max(), pl.col("timestamp").min().alias("first"),
                                              pl.len().alias("count"), pl.col("timeframe").first())
    return [
        {"coin_id": row["coin_id"], "timeframe": row["timeframe"], "timestamp": row["timestamp"],
         "payload": {"created_count": row["count"], "source": source, "first_timestamp": row["first"].isoformat(),
                     "close_time": (row["timestamp"] + timedelta(minutes=row["timeframe"])).isoformat()}}
        for row in newest.iter_rows(named=True)
        if row["coin_id"] not in before or row["timestamp"] > before[row["coin_id"]]
    ]


def candles_revised_events(written: pl.DataFrame, before: dict[int, datetime], timeframes: dict[int, int],
                           source: str) -> list[dict[str, Any]]:
    """One ``candles_revised`` per coin that got a late or corrected candle: a written row at or before
    the coin's newest stored candle (DECISIONS.md 3: nothing is filled silently, and everything derived
    from it must be re-derived). ``timestamp`` is the first revised open time."""
    if written.is_empty():
        return []
    known = pl.DataFrame({"coin_id": list(before), "newest": list(before.values())},
                         schema={"coin_id": pl.Int32, "newest": pl.Datetime("us", "UTC")})
    revised = written.join(known, on="coin_id").filter(pl.col("timestamp") <= pl.col("newest"))
    spans = revised.group_by("coin_id").agg(pl.col("timestamp").min().alias("first"),
                                            pl.col("timestamp").max().alias("last"), pl.len().alias("count"))
    return [
        {"coin_id": row["coin_id"], "timeframe": timeframes.get(row["coin_id"], 0), "timestamp": row["first"],
         "payload": {"first_timestamp": row["first"].isoformat(), "last_timestamp": row["last"].isoformat(),
                     "revised_count": row["count"], "source": source}}
        for row in spans.sort("coin_id").iter_rows(named=True)
    ]


def _load_window(transaction: TransactionResource, source: CandleSource, coins: pl.DataFrame,
                 start: datetime, end: datetime, symbols: list[str]) -> dict[str, int]:
    """Fetch, validate and store whole days ``[start, end)`` in one transaction; returns counters."""
    batch = source.fetch(coins.get_column("symbol").to_list(), start, end)
    checked = validate_candles(closed_only(conform_candles(batch.candles), coins, utc_now()), coins)
    rejects = pl.concat([batch.rejects, checked.rejects], how="vertical_relaxed")
    coin_ids = coins.get_column("coin_id").to_list()
    with transaction.begin() as uow:
        queries = MarketDataQueries(uow.connection)
        before = queries.latest_per_coin(coin_ids)
        stored = uow.candles.write_candles(checked.accepted)
        written = stored.height
        uow.events.extend("candle_closed", candle_closed_events(checked.accepted, before, source.name))
        base = dict(coins.select("coin_id", "timeframe").iter_rows())
        uow.events.extend("candles_revised", candles_revised_events(stored, before, base, source.name))
        previous = queries.last_bars_before(coins.select("coin_id", "timeframe"), start)
        gaps = detect_gaps(queries.candles_frame(coin_ids, None, start, end), previous)
        uow.candles.replace_gaps(coin_ids, start, end, gaps)
        for day, day_rejects in _rejects_by_day(rejects, start, end).items():
            uow.candles.replace_rejects(batch_key(source.name, day, symbols), source.name, day_rejects)
        uow.coins.mark_history_synced(checked.accepted.get_column("coin_id").unique().to_list(), end)
        uow.commit()
    return {"fetched": batch.candles.height, "written": written, "accepted": checked.accepted.height,
            "rejected": rejects.height, "duplicates": checked.duplicates, "gaps": gaps.height,
            "missing_bars": int(gaps.get_column("missing_bars").sum() or 0)}


@dg.asset(
    group_name="market_data",
    kinds={"postgres", "polars"},
    deps=["coins"],
    partitions_def=market_daily_partition,
    backfill_policy=market_backfill_policy,
    check_specs=CANDLE_CHECKS,
    op_tags=CRITICAL_PATH,
)
def candles(
    context: dg.AssetExecutionContext,
    config: MarketScope,
    transaction: TransactionResource,
    candle_source: CandleSourceResource,
) -> dg.MaterializeResult:
    """Base OHLCV candles (each coin's base timeframe) for the UTC days of the partition range.

    Whole days are validated and written atomically (several per transaction for small universes,
    see ``day_chunks``): bad rows go to ``candle_rejects``
    with a reason, duplicates keep the last row, gaps are recorded in ``candle_gaps``. Re-running
    a partition writes identical rows.
    """
    start, end = run_window(context)
    source = candle_source.get_source()
    with transaction.begin() as uow:
        coins = MarketDataQueries(uow.connection).coin_frame(config.symbols or None)
    if coins.is_empty():
        raise dg.Failure(f"no enabled coins match {config.symbols or 'the universe'}; materialize `coins` first")
    totals: dict[str, int] = {}
    per_day = rows_per_day(coins.get_column("timeframe").to_list())
    for chunk_start, chunk_end in day_chunks(start, end, per_day):
        counters = _load_window(transaction, source, coins, chunk_start, chunk_end, config.symbols)
        for key, value in counters.items():
            totals[key] = totals.get(key, 0) + value
    context.log.info("candles %s..%s: %s", start.date(), end.date(), totals)
    with transaction.begin() as uow:
        queries = MarketDataQueries(uow.connection)
        coverage = queries.coverage(coins.get_column("coin_id").to_list(), start, end)
        check_results = candle_check_results(queries, start, end)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": coverage.rows,
            "symbols": coverage.symbols,
            "first_candle": str(coverage.first) if coverage.first else "",
            "last_candle": str(coverage.last) if coverage.last else "",
            "source": source.name,
            **dict(totals.items()),
        },
        check_results=check_results,
    )
