"""Public entry of the indicator engine: ``compute_indicators`` adds indicator columns to a candle frame.

Rows are processed per group (coin) as consecutive bars: gaps (missing bars) are not filled, so an
indicator spans whatever rows precede it, exactly as TA-Lib would on the same array. Warm-up rows are
null; candlestick columns are int32 in TA-Lib's convention (0 during their lookback).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import polars as pl

from ._block import EMA_PERIODS, SMA_PERIODS, Block, compute_block
from ._core import FloatArray
from .candlesticks import CANDLE_PATTERNS

PRICE_COLUMNS = ("open", "high", "low", "close")


# What the reference's snapshots, detectors and signals consume (reference 3.3/3.4/3.10, patterns 2.2).
CORE_COLUMNS: tuple[str, ...] = (
    *(f"sma_{p}" for p in SMA_PERIODS),
    *(f"ema_{p}" for p in EMA_PERIODS),
    "rsi_14",
    "macd",
    "macd_signal",
    "macd_histogram",
    "bb_upper",
    "bb_middle",
    "bb_lower",
    "bb_width",
    "true_range",
    "atr_14",
    "adx_14",
    "plus_di_14",
    "minus_di_14",
    "obv",
    "volume_sma_20",
    "volume_ratio_20",
)
# Further TA-Lib oscillators offered alongside (same parity guarantees, not used by the reference).
EXTRA_COLUMNS: tuple[str, ...] = (
    "natr_14",
    "stoch_k",
    "stoch_d",
    "stochrsi_k",
    "stochrsi_d",
    "cci_14",
    "willr_14",
    "mfi_14",
    "roc_10",
    "mom_10",
)
CANDLE_COLUMNS: tuple[str, ...] = tuple(CANDLE_PATTERNS)
ALL_COLUMNS: tuple[str, ...] = CORE_COLUMNS + EXTRA_COLUMNS + CANDLE_COLUMNS


def compute_indicators(
    candles: pl.DataFrame, by: str | None = None, *, columns: Iterable[str] | None = None
) -> pl.DataFrame:
    """Return ``candles`` (same rows, same order) with one column per indicator.

    ``candles`` needs open/high/low/close/volume (and optionally timestamp and the ``by`` column),
    sorted by ``(by, timestamp)``. ``columns`` selects a subset of ``ALL_COLUMNS`` (default: all).
    Null volumes count as 0 (as in the reference); null or non-finite prices are rejected.
    """
    wanted = _resolve_columns(columns)
    bounds = _group_bounds(candles, by)
    prices = [_price_array(candles, name) for name in PRICE_COLUMNS]
    volume = candles.get_column("volume").cast(pl.Float64).fill_null(0.0).to_numpy()
    if not np.isfinite(volume).all():
        raise ValueError("volume contains non-finite values")
    outputs: dict[str, np.ndarray] = {}
    for start, stop in bounds:
        o, h, lo, c = (values[start:stop] for values in prices)
        part = compute_block(Block(o, h, lo, c, volume[start:stop], wanted))
        if len(bounds) == 1:  # one series: use the arrays as they are, no copy into a frame-sized buffer
            outputs = part
            break
        for name, values in part.items():
            if name not in outputs:
                outputs[name] = np.empty(candles.height, dtype=values.dtype)
            outputs[name][start:stop] = values
    series = [
        pl.Series(name, outputs.get(name, np.empty(0)), nan_to_null=True)
        if name not in CANDLE_PATTERNS
        else pl.Series(name, outputs.get(name, np.empty(0, dtype=np.int32)), dtype=pl.Int32)
        for name in ALL_COLUMNS
        if name in wanted
    ]
    return candles.with_columns(series)


def _resolve_columns(columns: Iterable[str] | None) -> frozenset[str]:
    if columns is None:
        return frozenset(ALL_COLUMNS)
    wanted = frozenset(columns)
    unknown = wanted.difference(ALL_COLUMNS)
    if unknown:
        raise ValueError(f"unknown indicator columns: {sorted(unknown)}")
    return wanted


def _price_array(candles: pl.DataFrame, name: str) -> FloatArray:
    values = candles.get_column(name).cast(pl.Float64)
    if values.null_count():
        raise ValueError(f"{name} contains nulls")
    array = values.to_numpy()
    if not np.isfinite(array).all():
        raise ValueError(f"{name} contains non-finite values")
    return array


def _group_bounds(candles: pl.DataFrame, by: str | None) -> list[tuple[int, int]]:
    """``[start, stop)`` row ranges of each group; each group must be one contiguous, time-sorted run."""
    height = candles.height
    if height == 0:
        return []
    if by is None:
        starts = np.array([0])
    else:
        keys = candles.get_column(by)
        changed = (keys.slice(1) != keys.slice(0, height - 1)).fill_null(True).to_numpy()
        starts = np.concatenate(([0], np.flatnonzero(changed) + 1))
        if keys.n_unique() != starts.shape[0]:
            raise ValueError(f"rows of each {by!r} group must be contiguous (sort by {by!r}, timestamp)")
    stops = np.append(starts[1:], height)
    if "timestamp" in candles.columns:
        stamps = candles.get_column("timestamp").to_physical().to_numpy()
        increasing = stamps[1:] > stamps[:-1]
        increasing[stops[:-1] - 1] = True  # a new group may start at any time
        if not increasing.all():
            raise ValueError("timestamps must be strictly increasing within each group")
    return [(int(a), int(b)) for a, b in zip(starts, stops, strict=True)]
