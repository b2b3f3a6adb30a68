"""Partitions: every time-series asset is partitioned by UTC day (symbols travel in run config)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import dagster as dg
import polars as pl

from iris_resources.settings import get_settings

# end_offset=1 exposes today's (still filling) partition for the live chain.
market_daily_partition = dg.DailyPartitionsDefinition(
    start_date=get_settings().partitions_start, timezone="UTC", end_offset=1
)

# Ranges launched by an operator run as one run per 31 days (``IRIS_BACKFILL_DAYS_PER_RUN``), not one
# run per tiny partition: warm-ups (indicator seeds, detector windows) are paid once per run.
market_backfill_policy = dg.BackfillPolicy.multi_run(max_partitions_per_run=get_settings().backfill_days_per_run)


def run_window(context: dg.AssetExecutionContext) -> tuple[datetime, datetime]:
    """The UTC [start, end) the run covers (one partition or a backfill range)."""
    window = context.partition_time_window
    return window.start.astimezone(UTC), window.end.astimezone(UTC)


def days(start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Consecutive UTC days of ``[start, end)``."""
    day = start
    while day < end:
        yield day, min(day + timedelta(days=1), end)
        day += timedelta(days=1)


def day_chunks(start: datetime, end: datetime, rows_per_day: int,
               row_budget: int = 400_000) -> Iterator[tuple[datetime, datetime]]:
    """Runs of whole UTC days holding about ``row_budget`` rows: one transaction each.

    Whole days keep every partition atomic (a killed run never leaves half a day); several days
    per transaction keep small universes from paying a round of statements per day.
    """
    span = max(1, row_budget // max(rows_per_day, 1))
    chunk = start
    while chunk < end:
        chunk_end = min(chunk + timedelta(days=span), end)
        yield chunk, chunk_end
        chunk = chunk_end


def rows_per_day(base_timeframes: list[int]) -> int:
    """Base candles a universe produces per UTC day."""
    return sum(1440 // max(tf, 1) for tf in base_timeframes)


COINS_PER_CHUNK = 20


def coin_chunks(coins: pl.DataFrame, size: int = COINS_PER_CHUNK) -> Iterator[pl.DataFrame]:
    """``coins`` (one row per coin) in slices of ``size``: per-coin assets process a large universe in
    pieces so that memory follows the chunk, not the universe."""
    for offset in range(0, coins.height, size):
        yield coins.slice(offset, size)
