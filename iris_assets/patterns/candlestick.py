"""Candlestick detectors: the indicator engine's TA-Lib ``cdl_*`` columns as pattern detections.

Not in the reference (it had no candlestick category). TA-Lib's sign gives the direction where the
pattern has two forms (engulfing); one-sided patterns take their catalog side and the doji is
neutral. Confidence is a per-pattern base (multi-candle confirmations score higher than single
candles), lowered by 0.04 where TA-Lib reports strength 80 (an engulfing whose bodies share an end).
"""

from __future__ import annotations

import numpy as np

from .bars import BEARISH, BULLISH, NEUTRAL, Bars, Detector, Hits

# column -> (direction: None = TA-Lib's sign, base confidence)
_CANDLES: dict[str, tuple[int | None, float]] = {
    "cdl_engulfing": (None, 0.66),
    "cdl_hammer": (BULLISH, 0.62),
    "cdl_doji": (NEUTRAL, 0.56),
    "cdl_morning_star": (BULLISH, 0.68),
    "cdl_evening_star": (BEARISH, 0.68),
    "cdl_shooting_star": (BEARISH, 0.62),
    "cdl_3_white_soldiers": (BULLISH, 0.70),
    "cdl_3_black_crows": (BEARISH, 0.70),
}


def _candle(column: str) -> Detector:
    side, base = _CANDLES[column]

    def detect(bars: Bars) -> Hits:
        """Fires wherever the TA-Lib column is non-zero."""
        values = np.nan_to_num(bars.col(column), nan=0.0)
        fired = values != 0
        confidence = base - (100.0 - np.abs(values)) / 500.0  # strength 80 → 0.04 lower
        if side is None:
            return Hits.two_sided(fired & (values > 0), fired & (values < 0), confidence)
        return Hits.one_sided(fired, side, confidence)

    return detect


DETECTORS: dict[str, Detector] = {column: _candle(column) for column in _CANDLES}
