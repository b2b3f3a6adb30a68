"""Outcomes of signals at their horizons (pure; reference 2.9 with DECISIONS.md 4 and 12).

A signal at candle open time t enters at that candle's close. Horizons are counted in bars of the
signal's timeframe (``BAR_HORIZONS``) plus the reference's wall-clock 24 h / 72 h variants (the
first candle closing at or after t + Δ). Returns are signed in the trade direction; the maximum
adverse excursion (MAE) is the worst move against the trade between entry and the horizon.
A horizon whose candle does not exist yet stays null (re-evaluated when later candles arrive).
"""

from __future__ import annotations

import numpy as np
import polars as pl

BAR_HORIZONS = (4, 12, 24)
CLOCK_HORIZONS = {"24h": 24 * 60, "72h": 72 * 60}
LONG_TYPES = {"golden_cross", "bullish_breakout", "rsi_oversold"}
SHORT_TYPES = {"death_cross", "bearish_breakdown", "rsi_overbought"}


def _sparse(values: np.ndarray, op: np.ufunc) -> list[np.ndarray]:
    """Sparse table for O(1) range min/max queries over ``values``."""
    table = [values]
    width = 1
    while width * 2 <= values.size:
        previous = table[-1]
        table.append(op(previous[:-width], previous[width:]))
        width *= 2
    return table


def _range(table: list[np.ndarray], op: np.ufunc, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """op over values[lo..hi] inclusive (lo ≤ hi)."""
    length = hi - lo + 1
    level = np.floor(np.log2(np.maximum(length, 1))).astype(np.int64)
    out = np.empty(lo.size)
    for k in np.unique(level):
        mask = level == k
        width = 1 << int(k)
        out[mask] = op(table[k][lo[mask]], table[k][hi[mask] - width + 1])
    return out


def _signed(direction: np.ndarray) -> np.ndarray:
    return np.where(direction == "bearish", -1.0, 1.0)


def evaluate_outcomes(signals: pl.DataFrame, candles: pl.DataFrame, timeframe: int) -> pl.DataFrame:
    """``signals`` (coin_id, timestamp, direction and any other columns, kept) of one timeframe with
    their outcome columns.

    ``candles``: coin_id, timestamp (open), high, low, close of that timeframe, closed only.
    Adds entry_price and for each horizon ``return_<h>`` and ``mae_<h>`` (h in 4b/12b/24b/24h/72h),
    plus ``result_return`` (72h else 24h) and ``result_drawdown``; rows keep the order of ``signals``.
    """
    # An outcome depends on the coin, the bar and the direction only: the several signals of one bar
    # and side share one trade (2.4 signals per trade in a backfill), computed once.
    trades = signals.select("coin_id", "timestamp", "direction").unique()
    # One pass splits the candles per coin (filtering them once per coin rescans them for every coin).
    bars_by_coin = candles.partition_by("coin_id", as_dict=True)
    empty = candles.clear()
    frames = []
    for (coin_id,), own in trades.group_by("coin_id"):
        bars = bars_by_coin.get((coin_id,), empty).sort("timestamp")
        frames.append(_coin_outcomes(own.sort("timestamp"), bars, timeframe))
    if not frames:
        return pl.DataFrame()
    outcomes = pl.concat(frames, how="diagonal_relaxed")
    return signals.join(outcomes, on=["coin_id", "timestamp", "direction"], how="left", maintain_order="left")


def _coin_outcomes(signals: pl.DataFrame, bars: pl.DataFrame, timeframe: int) -> pl.DataFrame:
    n = bars.height
    times = bars.get_column("timestamp").dt.epoch("us").to_numpy()
    close, high, low = (bars.get_column(c).to_numpy() for c in ("close", "high", "low"))
    at = signals.get_column("timestamp").dt.epoch("us").to_numpy()
    index = np.searchsorted(times, at)
    found = (index < n) & (times[np.minimum(index, n - 1)] == at) if n else np.zeros(at.size, bool)
    entry = np.where(found, close[np.minimum(index, max(n - 1, 0))] if n else np.nan, np.nan)
    sign = _signed(signals.get_column("direction").to_numpy())
    lows, highs = (_sparse(low, np.minimum), _sparse(high, np.maximum)) if n else ([], [])
    step_us = timeframe * 60_000_000
    columns: dict[str, np.ndarray] = {}
    targets: dict[str, np.ndarray] = {f"{h}b": index + h for h in BAR_HORIZONS}
    for name, minutes in CLOCK_HORIZONS.items():
        # first candle whose close (open + step) is at or after t + Δ
        targets[name] = np.searchsorted(times + step_us, at + minutes * 60_000_000)
    for name, target in targets.items():
        ok = found & (target > index) & (target < n)
        safe_target = np.where(ok, target, 0)
        exit_price = np.where(ok, close[safe_target] if n else np.nan, np.nan)
        columns[f"return_{name}"] = np.where(ok, sign * (exit_price - entry) / entry, np.nan)
        lo = np.where(ok, index + 1, 0)
        hi = np.where(ok, safe_target, 0)
        worst_low = _range(lows, np.minimum, lo, hi) if n else np.full(at.size, np.nan)
        worst_high = _range(highs, np.maximum, lo, hi) if n else np.full(at.size, np.nan)
        adverse = np.where(sign > 0, (worst_low - entry) / entry, (entry - worst_high) / entry)
        columns[f"mae_{name}"] = np.where(ok, adverse, np.nan)
    result = np.where(np.isnan(columns["return_72h"]), columns["return_24h"], columns["return_72h"])
    drawdown = np.where(np.isnan(columns["mae_72h"]), columns["mae_24h"], columns["mae_72h"])
    return signals.select("coin_id", "timestamp", "direction").with_columns(
        pl.Series("entry_price", entry),
        *(pl.Series(k, v).fill_nan(None) for k, v in columns.items()),
        pl.Series("result_return", result).fill_nan(None),
        pl.Series("result_drawdown", drawdown).fill_nan(None),
    )
