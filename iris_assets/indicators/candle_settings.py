"""TA-Lib candle settings and the per-series context the candlestick functions share.

A TA-Lib "candle setting" says what "long", "short", "near"... mean: the average of a range (real
body, high-low, or upper+lower shadows) over the ``period`` candles *before* the one being judged,
times a factor (``period == 0`` compares with the candle's own range). TA-Lib keeps each average as a
running total seeded at the function's own first bar; ``running_total`` reproduces those bits, which
is what makes exact ties (common with decimal prices) resolve the same way as in TA-Lib.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from ._core import ArrayInput, BoolArray, FloatArray, IndexArray, as_float
from ._sums import running_totals


class RangeType(Enum):
    """What a candle setting measures (``TA_RangeType``)."""

    REAL_BODY = "real_body"
    HIGH_LOW = "high_low"
    SHADOWS = "shadows"


@dataclass(frozen=True, slots=True)
class CandleSetting:
    """One entry of ``TA_CandleDefaultSettings``: range type, averaging period and factor."""

    range_type: RangeType
    period: int
    factor: float


# TA-Lib's defaults (ta_global.c), unchanged since 0.4.
BODY_LONG = CandleSetting(RangeType.REAL_BODY, 10, 1.0)
BODY_VERY_LONG = CandleSetting(RangeType.REAL_BODY, 10, 3.0)
BODY_SHORT = CandleSetting(RangeType.REAL_BODY, 10, 1.0)
BODY_DOJI = CandleSetting(RangeType.HIGH_LOW, 10, 0.1)
SHADOW_LONG = CandleSetting(RangeType.REAL_BODY, 0, 1.0)
SHADOW_VERY_LONG = CandleSetting(RangeType.REAL_BODY, 0, 2.0)
SHADOW_SHORT = CandleSetting(RangeType.SHADOWS, 10, 1.0)
SHADOW_VERY_SHORT = CandleSetting(RangeType.HIGH_LOW, 10, 0.1)
NEAR = CandleSetting(RangeType.HIGH_LOW, 5, 0.2)
FAR = CandleSetting(RangeType.HIGH_LOW, 5, 0.6)
EQUAL = CandleSetting(RangeType.HIGH_LOW, 5, 0.05)


@dataclass
class CandleContext:
    """OHLC arrays plus the derived ranges and setting averages, computed once and shared."""

    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    body: FloatArray = field(init=False)
    high_low: FloatArray = field(init=False)
    white: BoolArray = field(init=False)
    body_top: FloatArray = field(init=False)
    body_bottom: FloatArray = field(init=False)
    upper_shadow: FloatArray = field(init=False)
    lower_shadow: FloatArray = field(init=False)
    _totals: dict[tuple[RangeType, int, int], FloatArray | None] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        # The exact expressions of TA-Lib's TA_REALBODY / TA_HIGHLOWRANGE / TA_UPPERSHADOW macros.
        self.body = np.abs(self.close - self.open)
        self.high_low = self.high - self.low
        self.white = self.close >= self.open
        self.body_top = np.maximum(self.close, self.open)
        self.body_bottom = np.minimum(self.close, self.open)
        self.upper_shadow = self.high - self.body_top
        self.lower_shadow = self.body_bottom - self.low

    @classmethod
    def from_ohlc(
        cls,
        open_: ArrayInput,
        high: ArrayInput,
        low: ArrayInput,
        close: ArrayInput,
    ) -> CandleContext:
        """Build a context from any array-likes or Polars Series."""
        return cls(as_float(open_), as_float(high), as_float(low), as_float(close))

    @property
    def length(self) -> int:
        """Number of candles."""
        return int(self.close.shape[0])

    def candle_range(self, setting: CandleSetting) -> FloatArray:
        """``TA_CANDLERANGE``: the per-candle quantity the setting averages."""
        if setting.range_type is RangeType.REAL_BODY:
            return self.body
        if setting.range_type is RangeType.HIGH_LOW:
            return self.high_low
        return self.upper_shadow + self.lower_shadow

    def prepare(self, needs: Iterable[tuple[CandleSetting, int]]) -> None:
        """Build the running totals of several ``(setting, seed candle)`` pairs in one batch.

        Settings sharing a range type and period (e.g. Near and Far) share one total.
        """
        keys = {
            (setting.range_type, setting.period, start): setting
            for setting, start in needs
            if setting.period and (setting.range_type, setting.period, start) not in self._totals
        }
        requests = [(self.candle_range(setting), key[1], key[2]) for key, setting in keys.items()]
        self._totals.update(zip(keys, running_totals(requests), strict=True))

    def average(self, setting: CandleSetting, start: int, bars: IndexArray | slice) -> FloatArray:
        """``TA_CANDLEAVERAGE`` at candles ``bars`` (indices or a slice), totals seeded at ``start``.

        Only the running totals span the series (cached, shared by every pattern seeded at the same
        candle); the factor is applied to the requested candles only, in TA-Lib's operation order
        ``factor * (total / period) / divisor``. Candles before ``start`` must not be requested.
        """
        if setting.period == 0:
            average = setting.factor * self.candle_range(setting)[bars]
        else:
            key = (setting.range_type, setting.period, start)
            if key not in self._totals:
                self.prepare([(setting, start)])
            total = self._totals[key]
            if total is None:  # series shorter than the seed candle: nothing can be requested
                return np.zeros(0, dtype=np.float64)
            local = slice(bars.start - start, bars.stop - start) if isinstance(bars, slice) else bars - start
            average = setting.factor * (total[local] / float(setting.period))
        if setting.range_type is RangeType.SHADOWS:
            average = average / 2.0
        return average
