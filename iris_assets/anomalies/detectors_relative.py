"""Benchmark-relative detectors of the fast path: ``relative_divergence`` (reference §4.4.7) and
``correlation_breakdown`` (§4.4.8).

Both read the coin's last 50 candles joined to the benchmark on open time (see ``prepared``): the
returns are those between consecutive joined candles inside that window. Without a benchmark, or
when the benchmark has no candle at the evaluated bar, they stay silent.
"""

from __future__ import annotations

import numpy as np

from iris_assets.anomalies.batch import DetectorBatch, silent
from iris_assets.anomalies.constants import CORRELATION_BREAKDOWN, RELATIVE_DIVERGENCE
from iris_assets.anomalies.findings import Explainability, Subject
from iris_assets.anomalies.prepared import JoinedBenchmark, PreparedSeries, peer_latest
from iris_assets.anomalies.series import IntArray
from iris_assets.anomalies.stats import (
    beta_of,
    clamp01,
    correlation_of,
    row_mean_std,
    row_moments,
    row_std,
    scale,
    windows,
    zscore_of,
)
from iris_assets.anomalies.texts import sigmas, signed_pct

WINDOW = 50  # candles: lookback 48 + 2
RETURNS = WINDOW - 1
MIN_RETURNS = 12
SHORT = 6
LONG = 24


def _joined_positions(joined: JoinedBenchmark, ends: IntArray) -> tuple[IntArray, IntArray]:
    """Per bar: its joined row (−1 if the benchmark lacks it) and the joined returns inside the window."""
    position = joined.position[ends]
    first = np.searchsorted(joined.index, np.maximum(ends - WINDOW + 1, 0), side="left")
    counts = np.where(position >= 0, position - first, 0)
    return position, counts


def relative_to(subject: Subject) -> str:
    """What the relative detectors compare against: the benchmark, plus sector peers when loaded."""
    if subject.has_sector_peers:
        return f"{subject.benchmark_symbol} and {subject.sector or 'sector'} peers"
    return subject.benchmark_symbol


def relative_divergence_batch(prepared: PreparedSeries, ends: IntArray) -> DetectorBatch:
    """The coin's beta-adjusted residual return against the benchmark (and peers, when given)."""
    joined = prepared.benchmark
    if joined is None:
        return silent(RELATIVE_DIVERGENCE, ends)
    position, counts = _joined_positions(joined, ends)
    coin = windows(joined.coin_returns, position, RETURNS, counts)
    bench = windows(joined.benchmark_returns, position, RETURNS, counts)
    _, bench_std, covariance = row_moments(coin[:, :-1], bench[:, :-1])
    beta = beta_of(bench_std, covariance)
    residuals = coin - beta[:, None] * bench
    current, baseline = residuals[:, -1], residuals[:, :-1]
    residual_mean, residual_std = row_mean_std(baseline)
    residual_z = zscore_of(current, residual_mean, residual_std)
    coin_now, bench_now = coin[:, -1], bench[:, -1]

    peer_mean, peer_count = peer_latest(prepared, ends, WINDOW)
    has_peers = peer_count > 0
    sector_gap = np.where(has_peers, coin_now - peer_mean, 0.0)
    related_gap = np.where(has_peers, current - (peer_mean - bench_now), 0.0)

    residual_c = scale(residual_z, 1.1, 4.0)
    relative = (
        residual_c * 0.55 + scale(np.abs(sector_gap), 0.01, 0.06) * 0.25 + scale(np.abs(related_gap), 0.01, 0.08) * 0.20
    )
    last_two = residuals[:, -2:]
    with np.errstate(invalid="ignore"):
        same_side = (last_two == 0) | (last_two * current[:, None] > 0)
        hits = np.sum((np.abs(last_two) >= np.maximum(residual_std * 1.05, 1e-9)[:, None]) & same_side, axis=1)
    isolated = np.abs(sector_gap) >= np.abs(bench_now)
    return DetectorBatch(
        anomaly_type=RELATIVE_DIVERGENCE,
        ends=ends,
        fired=counts >= MIN_RETURNS,
        components={"relative": clamp01(relative), "price": clamp01(residual_c * 0.35)},
        metrics={
            "beta_adjusted_deviation": current,
            "residual_return_zscore": residual_z,
            "sector_gap": sector_gap,
            "benchmark_return": bench_now,
        },
        confidence=clamp01(relative * 0.75 + hits / 2.0 * 0.25),
        render=_render_relative,
        confirmation_hits=hits,
        confirmation_target=2,
        isolated=isolated,
    )


