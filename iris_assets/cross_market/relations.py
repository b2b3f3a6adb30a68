"""Lead/lag relations between every ordered pair of coins on one timeframe (spec §2.2, DECISIONS 18–19).

For each (leader, follower) the lagged return correlation is computed for lags ``0..max_lag_bars``
on timestamp-joined returns; the lag with the largest |ρ| wins (ties keep the smaller lag) and the
sign is kept, so inverse relations survive. A relation is *active* when |ρ| ≥ 0.25 on at least 48
paired returns; inactive rows carry their fresh values and confidence 0, so the writer replaces
stale rows instead of keeping them (the reference left them untouched).

Confidence (spec §2.2 "Acceptance and confidence"): ``clamp(|ρ| × min(n / 200, 1), 0.20, 0.99)``
with n the paired-return count at the winning lag; 200 is the window in candles, so even a complete
window scores at most 0.995 of |ρ| — kept as in IRIS for numerical parity.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from statistics import NormalDist

import numpy as np
import polars as pl

from iris_assets.cross_market.config import RelationConfig, max_lag_bars
from iris_assets.cross_market.correlation import lagged_correlations
from iris_assets.cross_market.returns import return_matrix

RELATION_SCHEMA: dict[str, pl.DataType] = {
    "leader_coin_id": pl.Int32(),
    "follower_coin_id": pl.Int32(),
    "timeframe": pl.Int16(),
    "correlation": pl.Float64(),
    "lag_bars": pl.Int16(),
    "lag_hours": pl.Float64(),
    "confidence": pl.Float64(),
    "sample_size": pl.Int32(),
    "active": pl.Boolean(),
}


def compute_relations(closes: pl.DataFrame, timeframe: int, *, as_of: datetime | None = None,
                      config: RelationConfig | None = None) -> pl.DataFrame:
    """Every ordered pair's best lagged relation, in :data:`RELATION_SCHEMA`.

    ``closes``: coin_id, timestamp (bar open, UTC), close — one timeframe, many coins. The window is
    the ``config.lookback`` bars ending at ``as_of`` (default: the newest timestamp). Lag semantics:
    the leader's return at t − lag is paired with the follower's return at t. Rows are ordered by
    :func:`order_relations`.
    """
    config = config or RelationConfig()
    matrix = return_matrix(closes, timeframe, config.lookback, as_of)
    corr, counts = lagged_correlations(matrix.values, max_lag_bars(timeframe, config))
    usable = counts >= config.min_points
    # |ρ| of lags without enough pairs never wins; argmax takes the first (smallest) lag on ties.
    best = np.where(usable, np.abs(corr), -1.0).argmax(axis=0)
    leader_idx, follower_idx = np.nonzero(~np.eye(matrix.coin_ids.size, dtype=bool))
    lag = best[leader_idx, follower_idx]
    rho = corr[lag, leader_idx, follower_idx]
    sample = counts[lag, leader_idx, follower_idx]
    has_sample = usable[lag, leader_idx, follower_idx]
    rho = np.where(has_sample, rho, 0.0)  # fewer than min_points pairs at every lag: no estimate
    threshold = np.maximum(config.min_correlation, critical_correlation(sample, leader_idx.size * corr.shape[0],
                                                                        config.significance))
    active = has_sample & (np.abs(rho) >= threshold)
    raw = np.abs(rho) * np.minimum(sample / config.lookback, 1.0)
    confidence = np.where(active, np.clip(raw, config.confidence_floor, config.confidence_cap), 0.0)
    frame = pl.DataFrame(
        {
            "leader_coin_id": matrix.coin_ids[leader_idx],
            "follower_coin_id": matrix.coin_ids[follower_idx],
            "timeframe": np.full(lag.size, timeframe),
            "correlation": rho,
            "lag_bars": lag,
            "lag_hours": lag * timeframe / 60.0,
            "confidence": confidence,
            "sample_size": sample,
            "active": active,
        }
    ).cast(RELATION_SCHEMA)  # type: ignore[arg-type]
    return order_relations(frame, config.preferred_leaders)


def critical_correlation(sample: np.ndarray, tests: int, significance: float | None) -> np.ndarray:
    """|ρ| that pure noise exceeds with probability ``significance`` across ``tests`` correlations.

    Bonferroni over the tests, two-sided, through Fisher's z (ρ = tanh(z / √(n − 3))).
    """
    if significance is None or tests <= 0:
        return np.zeros_like(sample, dtype=float)
    z = NormalDist().inv_cdf(1.0 - significance / (2.0 * tests))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(sample > 3, np.tanh(z / np.sqrt(np.maximum(sample - 3, 1))), 1.0)


def order_relations(relations: pl.DataFrame, preferred_leaders: Sequence[int] = ()) -> pl.DataFrame:
    """Deterministic order: per follower, preferred leaders first (config order), then active before
    inactive, confidence desc, |correlation| desc and leader id — the reference's candidate order
    without its database-dependent ties (spec §8.8)."""
    rank = {int(coin): position for position, coin in enumerate(preferred_leaders)}
    preference = pl.col("leader_coin_id").replace_strict(rank, default=len(rank), return_dtype=pl.Int32)
    return relations.sort(
        ["follower_coin_id", preference, "active", "confidence", pl.col("correlation").abs(), "leader_coin_id"],
        descending=[False, False, True, True, True, False],
    )


def top_leaders(relations: pl.DataFrame, limit: int = 8, preferred_leaders: Sequence[int] = ()) -> pl.DataFrame:
    """The first ``limit`` active leaders of each follower in :func:`order_relations` order."""
    ordered = order_relations(relations.filter(pl.col("active")), preferred_leaders)
    return ordered.group_by("follower_coin_id", "timeframe", maintain_order=True).head(limit)


def preferred_leader_ids(coins: pl.DataFrame, symbols: Sequence[str]) -> tuple[int, ...]:
    """Coin ids of the configured leader ``symbols`` (coins: coin_id, symbol), in config order;
    symbols without a coin are skipped."""
    by_symbol = dict(zip(coins.get_column("symbol").to_list(), coins.get_column("coin_id").to_list(), strict=True))
    return tuple(int(by_symbol[symbol]) for symbol in symbols if symbol in by_symbol)
