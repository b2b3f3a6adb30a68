"""Numerical building blocks shared by the indicator modules.

TA-Lib computes every indicator with a sequential C loop. The helpers here reproduce that arithmetic
with vectorised NumPy/Polars primitives, keeping TA-Lib's order of floating-point operations wherever
a vectorised primitive can express it:

* window sums: TA-Lib keeps a running total (add the new value, subtract the trailing one); see
  ``_sums`` for the bit-exact cumulative-sum replay used by SMA, MFI and the candle settings.
* first-order recursions (EMA, Wilder smoothing): seeded exactly like TA-Lib and run with Polars'
  ``ewm_mean(adjust=False)`` (a Rust loop). Its update ``((1-a)*y + a*x) / ((1-a) + a)`` rounds
  differently from TA-Lib's ``(x-y)*a + y`` in the last bit only (often not at all); the filters are
  contractive, so those differences stay at ~1e-15 relative instead of accumulating.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int32]
BoolArray = npt.NDArray[np.bool_]
IndexArray = npt.NDArray[np.intp]
ArrayInput = npt.ArrayLike | pl.Series

# TA-Lib 0.8's TA_EPSILON, used by its scale-aware zero tests.
TA_EPSILON = 1e-14


def as_float(values: ArrayInput) -> FloatArray:
    """A contiguous float64 copy-free view of ``values`` where possible (Polars nulls become NaN)."""
    if isinstance(values, pl.Series):
        values = values.cast(pl.Float64).to_numpy()
    return np.ascontiguousarray(values, dtype=np.float64)


def nan_array(length: int) -> FloatArray:
    """An all-NaN float64 array: NaN marks TA-Lib's warm-up (lookback) rows."""
    return np.full(length, np.nan, dtype=np.float64)


@dataclass(frozen=True, slots=True)
class EwmJob:
    """One seeded first-order recursion ``y_t = y_{t-1} + alpha * (x_t - y_{t-1})`` for ``t > seed_index``.

    ``skip_nan`` leaves the state unchanged on NaN inputs (TA-Lib's ADX skips undefined DX values).
    """

    values: FloatArray
    alpha: float
    seed_index: int
    seed: float
    skip_nan: bool = False


def run_ewm(jobs: Sequence[EwmJob]) -> list[FloatArray]:
    """Run equal-length recursions in one Polars ``select``; the outputs are NaN before each seed.

    The seed is written over every input at or before ``seed_index``: Polars then starts from it and
    leaves it untouched while the input equals the state, so the output at ``seed_index`` is the seed
    bit for bit and the recursion proper starts on the next bar.
    """
    runnable = [i for i, job in enumerate(jobs) if job.seed_index < job.values.shape[0]]
    results = [nan_array(job.values.shape[0]) for job in jobs]
    if not runnable:
        return results
    columns = []
    expressions = []
    for i in runnable:
        job = jobs[i]
        seeded = job.values.copy()
        seeded[: job.seed_index + 1] = job.seed
        columns.append(pl.Series(f"c{i}", seeded, nan_to_null=job.skip_nan))
        expression = pl.col(f"c{i}").ewm_mean(alpha=job.alpha, adjust=False, ignore_nulls=job.skip_nan)
        # Skipped (null) bars carry the previous state forward, like TA-Lib's "keep prevADX".
        expressions.append(expression.forward_fill() if job.skip_nan else expression)
    frame = pl.DataFrame(columns).select(expressions)
    for i in runnable:
        out = frame.get_column(f"c{i}").to_numpy(writable=True)
        out[: jobs[i].seed_index] = np.nan
        results[i] = out
    return results


def add_decaying_term(values: FloatArray, start: int, delta: float, beta: float) -> None:
    """Add ``delta * beta**k`` to ``values[start + k]`` in place while the term is still representable.

    Two recursions with the same coefficient and input differ by exactly such a geometric term, so a
    recursion that TA-Lib seeds at a different bar can reuse an already computed one (ADX's true-range
    sum from ATR) instead of running a second loop. Not used where the result must stay bit-exact.
    """
    length = values.shape[0]
    if start >= length or delta == 0.0 or not math.isfinite(delta):
        return
    # After this many steps the term is below 1e-20 of delta, far under the last bit of the values.
    steps = min(length - start, math.ceil(math.log(1e-20) / math.log(beta)) + 1)
    values[start : start + steps] += delta * np.power(beta, np.arange(steps, dtype=np.float64))


def is_zero_scaled(values: FloatArray, scale: FloatArray) -> BoolArray:
    """TA-Lib 0.8's ``TA_IS_ZERO_SCALED``: ``|v| <= 1e-14 * scale`` (a ~90-ulp relative dead zone)."""
    result: BoolArray = np.abs(values) <= TA_EPSILON * scale
    return result


def zero_guarded_ratio(numerator: FloatArray, denominator: FloatArray, *, scale: float = 1.0) -> FloatArray:
    """``scale * numerator / denominator`` with 0.0 where the denominator is exactly zero (TA-Lib's guard)."""
    # Divide everywhere and patch the (rare) zero denominators: np.where would cost ~10x more.
    with np.errstate(divide="ignore", invalid="ignore"):
        out: FloatArray = scale * (numerator / denominator)
    out[denominator == 0.0] = 0.0
    return out
