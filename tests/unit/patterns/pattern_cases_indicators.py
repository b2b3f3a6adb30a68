"""Constructed momentum, volatility, volume and candlestick cases."""

from __future__ import annotations

import numpy as np
import polars as pl

from tests.unit.patterns.pattern_builders import candles
from tests.unit.patterns.pattern_cases import Builder, Case, closes, series, volumes, with_last_bar, zigzag

DIVERGENCE_UP = [(5, 90), (10, 96), (25, 89.5), (26, 90), (27, 90.5)]
DIVERGENCE_DOWN = [(5, 110), (10, 104), (25, 110.5), (26, 110), (27, 109.5)]
FALL = [(20, 95)]
RISE = [(20, 105)]
V_SHAPE = [(30, 90), (60, 100)]
STEADY_FALL = [(60, 90)]


def accelerating(power: float = 2.0, sign: float = 1.0) -> Builder:
    return series(100 * (1 + sign * 0.0002 * np.arange(40.0) ** power))


def ohlc(close: np.ndarray, high: np.ndarray, low: np.ndarray, volume: np.ndarray | None = None) -> Builder:
    """Explicit closes/highs/lows after a 60-bar flat lead (open = previous close)."""
    def build() -> pl.DataFrame:
        lead = np.full(60, close[0])
        full = np.concatenate((lead, close))
        vol = None if volume is None else np.concatenate((np.full(60, 1000.0), volume))
        open_ = np.concatenate(([full[0]], full[:-1]))
        hi = np.maximum(np.concatenate((lead * 1.001, high)), np.maximum(open_, full))
        lo = np.minimum(np.concatenate((lead * 0.999, low)), np.minimum(open_, full))
        return candles(full, open_=open_, high=hi, low=lo, volume=vol)
    return build


def squeeze(last: float) -> Builder:
    values = np.concatenate((zigzag(30, 100, 3, 3), [110.0], np.full(19, 100.0), [last]))
    return series(values)


def narrow(last: float) -> Builder:
    close = zigzag(20, 100, 0.5, 0.5)
    high, low = close + 1.0, close - 1.0
    high[-2], low[-2] = close[-2] + 0.1, close[-2] - 0.1
    close = close.copy()
    close[-1] = last
    high[-1], low[-1] = max(last, close[-2]) + 0.1, min(last, close[-2]) - 0.1
    return ohlc(close, high, low)


def ranges(calm: int, wild: int, calm_first: bool, wild_range: float = 4.0) -> Builder:
    """Flat closes with small (±0.1) or large (±``wild_range``/2) bar ranges."""
    close = np.full(calm + wild, 100.0)
    spans = np.concatenate((np.full(calm, 0.2), np.full(wild, wild_range)))
    if not calm_first:
        spans = spans[::-1]
    return ohlc(close, close + spans / 2, close - spans / 2)


def reversal(tail: list[float]) -> Builder:
    return series(np.concatenate((zigzag(30, 100, 0.3, 0.3), np.array(tail))))


MOMENTUM: dict[str, Case] = {
    "rsi_divergence": Case(closes(DIVERGENCE_UP), "bullish", closes(DIVERGENCE_UP, last=89.8)),
    "macd_divergence": Case(closes(DIVERGENCE_UP), "bullish", closes([(5, 90), (10, 96), (25, 91), (27, 92)])),
    "macd_cross": Case(closes(V_SHAPE), "bullish", closes(STEADY_FALL), tail=30),
    "momentum_exhaustion": Case(series(np.concatenate((100 * 1.01 ** np.arange(30.0), [134.0, 134.1]))), "bearish",
                                series(zigzag(32, 100, 1, 1))),
    "rsi_reclaim": Case(closes(FALL, last=100.0), "bullish", closes(FALL, last=97.0)),
    "rsi_rejection": Case(closes(RISE, last=100.0), "bearish", closes(RISE, last=103.0)),
    "rsi_failure_swing_bullish": Case(closes([(20, 95), (22, 95.6)]), "bullish", closes([(20, 95), (22, 94.6)])),
    "rsi_failure_swing_bearish": Case(closes([(20, 105), (22, 104.4)]), "bearish", closes([(20, 105), (22, 105.4)])),
    "macd_zero_cross_bullish": Case(closes(V_SHAPE), "bullish", closes(STEADY_FALL), tail=30),
    "macd_zero_cross_bearish": Case(closes([(30, 110), (60, 100)]), "bearish", closes([(60, 110)]), tail=30),
    "macd_histogram_expansion_bullish": Case(accelerating(), "bullish", accelerating(sign=-1.0)),
    "macd_histogram_expansion_bearish": Case(accelerating(sign=-1.0), "bearish", accelerating()),
    "trend_acceleration": Case(closes([(10, 103), (19, 108)]), "bullish", closes([(10, 103), (19, 105)])),
    "trend_deceleration": Case(closes([(10, 97), (19, 92)]), "bearish", closes([(10, 97), (19, 95)])),
}

