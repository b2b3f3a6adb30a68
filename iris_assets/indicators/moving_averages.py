"""Moving averages and MACD with TA-Lib's seeding and warm-up (``TA_SMA``, ``TA_EMA``, ``TA_MACD``)."""

from __future__ import annotations

from ._core import ArrayInput, EwmJob, FloatArray, as_float, run_ewm
from ._sums import running_mean, sequential_sum


def _check_period(period: int, minimum: int = 1) -> None:
    if period < minimum:
        raise ValueError(f"period must be >= {minimum}, got {period}")


def ema_alpha(period: int) -> float:
    """TA-Lib's ``PER_TO_K``: ``2 / (period + 1)``."""
    return 2.0 / float(period + 1)


def sma(values: ArrayInput, period: int) -> FloatArray:
    """Simple moving average; first value at index ``period - 1``. Bit-identical to ``talib.SMA``."""
    _check_period(period)
    return running_mean(as_float(values), period)


def ema_job(values: FloatArray, period: int) -> EwmJob:
    """The EMA recursion seeded like TA-Lib: the SMA of the first ``period`` values at ``period - 1``."""
    _check_period(period)
    seed = sequential_sum(values[:period]) / float(period) if values.shape[0] >= period else 0.0
    return EwmJob(values, ema_alpha(period), period - 1, seed)


def ema(values: ArrayInput, period: int) -> FloatArray:
    """Exponential moving average, ``k = 2/(period+1)``, SMA-seeded; matches ``talib.EMA`` to ~1e-15."""
    data = as_float(values)
    return run_ewm([ema_job(data, period)])[0]


def macd_lookback(slow: int, signal: int) -> int:
    """First index where ``talib.MACD`` returns values (33 for 12/26/9): all three outputs share it."""
    return (slow - 1) + (signal - 1)


def macd_fast_job(values: FloatArray, fast: int, slow: int) -> EwmJob:
    """MACD's fast EMA: TA-Lib seeds it at the slow EMA's first bar, not at ``fast - 1``.

    The seed is the mean of the ``fast`` values ending at ``slow - 1`` (the tail of the slow seed
    window), so this leg is not ``EMA(fast)``; the slow leg is exactly ``EMA(slow)`` and is reused.
    """
    seed = sequential_sum(values[slow - fast : slow]) / float(fast) if values.shape[0] >= slow else 0.0
    return EwmJob(values, ema_alpha(fast), slow - 1, seed)


def macd_line(fast_leg: FloatArray, ema_slow: FloatArray, slow: int) -> FloatArray:
    """The MACD line ``fast - slow`` from bar ``slow - 1`` (TA-Lib outputs it from the signal's start)."""
    line: FloatArray = fast_leg - ema_slow
    line[: slow - 1] = float("nan")
    return line


def macd_signal_job(line: FloatArray, slow: int, signal: int) -> EwmJob:
    """The signal EMA over the MACD line, seeded with the mean of its first ``signal`` values."""
    seed_index = macd_lookback(slow, signal)
    first = slow - 1
    seed = sequential_sum(line[first : seed_index + 1]) / float(signal) if line.shape[0] > seed_index else 0.0
    return EwmJob(line, ema_alpha(signal), seed_index, seed)


def macd_outputs(
    line: FloatArray, signal_line: FloatArray, slow: int, signal: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``(macd, signal, histogram)`` with TA-Lib's common first index for all three outputs."""
    start = min(macd_lookback(slow, signal), line.shape[0])
    macd_out = line.copy()
    macd_out[:start] = float("nan")
    histogram: FloatArray = macd_out - signal_line
    return macd_out, signal_line, histogram


def macd(
    values: ArrayInput, fast: int = 12, slow: int = 26, signal: int = 9
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``talib.MACD``: ``(macd, macd_signal, macd_histogram)``, all first defined at ``slow + signal - 2``."""
    _check_period(fast, 2)
    _check_period(slow, 2)
    _check_period(signal)
    if slow < fast:  # TA-Lib swaps them silently; so do we.
        fast, slow = slow, fast
    data = as_float(values)
    fast_leg, ema_slow = run_ewm([macd_fast_job(data, fast, slow), ema_job(data, slow)])
    line = macd_line(fast_leg, ema_slow, slow)
    (signal_line,) = run_ewm([macd_signal_job(line, slow, signal)])
    return macd_outputs(line, signal_line, slow, signal)
