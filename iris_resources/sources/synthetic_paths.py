"""Vectorised construction of one synthetic coin's base-bar returns and OHLCV arrays.

Every random number comes from a generator seeded by (seed, stream, coin, 30-day block), so the
value at a bar depends only on its block, never on how many bars are generated. Net moves are
enforced per regime phase, so a path is generated up to a phase boundary (see ``synthetic.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from iris_resources.sources.catalog import CoinProfile
from iris_resources.sources.synthetic_formations import TEMPLATES, formation_returns
from iris_resources.sources.synthetic_schedule import FormationSlot, Phase

_NOISE_STREAM = 21
_MARKET_STREAM = 22
_SHAPE_STREAM = 23
MARKET_WEIGHT = 0.15  # small common factor: unrelated coins stay nearly uncorrelated (rho ~ 0.02)
FOLLOWER_NOISE = 0.6  # follower noise / |beta| x leader volatility: correlation ~ 1 / sqrt(1 + 0.36)
_FORMATION_NOISE = 0.5  # level noise inside a formation, in units of the bar volatility


@dataclass(frozen=True, slots=True)
class Grid:
    """The bar grid: base timeframe, bars per hour and per noise block, origin in epoch minutes."""

    seed: int
    base_minutes: int
    hour_bars: int
    block_bars: int
    origin_minute: int


@dataclass(frozen=True, slots=True)
class CoinPath:
    """A coin's generated bars from the origin: log returns, bar volatility and OHLCV."""

    returns: np.ndarray
    vol: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray


