"""Partitions: every time-series asset is partitioned by UTC day (symbols travel in run config)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import dagster as dg

from iris_resources.settings import get_settings

# end_offset=1 exposes today's (still filling) partition for the live chain.
market_daily_partition = dg.DailyPartitionsDefinition(
    start_date=get_settings().partitions_start, timezone="UTC", end_offset=1
)

# Ranges launched by an operator run as one run per 31 days, not one run per tiny partition.
market_backfill_policy = dg.BackfillPolicy.multi_run(max_partitions_per_run=31)


def run_window(context: dg.AssetExecutionContext) -> tuple[datetime, datetime]:
    """The UTC [start, end) the run covers (one partition or a backfill range)."""
    window = context.partition_time_window
    return window.start.astimezone(UTC), window.end.astimezone(UTC)


def days(start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Consecutive UTC days of ``[start, end)``: each is written in its own transaction."""
    day = start
    while day < end:
        yield day, min(day + timedelta(days=1), end)
        day += timedelta(days=1)
