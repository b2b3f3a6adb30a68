"""Constructed structural and continuation cases (the pattern completes on the last bar)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from tests.unit.patterns.pattern_builders import candles
from tests.unit.patterns.pattern_cases import Builder, Case, closes, series, zigzag

HS = [(10, 110), (18, 104), (28, 118), (38, 104), (46, 110), (52, 106), (53, 102)]
IHS = [(10, 90), (18, 96), (28, 82), (38, 96), (46, 90), (52, 94), (53, 98)]
DOUBLE_TOP = [(10, 110), (20, 104), (30, 110), (36, 106), (37, 103)]
TRIPLE_TOP = [(10, 110), (18, 104), (26, 110), (34, 104), (42, 110), (48, 106), (49, 103)]
ASC = [(6, 110), (12, 102), (18, 110), (24, 105), (30, 110), (36, 107.5), (40, 110), (41, 111.5)]
SYM = [(6, 104), (12, 97), (18, 103), (24, 98), (30, 102), (36, 99), (40, 101), (41, 105)]
EXPANDING = [(6, 102), (12, 98), (18, 104), (24, 96), (30, 106), (36, 94), (40, 100), (41, 107)]
ROUNDED = [(15, 100), (35, 88), (58, 100), (68, 100), (69, 101)]
DIAMOND = np.concatenate((zigzag(18, 100, 1, 1), zigzag(24, 100, 6, 6), zigzag(18, 100, 0.4, 0.4)))
FLAT_BASE = [(20, 110), (34, 111), (35, 113)]


def mirror(points: Sequence[tuple[float, float]], around: float = 100.0) -> list[tuple[float, float]]:
    """The upside-down shape (tops become bottoms)."""
    return [(x, 2 * around - y) for x, y in points]


def channel_frame(bars: int, top: float, bottom: float, top_end: float, bottom_end: float, last: float) -> Builder:
    """Bars riding between two lines (high on the upper, low on the lower); the last close is ``last``.

    Closes alternate between the lines every other bar so both trend lines are well defined.
    """
    def build() -> pl.DataFrame:
        i = np.arange(bars)
        upper = top + (top_end - top) * i / (bars - 1)
        lower = bottom + (bottom_end - bottom) * i / (bars - 1)
        close = np.where(i % 2 == 0, upper - 0.2 * (upper - lower), lower + 0.2 * (upper - lower))
        close[-1] = last
        open_ = np.concatenate(([close[0]], close[:-1]))
        high = np.maximum(upper, np.maximum(open_, close))
        low = np.minimum(lower, np.minimum(open_, close))
        high[-1] = max(open_[-1], close[-1]) * 1.001
        low[-1] = min(open_[-1], close[-1]) * 0.999
        lead = np.full(60, close[0])
        return candles(
            np.concatenate((lead, close)), open_=np.concatenate((lead, open_)),
            high=np.concatenate((lead * 1.001, high)), low=np.concatenate((lead * 0.999, low)),
        )
    return build


def box(last: float) -> Builder:
    return series(zigzag(44, 102.0, 2.0, 2.0, period=8), last=last)


STRUCTURAL: dict[str, Case] = {
    "head_shoulders": Case(closes(HS), "bearish", closes(HS, last=105)),
    "inverse_head_shoulders": Case(closes(IHS), "bullish", closes(IHS, last=95)),
    "double_top": Case(closes(DOUBLE_TOP), "bearish", closes(DOUBLE_TOP, last=105)),
    "double_bottom": Case(closes(mirror(DOUBLE_TOP)), "bullish", closes(mirror(DOUBLE_TOP), last=95)),
    "triple_top": Case(closes(TRIPLE_TOP), "bearish", closes(TRIPLE_TOP, last=105)),
    "triple_bottom": Case(closes(mirror(TRIPLE_TOP)), "bullish", closes(mirror(TRIPLE_TOP), last=95)),
    "ascending_triangle": Case(closes(ASC), "bullish", closes(ASC, last=109)),
    "descending_triangle": Case(closes(mirror(ASC)), "bearish", closes(mirror(ASC), last=91)),
    "symmetrical_triangle": Case(closes(SYM), "bullish", closes(SYM, last=101)),
    "expanding_triangle": Case(closes(EXPANDING), "bullish", closes(EXPANDING, last=101)),
    # Fixed rules (DECISIONS 11): the breakout close sits above the bar's own low / below its high.
    "rising_wedge": Case(channel_frame(45, 110, 100, 116, 114, 112.0), "bearish",
                         channel_frame(45, 110, 100, 116, 114, 115.0)),
    "falling_wedge": Case(channel_frame(45, 110, 96, 101, 94, 103.0), "bullish",
                          channel_frame(45, 110, 96, 101, 94, 96.0)),
    "rectangle_top": Case(box(99.0), "bearish", box(101.0)),
    "rectangle_bottom": Case(box(105.0), "bullish", box(103.0)),
    "broadening_top": Case(series(zigzag(50, 100.0, 0.5, 6.0), last=92.0), "bearish",
                           series(zigzag(50, 100.0, 0.5, 6.0), last=100.0)),
    "broadening_bottom": Case(series(zigzag(50, 100.0, 0.5, 6.0), last=108.0), "bullish",
                              series(zigzag(50, 100.0, 0.5, 6.0), last=100.0)),
    "descending_channel_breakout": Case(channel_frame(45, 130, 126, 108, 104, 117.0), "bullish",
                                        channel_frame(45, 130, 126, 108, 104, 106.0)),
    "ascending_channel_breakdown": Case(channel_frame(45, 104, 100, 126, 122, 113.0), "bearish",
                                        channel_frame(45, 104, 100, 126, 122, 124.0)),
    "rounded_bottom": Case(closes(ROUNDED), "bullish", closes(ROUNDED, last=99)),
    "rounded_top": Case(closes(mirror(ROUNDED)), "bearish", closes(mirror(ROUNDED), last=101)),
    "diamond_bottom": Case(series(DIAMOND, last=101.0), "bullish", series(DIAMOND, last=100.2)),
    "diamond_top": Case(series(DIAMOND, last=99.0), "bearish", series(DIAMOND, last=99.8)),
    "flat_base": Case(closes(FLAT_BASE), "bullish", closes(FLAT_BASE, last=110.5)),
}

FLAG = [(0, 100), (13, 108), (22, 104.5), (23, 105.8)]
POLE = [(0, 100), (16, 115), (17, 114), (26, 114.5), (27, 116)]
CUP = [(10, 110), (19, 109), (40, 95), (62, 109), (70, 105), (79, 111)]
RETEST = [*zip(range(20), [100.0, 104.0] * 10, strict=True), (20, 100), (21, 104), (22, 106), (23, 107),
          (24, 106), (25, 105), (26, 104.5), (27, 105)]


def pennant_frame(last: float) -> Builder:
    """A 10 % pole, then 10 bars between a falling upper and a rising lower line, then ``last``."""
    def build() -> pl.DataFrame:
        pole = np.linspace(100.0, 110.0, 15)
        i = np.arange(11)
        upper = 111.0 - 1.5 * i / 10
        lower = 105.0 + 2.0 * i / 10
        inside = np.where(i % 2 == 0, lower + 0.3, upper - 0.3)
        inside[-4] = lower[-4] + 0.1
        inside[-1] = last
        close = np.concatenate((np.full(60, 100.0), pole, inside))
        open_ = np.concatenate(([100.0], close[:-1]))
        high = np.maximum(open_, close) * 1.0005
        low = np.minimum(open_, close) * 0.9995
        high[-11:] = np.maximum(upper, np.maximum(open_[-11:], close[-11:]))
        low[-11:] = np.minimum(lower, np.minimum(open_[-11:], close[-11:]))
        return candles(close, open_=open_, high=high, low=low)
    return build


def stairs(last_step: float) -> Builder:
    values = 100 + 0.5 * np.arange(40.0)
    return series(values, last=last_step if last_step else None)


CONTINUATION: dict[str, Case] = {
    "bull_flag": Case(closes(FLAG), "bullish", closes(FLAG, last=104.0)),
    "bear_flag": Case(closes(mirror(FLAG)), "bearish", closes(mirror(FLAG), last=96.0)),
    "pennant": Case(pennant_frame(109.3), "bullish", pennant_frame(107.5)),
    "cup_and_handle": Case(closes(CUP), "bullish", closes(CUP, last=108)),
    "breakout_retest": Case(closes(RETEST), "bullish", closes(RETEST, last=102)),
    "consolidation_breakout": Case(series(zigzag(24, 102, 2, 2), last=106.0), "bullish",
                                   series(zigzag(24, 102, 2, 2), last=103.0)),
    "high_tight_flag": Case(closes(POLE), "bullish", closes(POLE, last=114.8)),
    "falling_channel_breakout": Case(channel_frame(45, 130, 126, 108, 104, 120.0), "bullish",
                                     channel_frame(45, 130, 126, 108, 104, 106.0)),
    "rising_channel_breakdown": Case(channel_frame(45, 104, 100, 126, 122, 110.0), "bearish",
                                     channel_frame(45, 104, 100, 126, 122, 124.0)),
    "measured_move_bullish": Case(closes([(0, 100), (12, 106), (24, 103), (35, 107)]), "bullish",
                                  closes([(0, 100), (12, 106), (24, 103), (35, 104)])),
    "measured_move_bearish": Case(closes([(0, 100), (12, 94), (24, 97), (35, 93)]), "bearish",
                                  closes([(0, 100), (12, 94), (24, 97), (35, 96)])),
    "base_breakout": Case(closes([(0, 100), (19, 106), (33, 107)], last=109), "bullish",
                          closes([(0, 100), (19, 106), (33, 107)], last=106.5)),
    "volatility_contraction_breakout": Case(series(np.concatenate((zigzag(24, 104, 4, 4), zigzag(12, 104.5, .5, .5))),
                                                   last=106.0), "bullish",
                                            series(np.concatenate((zigzag(24, 104, 4, 4), zigzag(12, 104.5, .5, .5))),
                                                   last=104.5)),
    "volatility_contraction_breakdown": Case(series(np.concatenate((zigzag(24, 104, 4, 4),
                                                                    zigzag(12, 104.5, .5, .5))), last=103.0),
                                             "bearish",
                                             series(np.concatenate((zigzag(24, 104, 4, 4),
                                                                    zigzag(12, 104.5, .5, .5))), last=104.5)),
    "pullback_continuation_bullish": Case(closes([(0, 100), (14, 106), (20, 104), (23, 106)]), "bullish",
                                          closes([(0, 100), (14, 106), (20, 104), (23, 104.5)])),
    "pullback_continuation_bearish": Case(closes([(0, 100), (14, 94), (20, 96), (23, 94)]), "bearish",
                                          closes([(0, 100), (14, 94), (20, 96), (23, 95.5)])),
    "squeeze_breakout": Case(series(zigzag(25, 101, 1, 1), last=103.0), "bullish",
                             series(zigzag(25, 101, 1, 1), last=101.5)),
    "trend_pause_breakout": Case(closes([(0, 100), (20, 107), (27, 107.5)], last=109), "bullish",
                                 closes([(0, 100), (20, 107), (27, 107.5)], last=107.4)),
    "handle_breakout": Case(closes([(20, 110), (40, 105), (49, 107)], last=111), "bullish",
                            closes([(20, 110), (40, 105), (49, 107)], last=109)),
    "stair_step_continuation": Case(stairs(0.0), "bullish", stairs(119.0)),
}