def _blocks(grid: Grid, key: list[int], rows: int, n_bars: int) -> np.ndarray:
    """``rows`` standard-normal rows of ``n_bars`` values drawn block by block."""
    n_blocks = -(-n_bars // grid.block_bars)
    parts = [
        np.random.default_rng([grid.seed, *key, block]).standard_normal((rows, grid.block_bars))
        for block in range(n_blocks)
    ]
    return np.concatenate(parts, axis=1)[:, :n_bars]


def phase_index(phases: tuple[Phase, ...], hour_bars: int, n_bars: int, shift: int = 0) -> np.ndarray:
    """The phase number of every bar; phases are shifted by ``shift`` bars, the first one reaches 0."""
    ends = np.array([phase.end_hour * hour_bars + shift for phase in phases])
    return np.searchsorted(ends, np.arange(n_bars), side="right")


def _centre_per_phase(values: np.ndarray, pid: np.ndarray, keep: np.ndarray, target: np.ndarray) -> None:
    """Shift the ``keep`` bars of each phase so that the phase's values sum to ``target`` (in place).

    This makes every phase move by exactly its planted drift whatever the noise drew and whatever
    net move a formation inside it made, so the regime labels are true by construction.
    """
    n_phases = len(target)
    totals = np.bincount(pid, weights=values, minlength=n_phases)
    counts = np.bincount(pid, weights=keep.astype(float), minlength=n_phases)
    adjust = np.divide(target - totals, counts, out=np.zeros(n_phases), where=counts > 0)
    values += adjust[pid] * keep


def market_factor(grid: Grid, n_bars: int) -> np.ndarray:
    """The common market factor shared by every independent coin (standard normal per bar)."""
    return _blocks(grid, [_MARKET_STREAM], 1, n_bars)[0]


def leader_returns(
    grid: Grid,
    index: int,
    profile: CoinProfile,
    phases: tuple[Phase, ...],
    slots: tuple[FormationSlot, ...],
    market: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Returns, bar volatility and formation mask of an independent coin.

    The path has as many bars as ``market`` (the market factor), which must end on a phase boundary.
    """
    n_bars = market.size
    day_fraction = grid.base_minutes / 1440.0
    sigma_bar = profile.daily_vol * np.sqrt(day_fraction)
    pid = phase_index(phases, grid.hour_bars, n_bars)
    drift = np.array([p.drift_scale * profile.daily_vol * day_fraction for p in phases])
    vol_mult = np.array([p.vol_mult for p in phases])
    vol = sigma_bar * vol_mult[pid]
    own = _blocks(grid, [_NOISE_STREAM, index], 1, n_bars)[0]
    returns = drift[pid] + vol * (MARKET_WEIGHT * market + np.sqrt(1 - MARKET_WEIGHT**2) * own)
    mask = np.zeros(n_bars, dtype=bool)
    for number, slot in enumerate(slots):
        start = slot.start_hour * grid.hour_bars
        if start >= n_bars:
            break
        local_vol = float(vol[start])
        amplitude = slot.amplitude_scale * profile.daily_vol * (local_vol / sigma_bar)
        rng = np.random.default_rng([grid.seed, _SHAPE_STREAM, index, number])
        shape = formation_returns(
            TEMPLATES[slot.template_index],
            slot.candles,
            grid.hour_bars,
            amplitude,
            _FORMATION_NOISE * local_vol,
            rng,
        )
        stop = min(start + shape.size, n_bars)
        returns[start:stop] = shape[: stop - start]
        mask[start:stop] = True
    lengths = np.bincount(pid, minlength=len(phases))
    _centre_per_phase(returns, pid, ~mask, drift * lengths)
    return returns, vol, mask


def follower_returns(
    grid: Grid, index: int, leader: CoinPath, phases: tuple[Phase, ...], beta: float, lag: int, n_bars: int
) -> tuple[np.ndarray, np.ndarray]:
    """Returns and bar volatility of a follower: ``beta`` x the leader ``lag`` bars ago, plus noise.

    ``phases`` are the leader's; the follower's phases are the same shifted by ``lag``. Its noise is
    centred per shifted phase, so each follower phase moves by exactly ``beta`` x the leader's.
    """
    lagged = np.zeros(n_bars)
    lagged_vol = np.full(n_bars, leader.vol[0])
    lagged[lag:] = leader.returns[: n_bars - lag]
    lagged_vol[lag:] = leader.vol[: n_bars - lag]
    own = _blocks(grid, [_NOISE_STREAM, index], 1, n_bars)[0]
    noise = FOLLOWER_NOISE * abs(beta) * lagged_vol * own
    pid = phase_index(phases, grid.hour_bars, n_bars, shift=lag)
    _centre_per_phase(noise, pid, np.ones(n_bars, dtype=bool), np.zeros(len(phases)))
    vol = abs(beta) * np.sqrt(1 + FOLLOWER_NOISE**2) * lagged_vol
    return beta * lagged + noise, vol


def build_candles(
    grid: Grid,
    index: int,
    profile: CoinProfile,
    returns: np.ndarray,
    vol: np.ndarray,
    mask: np.ndarray,
    baseline_vol: float,
) -> CoinPath:
    """OHLCV from returns: open = previous close, wicks outside the body, volume with seasonality.

    Validity holds by construction: prices are exponentials (> 0), the high is the larger of open
    and close pushed up, the low the smaller pushed down, volume a product of positive factors.
    """
    n_bars = returns.size
    wick_hi, wick_lo, volume_noise = _blocks(grid, [_NOISE_STREAM + 100, index], 3, n_bars)
    log_close = np.log(profile.price) + np.cumsum(returns)
    close = np.exp(log_close)
    open_ = np.empty(n_bars)
    open_[0] = profile.price
    open_[1:] = close[:-1]
    wick = vol * np.where(mask, 0.3, 0.5)  # formations keep tidy wicks so their shape reads clearly
    high = np.maximum(open_, close) * np.exp(np.abs(wick_hi) * wick)
    low = np.minimum(open_, close) * np.exp(-np.abs(wick_lo) * wick)
    minutes = grid.origin_minute + np.arange(n_bars, dtype=np.int64) * grid.base_minutes
    # Trading peaks around 14:00 UTC and is lighter at weekends (epoch day 0 was a Thursday).
    season = 1.0 + 0.35 * np.sin(2 * np.pi * ((minutes % 1440) / 1440.0 - 1.0 / 3.0))
    weekend = np.where((minutes // 1440 + 3) % 7 >= 5, 0.75, 1.0)
    # Big moves trade more: volume grows with the squared move in units of normal volatility.
    surprise = np.minimum((returns / baseline_vol) ** 2, 25.0)
    units = profile.daily_notional / profile.price * grid.base_minutes / 1440.0
    volume = units * season * weekend * np.exp(0.35 * volume_noise - 0.06) * (1.0 + 0.6 * surprise) / 1.6
    return CoinPath(returns, vol, open_, high, low, close, volume)
