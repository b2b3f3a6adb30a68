"""Pairwise-complete lagged Pearson correlation for every ordered coin pair, by matrix products.

For a lag L, leader i's return at t−L is paired with follower j's return at t, over the rows where
*both* exist. With M the validity mask and Z the (centred, zero-filled) returns, every masked sum
is one matrix product: n = Mₓᵀ M_y, Σx = Zₓᵀ M_y, Σy = Mₓᵀ Z_y, Σx² = (Zₓ²)ᵀ M_y, Σy² = Mₓᵀ Z_y²,
Σxy = Zₓᵀ Z_y. Six products per lag cover all pairs; there is no loop over pairs.
"""

from __future__ import annotations

import numpy as np

# A standard deviation below this is "no variation" (the reference's abs tolerance, spec §2.2).
_STD_TOLERANCE = 1e-12


def _centred(returns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Zero-filled returns minus each column's mean, and the 0/1 validity mask.

    Correlation is shift-invariant, so centring changes nothing but keeps the one-pass sums
    (Σx² − (Σx)²/n) far from catastrophic cancellation.
    """
    valid = np.isfinite(returns)
    mask = valid.astype(np.float64)
    filled = np.where(valid, returns, 0.0)
    counts = mask.sum(axis=0)
    means = np.divide(filled.sum(axis=0), counts, out=np.zeros(counts.shape), where=counts > 0)
    return np.where(valid, filled - means, 0.0), mask


def lagged_correlations(returns: np.ndarray, max_lag: int) -> tuple[np.ndarray, np.ndarray]:
    """``corr[L, i, j]`` and ``counts[L, i, j]`` for lags ``0..max_lag``.

    ``returns`` is time × coin with NaN for missing values. ``corr`` is the sample Pearson
    correlation of leader i's return at t−L with follower j's at t over the ``counts`` rows where
    both exist; it is 0 where fewer than 3 pairs exist or either side has no variation, and is
    clipped to [−1, 1] against rounding.
    """
    if max_lag < 0:
        raise ValueError(f"max_lag must be >= 0, got {max_lag}")
    n_rows, n_coins = returns.shape
    corr = np.zeros((max_lag + 1, n_coins, n_coins))
    counts = np.zeros((max_lag + 1, n_coins, n_coins), dtype=np.int64)
    z, mask = _centred(returns)
    z2 = z * z
    for lag in range(min(max_lag, n_rows - 1) + 1):
        x, mx, xx = z[: n_rows - lag], mask[: n_rows - lag], z2[: n_rows - lag]
        y, my, yy = z[lag:], mask[lag:], z2[lag:]
        n = mx.T @ my
        sx, sy = x.T @ my, mx.T @ y
        with np.errstate(divide="ignore", invalid="ignore"):
            var_x = xx.T @ my - sx * sx / n
            var_y = mx.T @ yy - sy * sy / n
            cov = x.T @ y - sx * sy / n
            floor = n * _STD_TOLERANCE**2
            usable = (n >= 3) & (var_x > floor) & (var_y > floor)
            rho = np.where(usable, cov / np.sqrt(np.where(usable, var_x * var_y, 1.0)), 0.0)
        corr[lag] = np.clip(rho, -1.0, 1.0)
        counts[lag] = np.rint(n).astype(np.int64)
    return corr, counts
