"""Computing every requested indicator for one contiguous series, split into parallel tasks.

The tasks are independent and their heavy parts (NumPy kernels, Polars recursions) release the GIL,
so two worker threads keep both cores busy. Each task returns ``{column: array}``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from ._core import EwmJob, FloatArray, run_ewm
from ._sums import running_means
from .candle_settings import CandleContext
from .candlesticks import CANDLE_PATTERNS, detect_patterns
from .directional import adx_job, directional_lines, directional_movement, wilder_sum_from_atr, wilder_sum_job
from .moving_averages import ema_job, macd_fast_job, macd_line, macd_outputs, macd_signal_job
from .oscillators import cci, mom, roc, rsi_from_averages, rsi_jobs, stoch, stochrsi, willr
from .volatility import atr_job, bollinger_bands, bollinger_width, natr_from_atr, true_range
from .volume import mfi, obv, relative_volume

SMA_PERIODS = (20, 50, 200)
EMA_PERIODS = (12, 20, 26, 50, 200)
Columns = dict[str, np.ndarray]


@dataclass(frozen=True, slots=True)
class Block:
    """One contiguous series (one coin) and the set of columns requested from it."""

    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray
    wanted: frozenset[str]

    def need(self, *names: str) -> bool:
        """True when any of ``names`` was requested."""
        return not self.wanted.isdisjoint(names)


def compute_block(block: Block) -> Columns:
    """All requested columns of ``block``; tasks whose columns were not requested are skipped."""
    # Longest first, so the two workers finish close together.
    tasks: list[Callable[[Block], Columns]] = [_candles, _momentum, _averages, _trend, _volume_and_extras]
    futures = [_executor().submit(task, block) for task in tasks]
    out: Columns = {}
    for future in futures:
        out.update(future.result())
    return {name: values for name, values in out.items() if name in block.wanted}


_EXECUTOR: list[ThreadPoolExecutor] = []
_EXECUTOR_LOCK = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    """Two long-lived worker threads shared by all callers, created on first use.

    Tasks never submit further tasks, so concurrent callers only queue behind each other.
    """
    with _EXECUTOR_LOCK:
        if not _EXECUTOR:
            _EXECUTOR.append(ThreadPoolExecutor(max_workers=2, thread_name_prefix="iris-indicators"))
        return _EXECUTOR[0]


def _candles(block: Block) -> Columns:
    columns = [name for name in CANDLE_PATTERNS if block.need(name)]
    if not columns:
        return {}
    context = CandleContext(block.open, block.high, block.low, block.close)
    return dict(detect_patterns(context, columns))


def _trend(block: Block) -> Columns:
    """EMAs and MACD: one batch of recursions, then the signal line."""
    close = block.close
    jobs: dict[str, EwmJob] = {f"ema_{p}": ema_job(close, p) for p in EMA_PERIODS if block.need(f"ema_{p}")}
    macd_wanted = block.need("macd", "macd_signal", "macd_histogram")
    if macd_wanted:
        jobs["macd_fast"] = macd_fast_job(close, 12, 26)
        jobs.setdefault("ema_26", ema_job(close, 26))
    legs = dict(zip(jobs, run_ewm(list(jobs.values())), strict=True))
    out: Columns = {name: values for name, values in legs.items() if name.startswith("ema_")}
    if macd_wanted:
        line = macd_line(legs["macd_fast"], legs["ema_26"], 26)
        (signal,) = run_ewm([macd_signal_job(line, 26, 9)])
        out["macd"], out["macd_signal"], out["macd_histogram"] = macd_outputs(line, signal, 26, 9)
    return out


def _momentum(block: Block) -> Columns:
    """RSI, true range, ATR/NATR and the directional system (+DI, -DI, ADX)."""
    high, low, close = block.high, block.low, block.close
    directional = block.need("adx_14", "plus_di_14", "minus_di_14")
    atr_wanted = directional or block.need("atr_14", "natr_14")
    jobs: dict[str, EwmJob] = {}
    if block.need("rsi_14"):
        jobs["rsi_gain"], jobs["rsi_loss"] = rsi_jobs(close, 14)
    tr = true_range(high, low, close) if atr_wanted or block.need("true_range") else None
    if tr is not None and atr_wanted:
        jobs["atr_14"] = atr_job(tr, 14)
    if tr is not None and directional:
        plus_dm, minus_dm = directional_movement(high, low)
        jobs["dm_plus"], jobs["dm_minus"] = wilder_sum_job(plus_dm, 14), wilder_sum_job(minus_dm, 14)
    result = dict(zip(jobs, run_ewm(list(jobs.values())), strict=True))
    out: Columns = {}
    if tr is not None:
        out["true_range"] = tr
    if "rsi_gain" in result:
        out["rsi_14"] = rsi_from_averages(result["rsi_gain"], result["rsi_loss"])
    if "atr_14" in result:
        out["atr_14"] = result["atr_14"]
        if block.need("natr_14"):
            out["natr_14"] = natr_from_atr(result["atr_14"], close)
    if tr is not None and directional:
        tr_sum = wilder_sum_from_atr(result["atr_14"], tr, 14)
        lines = directional_lines(result["dm_plus"], result["dm_minus"], tr_sum, 14)
        out.update(plus_di_14=lines.plus_di, minus_di_14=lines.minus_di)
        out["adx_14"] = run_ewm([adx_job(lines.dx, 14)])[0]
    return out


def _averages(block: Block) -> Columns:
    """SMAs of the close, volume SMA and Bollinger Bands (the middle band is the SMA 20)."""
    requests = {f"sma_{p}": (block.close, p) for p in SMA_PERIODS if block.need(f"sma_{p}")}
    bands = block.need("bb_upper", "bb_middle", "bb_lower", "bb_width")
    if bands:
        requests.setdefault("sma_20", (block.close, 20))
    if block.need("volume_sma_20"):
        requests["volume_sma_20"] = (block.volume, 20)
    out: Columns = dict(zip(requests, running_means(list(requests.values())), strict=True))
    if bands:
        upper, middle, lower = bollinger_bands(block.close, 20, 2.0, middle=out["sma_20"])
        width = bollinger_width(upper, middle, lower)
        out.update(bb_upper=upper, bb_middle=middle, bb_lower=lower, bb_width=width)
    return out


def _volume_and_extras(block: Block) -> Columns:
    """OBV, relative volume and the extra oscillators (each a single pass over the arrays)."""
    high, low, close, volume, need = block.high, block.low, block.close, block.volume, block.need
    out: Columns = {}
    if need("obv"):
        out["obv"] = obv(close, volume)
    if need("volume_ratio_20"):
        out["volume_ratio_20"] = relative_volume(volume, 20)
    if need("stoch_k", "stoch_d"):
        out["stoch_k"], out["stoch_d"] = stoch(high, low, close)
    if need("stochrsi_k", "stochrsi_d"):
        out["stochrsi_k"], out["stochrsi_d"] = stochrsi(close)
    if need("cci_14"):
        out["cci_14"] = cci(high, low, close, 14)
    if need("willr_14"):
        out["willr_14"] = willr(high, low, close, 14)
    if need("mfi_14"):
        out["mfi_14"] = mfi(high, low, close, volume, 14)
    if need("roc_10"):
        out["roc_10"] = roc(close, 10)
    if need("mom_10"):
        out["mom_10"] = mom(close, 10)
    return out
