"""Which daily partitions a batch of closed candles touches (pure; used by the new-candles sensor)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta


def affected_days(spans: Iterable[tuple[datetime, datetime]]) -> list[date]:
    """Every UTC day covered by ``(first, last)`` candle open times, in order, without duplicates.

    A batch spanning midnight touches both days: each day's partitions must be recomputed.
    """
    days: set[date] = set()
    for first, last in spans:
        day = first.date()
        while day <= last.date():
            days.add(day)
            day += timedelta(days=1)
    return sorted(days)


def live_days(now: datetime, lookback: timedelta = timedelta(hours=1)) -> list[date]:
    """The partitions a live poll at ``now`` covers: today, and yesterday right after midnight
    (the bar that closes at 00:00 belongs to yesterday's partition)."""
    return sorted({(now - lookback).date(), now.date()})
