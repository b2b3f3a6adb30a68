"""Pairwise-complete lagged Pearson correlation for every ordered coin pair and every lag at once.

For a lag L, leader i's return at t is paired with follower j's return at t+L (the leader leads by
L bars) over the rows where *both* exist. With M the validity mask and Z the centred, zero-filled
returns, every masked sum is a matrix product: n = Mₓᵀ M_y, Σx = Zₓᵀ M_y, Σy = Mₓᵀ Z_y,
Σx² = (Zₓ²)ᵀ M_y, Σy² = Mₓᵀ Z_y², Σxy = Zₓᵀ Z_y. Stacking [Z | M | Z²] on the left and the same
blocks shifted up by each lag (zero-padded, so padded rows count as missing) on the right turns all
sums for all pairs and lags into ONE product: one BLAS call per recompute, which also keeps BLAS
thread start-up costs from dominating on busy machines.
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


def _masked_sums(returns: np.ndarray, lags: int) -> np.ndarray:
    """``sums[a, L, i, b, j]`` = Σₜ left_a[t, i] · left_b[t + L, j] for blocks a, b ∈ (Z, M, Z²)."""
    n_rows, n_coins = returns.shape
    z, mask = _centred(returns)
    left = np.hstack([z, mask, z * z])
    shifted = np.zeros((n_rows, lags, 3 * n_coins))
    for lag in range(lags):  # copies only; the arithmetic is the single product below
        shifted[: n_rows - lag, lag] = left[lag:]
    sums = left.T @ shifted.reshape(n_rows, lags * 3 * n_coins)
    return sums.reshape(3, n_coins, lags, 3, n_coins).transpose(0, 2, 1, 3, 4)


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
    lags = min(max_lag + 1, n_rows)  # a lag as long as the window pairs nothing
    if lags == 0 or n_coins == 0:
        return corr, counts
    sums = _masked_sums(returns, lags)
    z_, m_, zz = 0, 1, 2
    n, sxy = sums[m_, :, :, m_], sums[z_, :, :, z_]
    sx, sy = sums[z_, :, :, m_], sums[m_, :, :, z_]
    with np.errstate(divide="ignore", invalid="ignore"):
        var_x = sums[zz, :, :, m_] - sx * sx / n
        var_y = sums[m_, :, :, zz] - sy * sy / n
        cov = sxy - sx * sy / n
        floor = n * _STD_TOLERANCE**2
        usable = (n >= 3) & (var_x > floor) & (var_y > floor)
        rho = np.where(usable, cov / np.sqrt(np.where(usable, var_x * var_y, 1.0)), 0.0)
    corr[:lags] = np.clip(rho, -1.0, 1.0)
    counts[:lags] = np.rint(n).astype(np.int64)
    return corr, counts
