"""Deterministic seeding windows, so indicator values never depend on how a backfill was split.

Recursive indicators (EMA, Wilder RSI/ATR/ADX, MACD) remember their seed forever, fading
geometrically. Computing from the first candle every time would make a daily run read years of
history; computing from "the run's start minus some warm-up" would give slightly different numbers
for the same bar depending on the run. Instead time is cut into epoch-aligned blocks of
``BLOCK_BARS`` bars, and every bar of a block is computed from the same seed: ``WARMUP_BARS`` bars
before the block's start (or the first candle, if later). A bar's value is therefore a function of
the bar alone, whatever range a run covers; and after 3,000 bars the seed's weight in an EMA-200 is
(199/201)^3000 ≈ 1e-13, so values equal the full-history (TA-Lib) definition to ~1e-12 relative.
OBV, a running sum, is continued from the full-history value instead (see ``obv_through``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

BLOCK_BARS = 3_000
WARMUP_BARS = 3_000
# Price changes look 7 days back: the warm-up must at least cover that (1m/5m bases).
MIN_WARMUP = timedelta(days=8)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class SeedBlock:
    """Compute ``[seed, stop)``, keep ``[keep_start, stop)``."""

    seed: datetime
    keep_start: datetime
    stop: datetime


def seed_blocks(timeframe: int, start: datetime, end: datetime) -> Iterator[SeedBlock]:
    """The blocks covering ``[start, end)`` at ``timeframe`` minutes, clipped to the window."""
    span = timedelta(minutes=timeframe * BLOCK_BARS)
    warmup = max(timedelta(minutes=timeframe * WARMUP_BARS), MIN_WARMUP)
    index = (start - _EPOCH) // span
    block_start = _EPOCH + index * span
    while block_start < end:
        block_end = block_start + span
        yield SeedBlock(seed=block_start - warmup, keep_start=max(block_start, start), stop=min(block_end, end))
        block_start = block_end