def _render_relative(batch: DetectorBatch, row: int, subject: Subject) -> tuple[str, Explainability]:
    residual = float(batch.metrics["beta_adjusted_deviation"][row])
    relationship = "outperform" if residual >= 0 else "underperform"
    against = relative_to(subject)
    return (
        f"{subject.symbol} is {relationship}ing {against} by {signed_pct(residual)} on a beta-adjusted basis.",
        Explainability(
            what_happened=f"{subject.symbol} decoupled from its benchmark's move.",
            unusualness=(
                f"The beta-adjusted residual return is {sigmas(float(batch.metrics['residual_return_zscore'][row]))} "
                "from its rolling mean."
            ),
            relative_to=against,
            relative_to_btc=relationship,
            market_wide=not bool(batch.isolated_mask[row]),
        ),
    )


def correlation_breakdown_batch(prepared: PreparedSeries, ends: IntArray) -> DetectorBatch:
    """The last 6 joined returns stop tracking the benchmark the way the 24 before them did."""
    joined = prepared.benchmark
    if joined is None:
        return silent(CORRELATION_BREAKDOWN, ends)
    position, counts = _joined_positions(joined, ends)
    long_lengths = np.minimum(LONG, counts - SHORT)
    base_coin = windows(joined.coin_returns, position - SHORT, LONG, long_lengths)
    base_bench = windows(joined.benchmark_returns, position - SHORT, LONG, long_lengths)
    recent_coin = windows(joined.coin_returns, position, SHORT)
    recent_bench = windows(joined.benchmark_returns, position, SHORT)

    # Each pair's stds and covariance once: correlation and beta both derive from them.
    base_coin_std, base_bench_std, base_covariance = row_moments(base_coin, base_bench)
    recent_coin_std, recent_bench_std, recent_covariance = row_moments(recent_coin, recent_bench)
    long_corr = correlation_of(base_coin_std, base_bench_std, base_covariance)
    short_corr = correlation_of(recent_coin_std, recent_bench_std, recent_covariance)
    drop = np.abs(long_corr - short_corr)
    long_beta = beta_of(base_bench_std, base_covariance)
    shift = np.abs(long_beta - beta_of(recent_bench_std, recent_covariance))
    recent_residuals = recent_coin - long_beta[:, None] * recent_bench
    floor = np.maximum.reduce(
        [
            row_std(base_coin - long_beta[:, None] * base_bench),
            base_coin_std * 0.10,
            base_bench_std * 0.10,
            np.full(ends.shape[0], 1e-6),
        ]
    )
    residual_ratio = row_std(recent_residuals) / floor

    peer_mean, peer_count = peer_latest(prepared, ends, WINDOW)
    has_peers = peer_count > 0
    dispersion = np.where(has_peers, np.abs(recent_coin[:, -1] - peer_mean), 0.0)

    drop_c = scale(drop, 0.20, 1.10)
    ratio_c = scale(residual_ratio, 1.15, 4.0)
    relative = drop_c * 0.45 + scale(shift, 0.20, 1.40) * 0.20 + ratio_c * 0.25 + scale(dispersion, 0.01, 0.07) * 0.10
    with np.errstate(invalid="ignore"):
        hits = np.sum(np.abs(recent_residuals[:, -3:]) >= np.maximum(floor * 1.10, 1e-9)[:, None], axis=1)
    return DetectorBatch(
        anomaly_type=CORRELATION_BREAKDOWN,
        ends=ends,
        fired=(counts >= SHORT + 18)
        & (np.abs(long_corr) >= 0.45)
        & (drop >= 0.30)
        & (residual_ratio >= 1.2)
        & (relative >= 0.44),
        components={"relative": clamp01(relative), "volatility": clamp01(ratio_c * 0.65 + drop_c * 0.35)},
        metrics={
            "long_correlation": long_corr,
            "short_correlation": short_corr,
            "correlation_drop": drop,
            "beta_shift": shift,
            "residual_variance_ratio": residual_ratio,
            "peer_dispersion": dispersion,
        },
        confidence=clamp01(relative * 0.72 + scale(np.abs(long_corr), 0.45, 1.0) * 0.28),
        render=_render_correlation,
        confirmation_hits=hits,
        confirmation_target=2,
        isolated=~has_peers | (dispersion >= np.abs(recent_bench[:, -1])),
    )


def _render_correlation(batch: DetectorBatch, row: int, subject: Subject) -> tuple[str, Explainability]:
    long_corr = float(batch.metrics["long_correlation"][row])
    short_corr = float(batch.metrics["short_correlation"][row])
    against = relative_to(subject)
    return (
        f"{subject.symbol} stopped tracking {against}: correlation fell from {long_corr:.2f} over the prior "
        f"{LONG} returns to {short_corr:.2f} over the last {SHORT}.",
        Explainability(
            what_happened=f"{subject.symbol} broke from its usual co-movement with {subject.benchmark_symbol}.",
            unusualness=(
                f"Correlation drop {float(batch.metrics['correlation_drop'][row]):.2f}, beta shift "
                f"{float(batch.metrics['beta_shift'][row]):.2f}, residual volatility "
                f"{float(batch.metrics['residual_variance_ratio'][row]):.1f}x its baseline."
            ),
            relative_to=against,
            relative_to_btc="decoupling",
        ),
    )
