"""Public entry of the pattern engine: every detection of one coin's closed candles of one timeframe.

``detect_all`` evaluates each detector at every bar (the reference's rule on the window ending at
that bar, using only bars up to it) in one vectorised pass per detector; ``detect_latest`` is the
incremental path (newest bar only) and returns exactly the newest bar's rows of ``detect_all``.
Detections are raw: the dependency gate, regime weighting and success gating live in ``context``.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import polars as pl

from . import (
    candlestick,
    continuation_flags,
    continuation_moves,
    momentum,
    structural_pivots,
    structural_shapes,
    volatility,
    volume,
)
from .bars import Bars, Detector
from .catalog import CATALOG, CONFIDENCE_CLAMPS, SUPPORTED_TIMEFRAMES, PatternSpec, is_detecting

DETECTORS: dict[str, Detector] = {
    **structural_pivots.DETECTORS,
    **structural_shapes.DETECTORS,
    **continuation_flags.DETECTORS,
    **continuation_moves.DETECTORS,
    **momentum.DETECTORS,
    **volatility.DETECTORS,
    **volume.DETECTORS,
    **candlestick.DETECTORS,
}
# The reference skips windows of fewer than 30 candles (§2.1 step 2, bootstrap from index 29).
PIPELINE_MIN_CANDLES = 30
# Candles the incremental path reads (the reference's lookback, §2.1); above every detector's window.
INCREMENTAL_BARS = 200
DIRECTIONS = {1: "bullish", -1: "bearish", 0: "neutral"}
REQUIRED_COLUMNS = ("timestamp", "open", "high", "low", "close")
# The indicator columns that detectors, the dependency gate (``context``), clusters and the market
# cycle read; the pattern step loads only these (27 of the indicator table's 60 columns: under half of
# the bytes to format, send and parse). tests/unit/patterns/test_pattern_inputs.py fails when a
# detector starts reading another one.
INDICATOR_INPUTS = (
    "atr_14", "average_volume_20", "bb_lower", "bb_middle", "bb_upper", "bb_width", "cdl_3_black_crows",
    "cdl_3_white_soldiers", "cdl_doji", "cdl_engulfing", "cdl_evening_star", "cdl_hammer", "cdl_morning_star",
    "cdl_shooting_star", "ema_200", "ema_50", "macd", "macd_histogram", "macd_signal", "market_regime",
    "price_change_24h_pct", "rsi_14", "sma_200", "trend", "trend_score", "volatility", "volume_change_24h_pct",
)


def detection_schema(timestamp: pl.DataType | None = None) -> dict[str, pl.DataType]:
    """Columns of a detection frame (``timestamp`` is the candle's open time, typed like the input)."""
    return {
        "timestamp": timestamp or pl.Datetime("us", "UTC"),
        "slug": pl.String(),
        "category": pl.String(),
        "direction": pl.String(),
        "confidence": pl.Float64(),
    }


def select_specs(slugs: Iterable[str] | None = None) -> tuple[PatternSpec, ...]:
    """Catalog entries to run: the named ``slugs``, or every enabled ACTIVE/EXPERIMENTAL detector."""
    if slugs is None:
        return tuple(spec for spec in CATALOG if is_detecting(spec))
    wanted = set(slugs)
    unknown = wanted.difference(spec.slug for spec in CATALOG)
    if unknown:
        raise ValueError(f"unknown pattern slugs: {sorted(unknown)}")
    return tuple(spec for spec in CATALOG if spec.slug in wanted)


def detect_all(frame: pl.DataFrame, timeframe: int, *, slugs: Iterable[str] | None = None) -> pl.DataFrame:
    """Every detection at every bar of ``frame`` (one coin, one timeframe, closed candles, time-sorted).

    ``frame`` holds timestamp, OHLC, volume and the indicator/feature columns; missing indicator
    columns only silence the detectors that read them. Returns timestamp, slug, category,
    direction (bullish / bearish / neutral), confidence (clamped per category), sorted by time
    then catalog order.
    """
    _validate(frame, timeframe)
    specs = select_specs(slugs)
    schema = detection_schema(frame.schema["timestamp"] if "timestamp" in frame.columns else None)
    if frame.height < PIPELINE_MIN_CANDLES or not specs:
        return pl.DataFrame(schema=schema)
    bars = Bars(frame)
    positions, orders, directions, confidences = [], [], [], []
    for order, spec in enumerate(specs):
        hits = DETECTORS[spec.slug](bars)
        first = max(spec.min_bars, PIPELINE_MIN_CANDLES) - 1
        low, high = CONFIDENCE_CLAMPS[spec.category]
        fired = hits.fired & (bars.t >= first) & np.isfinite(hits.confidence)
        index = np.flatnonzero(fired)
        positions.append(index)
        orders.append(np.full(index.shape[0], order, dtype=np.int32))
        directions.append(hits.direction[index])
        confidences.append(np.clip(hits.confidence[index], low, high))
    position = np.concatenate(positions)
    order_of = np.concatenate(orders)
    sort = np.lexsort((order_of, position))
    position, order_of = position[sort], order_of[sort]
    slugs_of = np.array([spec.slug for spec in specs], dtype=object)
    categories_of = np.array([spec.category for spec in specs], dtype=object)
    direction_names = np.array(["bearish", "neutral", "bullish"], dtype=object)
    return pl.DataFrame(
        {
            "timestamp": frame.get_column("timestamp").gather(position),
            "slug": pl.Series(slugs_of[order_of], dtype=pl.String),
            "category": pl.Series(categories_of[order_of], dtype=pl.String),
            "direction": pl.Series(direction_names[np.concatenate(directions)[sort] + 1], dtype=pl.String),
            "confidence": np.concatenate(confidences)[sort],
        },
        schema=schema,
    )


def detect_latest(frame: pl.DataFrame, timeframe: int, *, slugs: Iterable[str] | None = None) -> pl.DataFrame:
    """Detections at the newest bar only (the incremental path): reads the last ``INCREMENTAL_BARS`` bars.

    Equal to the newest bar's rows of ``detect_all`` on the whole history, because no detector
    reads more than its window (at most 90 bars) and every window statistic is computed per bar.
    """
    _validate(frame, timeframe)
    tail = frame.tail(INCREMENTAL_BARS)
    found = detect_all(tail, timeframe, slugs=slugs)
    if tail.is_empty():
        return found
    return found.filter(pl.col("timestamp") == tail.get_column("timestamp").item(-1))


def _validate(frame: pl.DataFrame, timeframe: int) -> None:
    if timeframe not in SUPPORTED_TIMEFRAMES:
        raise ValueError(f"timeframe must be one of {SUPPORTED_TIMEFRAMES}, got {timeframe}")
    missing = [name for name in REQUIRED_COLUMNS if name not in frame.columns]
    if missing:
        raise ValueError(f"candle frame lacks columns {missing}")
    if "coin_id" in frame.columns and frame.get_column("coin_id").n_unique() > 1:
        raise ValueError("detect one coin at a time (frame holds several coin_id values)")
    if frame.height > 1:
        stamps = frame.get_column("timestamp").to_physical().to_numpy()
        if not (stamps[1:] > stamps[:-1]).all():
            raise ValueError("timestamps must be strictly increasing")
