"""The detectors' input (``Bars``: one coin, one timeframe, closed candles) and output (``Hits``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import polars as pl

from ._arrays import BoolArray, FloatArray, IntArray, bar_index

T = TypeVar("T")
DirectionArray = npt.NDArray[np.int8]
BULLISH, BEARISH, NEUTRAL = 1, -1, 0


class Bars:
    """NumPy views of one series' OHLCV plus lazily converted indicator columns (null → NaN).

    ``memo`` caches derived arrays (pivots, slopes…) shared by several detectors of one run.
    """

    def __init__(self, frame: pl.DataFrame) -> None:
        self._frame = frame
        self._memo: dict[str, Any] = {}
        self.n = frame.height
        self.open = self.col("open")
        self.high = self.col("high")
        self.low = self.col("low")
        self.close = self.col("close")
        # Missing volume counts as 0, as in the reference's indicator map.
        self.volume = np.nan_to_num(self.col("volume"), nan=0.0) if "volume" in frame.columns else np.zeros(self.n)
        self.t: IntArray = bar_index(self.n)

    def col(self, name: str) -> FloatArray:
        """Column ``name`` as float64 (nulls → NaN); an all-NaN array when the frame lacks it."""
        key = f"col:{name}"
        if key not in self._memo:
            if name in self._frame.columns:
                series = self._frame.get_column(name).cast(pl.Float64)
                values = series.to_numpy().astype(np.float64, copy=True)
            else:
                values = np.full(self.n, np.nan)
            self._memo[key] = values
        result: FloatArray = self._memo[key]
        return result

    def has(self, name: str) -> bool:
        """True when the frame carries column ``name``."""
        return name in self._frame.columns

    def start(self, window: int) -> IntArray:
        """First bar of the ``window``-bar slice ending at each bar (0 while the history is shorter)."""
        return np.maximum(self.t - (window - 1), 0)

    def memo(self, key: str, factory: Callable[[], T]) -> T:
        """``factory()`` computed once per ``Bars`` and cached under ``key``."""
        if key not in self._memo:
            self._memo[key] = factory()
        value: T = self._memo[key]
        return value


@dataclass(frozen=True, slots=True)
class Hits:
    """Per-bar result of one detector: where it fired, in which direction, with what raw confidence.

    ``confidence`` is the reference's pre-clamp value; the engine clamps it per category.
    """

    fired: BoolArray
    direction: DirectionArray
    confidence: FloatArray

    @classmethod
    def one_sided(cls, fired: BoolArray, direction: int, confidence: FloatArray | float) -> Hits:
        """Hits that always carry ``direction`` (+1 bullish, -1 bearish, 0 neutral)."""
        fired = np.asarray(fired, dtype=bool)
        conf = np.broadcast_to(np.asarray(confidence, dtype=np.float64), fired.shape)
        return cls(fired, np.full(fired.shape, direction, dtype=np.int8), np.asarray(conf, dtype=np.float64))

    @classmethod
    def two_sided(
        cls,
        bullish: BoolArray,
        bearish: BoolArray,
        bull_confidence: FloatArray | float,
        bear_confidence: FloatArray | float | None = None,
    ) -> Hits:
        """Hits whose direction comes from the branch that fired (the bullish branch is checked first)."""
        bull_conf = np.broadcast_to(np.asarray(bull_confidence, dtype=np.float64), bullish.shape)
        bear_source = bull_confidence if bear_confidence is None else bear_confidence
        bear_conf = np.broadcast_to(np.asarray(bear_source, dtype=np.float64), bearish.shape)
        direction = np.where(bullish, BULLISH, np.where(bearish, BEARISH, NEUTRAL)).astype(np.int8)
        confidence = np.where(bullish, bull_conf, bear_conf)
        return cls(bullish | bearish, direction, confidence)


    @classmethod
    def either(cls, first: Hits, second: Hits) -> Hits:
        """Bars where either fired; ``first``'s direction and confidence win where both fired."""
        fired = first.fired | second.fired
        direction = np.where(first.fired, first.direction, second.direction).astype(np.int8)
        confidence = np.where(first.fired, first.confidence, second.confidence)
        return cls(fired, direction, confidence)


Detector = Callable[[Bars], Hits]