VOLATILITY: dict[str, Case] = {
    "bollinger_squeeze": Case(squeeze(101.6), "bullish", squeeze(101.0)),
    "bollinger_expansion": Case(series(zigzag(30, 100, 0.1, 0.1), last=104.0), "bullish",
                                series(zigzag(30, 100, 0.1, 0.1))),
    "atr_spike": Case(ohlc(np.full(40, 100.0), np.r_[np.full(39, 100.1), 110.0], np.r_[np.full(39, 99.9), 90.0]),
                      "bearish", ohlc(np.full(40, 100.0), np.r_[np.full(39, 100.1), 100.3],
                                      np.r_[np.full(39, 99.9), 99.7])),
    "volatility_compression": Case(series(np.concatenate((zigzag(40, 100, 3, 3), np.full(25, 100.0)))), "neutral",
                                   series(zigzag(65, 100, 3, 3))),
    "volatility_expansion_breakout": Case(series(zigzag(30, 100, 0.1, 0.1), last=104.0), "bullish",
                                          series(zigzag(30, 100, 0.1, 0.1), last=100.05)),
    "atr_compression": Case(ranges(12, 40, calm_first=False), "neutral", ranges(12, 40, calm_first=True)),
    "atr_release": Case(ranges(40, 5, calm_first=True), "neutral", ranges(45, 0, calm_first=True)),
    "narrow_range_breakout": Case(narrow(102.0), "bullish", narrow(100.0)),
    "band_walk_bullish": Case(series(np.r_[zigzag(30, 100, 0.1, 0.1), 102, 104, 106, 108]), "bullish",
                              series(zigzag(34, 100, 3, 3))),
    "band_walk_bearish": Case(series(np.r_[zigzag(30, 100, 0.1, 0.1), 98, 96, 94, 92]), "bearish",
                              series(zigzag(34, 100, 3, 3))),
    "mean_reversion_snap": Case(series(np.concatenate((zigzag(30, 100, 0.2, 0.2), [104.0, 99.0]))), "bearish",
                                series(np.concatenate((zigzag(30, 100, 0.2, 0.2), [104.0, 103.0])))),
    "volatility_reversal_bullish": Case(reversal([100, 103, 98, 104, 97, 101]), "bullish",
                                        reversal([100, 103, 98, 104, 97, 96])),
    "volatility_reversal_bearish": Case(reversal([100, 97, 102, 96, 104, 99]), "bearish",
                                        reversal([100, 97, 102, 96, 104, 105])),
}

FLAT = zigzag(30, 100, 0.5, 0.5)
UP_10 = np.concatenate((np.full(20, 100.0), np.linspace(100, 106, 11)[1:]))
DOWN_10 = np.concatenate((np.full(20, 100.0), np.linspace(100, 94, 11)[1:]))
RUN_UP = np.concatenate((np.full(20, 100.0), np.linspace(100, 110, 11)[1:], [111.0]))
DIVERGING = np.concatenate((zigzag(30, 102, 2, 2), np.linspace(103, 106, 10)))
FADING = np.concatenate((np.full(30, 1000.0), np.full(10, 500.0)))
UP_DOWN = np.where(np.arange(30) % 2 == 0, 1.0, -0.8).cumsum() + 100
FLOW_UP = np.where(np.arange(30) % 2 == 0, 1500.0, 1000.0)


def last_bar(closes_: np.ndarray, **fields: float) -> Builder:
    return with_last_bar(series(closes_), **fields)


