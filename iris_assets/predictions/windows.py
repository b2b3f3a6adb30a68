"""Bar-grid arithmetic shared by creation and evaluation (epoch-aligned, like the resampler)."""

from __future__ import annotations

import polars as pl

MINUTE_US = 60_000_000


def bar_us(timeframe: pl.Expr) -> pl.Expr:
    """The length of one bar of ``timeframe`` minutes, in microseconds."""
    return timeframe.cast(pl.Int64) * MINUTE_US


def window_start_us(created_at: pl.Expr, timeframe: pl.Expr) -> pl.Expr:
    """Open time (epoch µs) of the first bar that lies wholly after ``created_at``.

    A bar that opens exactly at creation qualifies (every trade in it happens after the claim was
    made); a bar already running at creation does not, because part of its range predates it.
    """
    step = bar_us(timeframe)
    created = created_at.dt.epoch("us")
    return (created + step - 1) // step * step


def utc(epoch_us: pl.Expr) -> pl.Expr:
    """Epoch microseconds → a UTC datetime."""
    return pl.from_epoch(epoch_us, time_unit="us").dt.replace_time_zone("UTC")
