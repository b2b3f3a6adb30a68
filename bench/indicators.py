"""Indicator benchmark: the project's engine against TA-Lib on 1,000,000 synthetic candles.

Both compute the same set (SMA 20/50/200, EMA 12/26/50/200, RSI 14, MACD 12/26/9, Bollinger 20/2,
ATR 14, ADX 14, OBV and eight candlestick patterns) on the same arrays in the same run, best of
three each (interleaved, so background load hits both alike). The engine's output is then compared
with TA-Lib's: floating columns by relative error after warm-up, candlestick columns exactly.

Usage: python bench/indicators.py [--candles 1000000] [--repeats 3]
The last line printed is ``RESULT {json}``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable

import numpy as np
import polars as pl
import talib

from iris_assets.indicators.engine import compute_indicators

FLOAT_COLUMNS = (
    "sma_20",
    "sma_50",
    "sma_200",
    "ema_12",
    "ema_26",
    "ema_50",
    "ema_200",
    "rsi_14",
    "macd",
    "macd_signal",
    "macd_histogram",
    "bb_upper",
    "bb_middle",
    "bb_lower",
    "atr_14",
    "adx_14",
    "obv",
)
CANDLE_FUNCTIONS = {
    "cdl_engulfing": "CDLENGULFING",
    "cdl_hammer": "CDLHAMMER",
    "cdl_doji": "CDLDOJI",
    "cdl_morning_star": "CDLMORNINGSTAR",
    "cdl_evening_star": "CDLEVENINGSTAR",
    "cdl_shooting_star": "CDLSHOOTINGSTAR",
    "cdl_3_white_soldiers": "CDL3WHITESOLDIERS",
    "cdl_3_black_crows": "CDL3BLACKCROWS",
}


def synthetic_candles(count: int, seed: int = 7) -> pl.DataFrame:
    """A seeded geometric random walk with valid OHLC (low <= open/close <= high) and volumes."""
    rng = np.random.default_rng(seed)
    close = 20_000.0 * np.exp(np.cumsum(rng.normal(0.0, 0.004, count)))
    open_ = np.concatenate(([close[0]], close[:-1])) * np.exp(rng.normal(0.0, 0.001, count))
    high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0.0, 0.003, count)))
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0.0, 0.003, count)))
    volume = rng.lognormal(3.0, 1.0, count)
    start = np.datetime64("2020-01-01T00:00:00", "ms")
    timestamps = start + np.arange(count) * np.timedelta64(15, "m")
    return pl.DataFrame(
        {"timestamp": timestamps, "open": open_, "high": high, "low": low, "close": close, "volume": volume}
    )


def talib_set(
    o: np.ndarray,
    h: np.ndarray,
    lo: np.ndarray,
    c: np.ndarray,
    v: np.ndarray,
) -> dict[str, np.ndarray]:
    """TA-Lib's outputs for the benchmark set, keyed like the engine's columns."""
    out = {f"sma_{p}": talib.SMA(c, p) for p in (20, 50, 200)}
    out.update({f"ema_{p}": talib.EMA(c, p) for p in (12, 26, 50, 200)})
    out["rsi_14"] = talib.RSI(c, 14)
    out["macd"], out["macd_signal"], out["macd_histogram"] = talib.MACD(c, 12, 26, 9)
    out["bb_upper"], out["bb_middle"], out["bb_lower"] = talib.BBANDS(c, 20, 2.0, 2.0, talib.MA_Type.SMA)
    out["atr_14"] = talib.ATR(h, lo, c, 14)
    out["adx_14"] = talib.ADX(h, lo, c, 14)
    out["obv"] = talib.OBV(c, v)
    for column, name in CANDLE_FUNCTIONS.items():
        function = getattr(talib, name)
        with_penetration = name in ("CDLMORNINGSTAR", "CDLEVENINGSTAR")
        out[column] = function(o, h, lo, c, 0.3) if with_penetration else function(o, h, lo, c)
    return out


def best_of(repeats: int, runs: list[Callable[[], object]]) -> list[float]:
    """Best wall time of each callable over ``repeats`` interleaved rounds."""
    best = [float("inf")] * len(runs)
    for _ in range(repeats):
        for i, run in enumerate(runs):
            started = time.perf_counter()
            run()
            best[i] = min(best[i], time.perf_counter() - started)
    return best


def relative_errors(engine: pl.DataFrame, reference: dict[str, np.ndarray]) -> dict[str, float]:
    """Max ``|engine - talib| / |talib|`` per column over TA-Lib's defined, non-zero values."""
    errors: dict[str, float] = {}
    for column in FLOAT_COLUMNS:
        ours = engine.get_column(column).to_numpy()
        theirs = reference[column]
        if not np.array_equal(np.isnan(ours), ~np.isfinite(theirs)):
            raise AssertionError(f"{column}: null positions differ from TA-Lib's NaN positions")
        defined = np.isfinite(theirs) & (theirs != 0.0)
        diff = np.abs(ours[defined] - theirs[defined]) / np.abs(theirs[defined])
        errors[column] = float(diff.max()) if diff.size else 0.0
    return errors


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--candles", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    frame = synthetic_candles(args.candles)
    arrays = [frame.get_column(name).to_numpy() for name in ("open", "high", "low", "close", "volume")]
    columns = [*FLOAT_COLUMNS, *CANDLE_FUNCTIONS]
    print(f"{args.candles:,} candles; {len(columns)} output columns", flush=True)

    compute_indicators(frame.head(1000), columns=columns)  # warm the worker thread and imports
    engine_s, talib_s = best_of(
        args.repeats, [lambda: compute_indicators(frame, columns=columns), lambda: talib_set(*arrays)]
    )
    engine = compute_indicators(frame, columns=columns)
    reference = talib_set(*arrays)
    errors = relative_errors(engine, reference)
    mismatches = {
        column: int(np.count_nonzero(engine.get_column(column).to_numpy() != reference[column]))
        for column in CANDLE_FUNCTIONS
    }
    worst = max(errors, key=lambda name: errors[name])
    print("max relative error per column: " + json.dumps(errors, sort_keys=True))
    print(f"candlestick mismatches: {json.dumps(mismatches, sort_keys=True)}")
    ratio = engine_s / talib_s
    print(f"engine {engine_s:.3f}s  talib {talib_s:.3f}s  ratio {ratio:.2f}  worst column {worst}")
    payload = {
        "candles": args.candles,
        "engine_s": round(engine_s, 4),
        "talib_s": round(talib_s, 4),
        "ratio": round(engine_s / talib_s, 3),
        "max_rel_err": errors[worst],
        "max_rel_err_column": worst,
        "candle_mismatches": sum(mismatches.values()),
    }
    print("RESULT " + json.dumps(payload, sort_keys=True))


if __name__ == "__main__":
    main()
