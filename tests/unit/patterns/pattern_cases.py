"""Constructed series for every detector: one where it must fire (direction given) and a near miss.

A case's frames are built lazily. ``tail`` is how many final bars are searched: 1 for shapes built
so the pattern completes on the last bar; more for indicator events whose exact bar depends on
the indicator's smoothing. The near miss must not fire anywhere in that tail.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from tests.unit.patterns.pattern_builders import candles, shape

Builder = Callable[[], pl.DataFrame]
LEAD = [(0, 100.0), (60, 100.0)]  # a flat lead-in: indicators warm up, pivots there are all older


@dataclass(frozen=True)
class Case:
    """The fire / miss frames of one detector."""

    fire: Builder
    direction: str
    miss: Builder
    tail: int = 1


def closes(points: Sequence[tuple[float, float]], last: float | None = None, **kwargs: object) -> Builder:
    """Closes through ``points`` after the flat lead (bars offset by 60); ``last`` replaces the final close."""
    def build() -> pl.DataFrame:
        values = shape([*LEAD, *((x + 60, y) for x, y in points)])
        if last is not None:
            values[-1] = last
        return candles(values, **kwargs)  # type: ignore[arg-type]
    return build


def zigzag(n: int, centre: float, start_amp: float, end_amp: float, period: int = 4, slope: float = 0.0) -> np.ndarray:
    """Closes alternating around ``centre + slope * i`` with an amplitude moving from start to end."""
    i = np.arange(n)
    amp = start_amp + (end_amp - start_amp) * i / max(n - 1, 1)
    wave = np.where((i // (period // 2)) % 2 == 0, 1.0, -1.0)
    return centre + slope * i + amp * wave


def series(
    values: np.ndarray, last: float | None = None, volume: np.ndarray | None = None, **kwargs: object
) -> Builder:
    """A flat 60-bar lead at ``values[0]`` followed by ``values`` (``last`` replaces the final close)."""
    def build() -> pl.DataFrame:
        full = np.concatenate((np.full(60, values[0]), values))
        if last is not None:
            full[-1] = last
        vol = None if volume is None else np.concatenate((np.full(60, 1000.0), volume))
        return candles(full, volume=vol, **kwargs)  # type: ignore[arg-type]
    return build


def with_last_bar(base: Builder, **fields: float) -> Builder:
    """``base`` with the last bar's OHLCV fields replaced (indicators recomputed)."""
    def build() -> pl.DataFrame:
        frame = base()
        raw = {name: frame.get_column(name).to_numpy().copy() for name in ("open", "high", "low", "close", "volume")}
        for name, value in fields.items():
            raw[name][-1] = value
        return candles(raw["close"], open_=raw["open"], high=raw["high"], low=raw["low"], volume=raw["volume"])
    return build


def volumes(n: int, last: float, base: float = 1000.0) -> np.ndarray:
    """Constant volume with a different last value."""
    out = np.full(n, base)
    out[-1] = last
    return out