VOLUME: dict[str, Case] = {
    "volume_spike": Case(series(FLAT, volume=volumes(30, 2500)), "neutral", series(FLAT, volume=volumes(30, 1500))),
    "volume_climax": Case(last_bar(UP_10, open=106.0, close=106.2, high=107.5, low=105.0, volume=3000), "bearish",
                          last_bar(UP_10, open=106.0, close=106.2, high=107.5, low=105.0, volume=2000)),
    "volume_divergence": Case(series(DIVERGING, volume=FADING), "bearish", series(DIVERGING)),
    "volume_dry_up": Case(series(FLAT, volume=volumes(30, 500)), "bullish", series(FLAT, volume=volumes(30, 900))),
    "volume_breakout_confirmation": Case(series(FLAT, last=103.0, volume=volumes(30, 2000)), "bullish",
                                         series(FLAT, last=103.0, volume=volumes(30, 1500))),
    "accumulation_volume": Case(series(UP_DOWN, volume=FLOW_UP), "bullish", series(UP_DOWN)),
    "distribution_volume": Case(series(200 - UP_DOWN, volume=FLOW_UP), "bearish", series(200 - UP_DOWN)),
    "churn_bar": Case(last_bar(FLAT, open=100.0, close=100.1, high=101.5, low=98.5, volume=2500), "neutral",
                      last_bar(FLAT, open=100.0, close=100.1, high=101.5, low=98.5, volume=2000)),
    "effort_result_divergence_bullish": Case(last_bar(FLAT, open=100.0, close=101.0, high=101.2, low=99.9,
                                                      volume=2000), "bullish",
                                             last_bar(FLAT, open=100.0, close=101.0, high=101.2, low=99.9,
                                                      volume=1500)),
    "effort_result_divergence_bearish": Case(last_bar(FLAT, open=100.0, close=99.0, high=100.1, low=98.8,
                                                      volume=2000), "bearish",
                                             last_bar(FLAT, open=100.0, close=99.0, high=100.1, low=98.8,
                                                      volume=1500)),
    "relative_volume_breakout": Case(series(FLAT, last=102.0, volume=volumes(30, 2500)), "bullish",
                                     series(FLAT, last=102.0, volume=volumes(30, 1500))),
    "volume_follow_through_bullish": Case(series(UP_10, last=107.0, volume=volumes(30, 1600)), "bullish",
                                          series(UP_10, last=107.0, volume=volumes(30, 1300))),
    "volume_follow_through_bearish": Case(series(DOWN_10, last=93.0, volume=volumes(30, 1600)), "bearish",
                                          series(DOWN_10, last=93.0, volume=volumes(30, 1300))),
    "buying_climax": Case(last_bar(np.r_[RUN_UP, 111.0], open=111.0, close=110.0, volume=3000), "bearish",
                          last_bar(np.r_[RUN_UP, 111.0], open=111.0, close=110.0, volume=2000)),
    "selling_climax": Case(last_bar(np.r_[200 - RUN_UP, 89.0], open=89.0, close=90.0, volume=3000), "bullish",
                           last_bar(np.r_[200 - RUN_UP, 89.0], open=89.0, close=90.0, volume=2000)),
    "volume_trend_confirmation_bullish": Case(series(UP_10, volume=volumes(30, 1500)), "bullish",
                                              series(UP_10, volume=volumes(30, 1100))),
    "volume_trend_confirmation_bearish": Case(series(DOWN_10, volume=volumes(30, 1500)), "bearish",
                                              series(DOWN_10, volume=volumes(30, 1100))),
}


def candle_column(column: str, value: int) -> Builder:
    """A flat series whose ``column`` reads ``value`` on the last bar (TA-Lib parity is tested upstream)."""
    def build() -> pl.DataFrame:
        frame = series(FLAT)()
        marks = np.zeros(frame.height, dtype=np.int32)
        marks[-1] = value
        return frame.with_columns(pl.Series(column, marks, dtype=pl.Int32))
    return build


CANDLE_VALUES = {"cdl_engulfing": (100, "bullish"), "cdl_hammer": (100, "bullish"), "cdl_doji": (100, "neutral"),
                 "cdl_morning_star": (100, "bullish"), "cdl_evening_star": (-100, "bearish"),
                 "cdl_shooting_star": (-100, "bearish"), "cdl_3_white_soldiers": (100, "bullish"),
                 "cdl_3_black_crows": (-100, "bearish")}
CANDLESTICK: dict[str, Case] = {
    column: Case(candle_column(column, value), direction, candle_column(column, 0))
    for column, (value, direction) in CANDLE_VALUES.items()
}
