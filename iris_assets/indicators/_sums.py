"""Bit-exact running sums: TA-Lib's sequential totals expressed as cumulative sums.

``np.cumsum`` accumulates strictly left to right, so feeding it the exact sequence of additions a
TA-Lib loop performs reproduces that loop's rounding bit for bit. A cumulative sum is bound by the
latency of each addition, not by memory; two independent sums therefore run as the real and
imaginary parts of one ``complex128`` cumsum (complex addition adds the parts separately, so each
part keeps its own exact sequence), which halves the cost.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import polars as pl

from ._core import BoolArray, FloatArray

# A sequence to accumulate: its length and a function writing its terms into a given buffer.
Terms = tuple[int, Callable[[FloatArray], None]]


def sequential_sum(values: FloatArray) -> float:
    """Sum from 0.0 strictly left to right, like TA-Lib's seed loops (``math.fsum``/pairwise would differ)."""
    if values.shape[0] == 0:
        return 0.0
    return float(np.cumsum(values)[-1])


def cumsum_many(sequences: Sequence[Terms]) -> list[FloatArray]:
    """Exact cumulative sums of several sequences, two at a time through one complex cumsum.

    The terms are written straight into the real/imaginary halves of the buffer (no staging copy);
    the results are views into it.
    """
    results: list[FloatArray] = []
    for first in range(0, len(sequences), 2):
        pair = sequences[first : first + 2]
        size = max(length for length, _ in pair)
        if len(pair) == 1:
            single = np.empty(size, dtype=np.float64)
            pair[0][1](single)
            results.append(np.cumsum(single, out=single))
            continue
        packed = np.empty(size, dtype=np.complex128)
        for part, (length, write) in zip((packed.real, packed.imag), pair, strict=True):
            write(part[:length])
            part[length:] = 0.0
        np.cumsum(packed, out=packed)
        parts = zip((packed.real, packed.imag), pair, strict=True)
        results.extend(part[:length] for part, (length, _) in parts)
    return results


def _window_terms(values: FloatArray, period: int) -> Terms:
    """TA-Lib's SMA loop as additions: ``x_0..x_{p-2}``, then ``+x_k`` and ``-x_{k-p+1}`` per bar.

    TA-Lib adds the new value, reads the total, then subtracts the trailing value; replaying the
    interleaved terms gives the total it reads at every other position.
    """
    count = values.shape[0] - period + 1

    def write(out: FloatArray) -> None:
        out[: period - 1] = values[: period - 1]
        out[period - 1 :: 2] = values[period - 1 :]
        np.negative(values[:count], out=out[period::2])

    return period - 1 + 2 * count, write


def window_operations(values: FloatArray, period: int) -> FloatArray:
    """The additions TA-Lib's running window sum performs, in order (see ``_window_terms``)."""
    length, write = _window_terms(values, period)
    operations = np.empty(length, dtype=np.float64)
    write(operations)
    return operations


def segmented_cumsum(values: FloatArray, restart: BoolArray) -> FloatArray:
    """Exact left-to-right cumulative sum that starts again from 0.0 wherever ``restart`` is set.

    Subtracting the running value at a restart would round later sums differently, so each segment
    is accumulated on its own (Polars' ``cum_sum`` per segment, also strictly sequential).
    """
    if not restart.any():
        return np.cumsum(values)
    frame = pl.DataFrame({"value": values, "segment": np.cumsum(restart)})
    return frame.select(pl.col("value").cum_sum().over("segment")).to_series().to_numpy()


def running_means(requests: Sequence[tuple[FloatArray, int]]) -> list[FloatArray]:
    """TA-Lib SMAs (``TA_INT_SMA``) of several ``(values, period)``, bit-exact; NaN before ``period - 1``."""
    outputs = [np.full(values.shape[0], np.nan) for values, _ in requests]
    ready = [i for i, (values, period) in enumerate(requests) if 1 <= period <= values.shape[0]]
    totals = cumsum_many([_window_terms(*requests[i]) for i in ready])
    for i, total in zip(ready, totals, strict=True):
        period = requests[i][1]
        np.divide(total[period - 1 :: 2], float(period), out=outputs[i][period - 1 :])
    return outputs


def running_mean(values: FloatArray, period: int) -> FloatArray:
    """TA-Lib's SMA of one series, bit-exact."""
    return running_means([(values, period)])[0]


def window_sums(values: FloatArray, period: int) -> FloatArray:
    """TA-Lib's running window total itself (the SMA before the division); NaN before ``period - 1``."""
    out = np.full(values.shape[0], np.nan)
    if 1 <= period <= values.shape[0]:
        (total,) = cumsum_many([_window_terms(values, period)])
        out[period - 1 :] = total[period - 1 :: 2]
    return out


def _total_terms(values: FloatArray, period: int, start: int) -> Terms:
    """TA-Lib's candle-setting total from ``start``: the seed sum, then one ``new - trailing`` per bar."""
    length = values.shape[0]

    def write(out: FloatArray) -> None:
        out[0] = sequential_sum(values[start - period : start])
        np.subtract(values[start : length - 1], values[start - period : length - 1 - period], out=out[1:])

    return length - start, write


def running_totals(requests: Sequence[tuple[FloatArray, int, int]]) -> list[FloatArray | None]:
    """TA-Lib's candle-setting totals for several ``(values, period, start)``.

    Entry ``k`` of a result is the total for candle ``start + k``: the sum of the ``period`` values
    before it, as TA-Lib keeps it (seeded with the ``period`` values before ``start``, then
    ``total += (new - trailing)`` after each candle). The bits depend on ``start`` (a different seed
    point rounds differently), which is why each candle function uses its own lookback. ``None``
    when the series is too short to reach ``start``.
    """
    ready = [i for i, (values, period, start) in enumerate(requests) if period <= start < values.shape[0]]
    outputs: list[FloatArray | None] = [None] * len(requests)
    for i, total in zip(ready, cumsum_many([_total_terms(*requests[i]) for i in ready]), strict=True):
        outputs[i] = total
    return outputs
