"""Volume detectors of the fast path: ``volume_spike`` (reference §4.4.2) and ``price_volume_divergence``
(§4.4.6). Both read the last 49 candles (lookback 48 + 1), skipping candles that report no volume.
"""

from __future__ import annotations

import numpy as np

from iris_assets.anomalies.batch import DetectorBatch
from iris_assets.anomalies.constants import PRICE_VOLUME_DIVERGENCE, VOLUME_SPIKE
from iris_assets.anomalies.findings import Explainability, Subject
from iris_assets.anomalies.prepared import PreparedSeries
from iris_assets.anomalies.series import FloatArray, IntArray
from iris_assets.anomalies.stats import (
    clamp01,
    ratio,
    row_median,
    row_percentile_rank,
    row_zscore,
    scale,
    windows,
)
from iris_assets.anomalies.texts import sigmas, signed_pct

WINDOW = 49
MIN_VALUES = 12
PRICE_LED = "price_led_without_participation"
EFFORT_LED = "high_effort_low_result"

VolumeStats = tuple[FloatArray, FloatArray, FloatArray, IntArray]


def _volume_stats(prepared: PreparedSeries, ends: IntArray) -> VolumeStats:
    """Per bar: the current volume's z-score, ratio to the baseline median, percentile rank; value count.

    Both volume detectors read these, so they are computed once per prepared series and bars.
    """
    key = ("volume_stats", ends.tobytes())
    cached = prepared.shared.get(key)
    if cached is None:
        cached = prepared.shared[key] = _compute_volume_stats(prepared, ends)
    stats: VolumeStats = cached
    return stats


def _compute_volume_stats(prepared: PreparedSeries, ends: IntArray) -> VolumeStats:
    volumes, counts = prepared.volume_windows(ends, WINDOW)
    current, baseline = volumes[:, -1], volumes[:, :-1]
    z = row_zscore(current, baseline)
    volume_ratio = ratio(current, row_median(baseline))
    return z, volume_ratio, row_percentile_rank(baseline, current), counts


def volume_spike_batch(prepared: PreparedSeries, ends: IntArray) -> DetectorBatch:
    """The latest reported volume against the previous ones: z-score, ratio to median, percentile."""
    z, volume_ratio, percentile, counts = _volume_stats(prepared, ends)
    z_c = scale(z, 1.0, 4.0)
    ratio_c = scale(volume_ratio, 1.2, 4.5)
    percentile_c = scale(percentile, 0.85, 1.0)
    volume = z_c * 0.42 + ratio_c * 0.36 + percentile_c * 0.22
    return DetectorBatch(
        anomaly_type=VOLUME_SPIKE,
        ends=ends,
        fired=counts >= MIN_VALUES,
        components={"volume": clamp01(volume)},
        metrics={"volume_zscore": z, "volume_ratio": volume_ratio, "volume_percentile": percentile},
        confidence=clamp01(volume * 0.75 + ratio_c * 0.25),
        render=_render_volume_spike,
    )


def _render_volume_spike(batch: DetectorBatch, row: int, subject: Subject) -> tuple[str, Explainability]:
    volume_ratio = float(batch.metrics["volume_ratio"][row])
    return (
        f"{subject.symbol} traded {volume_ratio:.1f}x its median volume on the latest candle, far above its "
        "rolling participation.",
        Explainability(
            what_happened=f"{subject.symbol} printed a volume surge on the latest candle.",
            unusualness=(
                f"Volume z-score {float(batch.metrics['volume_zscore'][row]):.1f}, {volume_ratio:.1f}x the median, "
                f"percentile {float(batch.metrics['volume_percentile'][row]):.2f} of the recent candles."
            ),
            relative_to="its own rolling volume history",
        ),
    )


def price_volume_divergence_batch(prepared: PreparedSeries, ends: IntArray) -> DetectorBatch:
    """Price and volume disagree: a big move on ordinary volume, or big volume with no move."""
    n = np.minimum(ends + 1, WINDOW)
    current_return = prepared.returns[ends]
    price_z = row_zscore(current_return, windows(prepared.returns, ends - 1, WINDOW - 2, n - 2))
    volume_z, volume_ratio, _, counts = _volume_stats(prepared, ends)
    price_act = scale(price_z, 1.4, 4.5)
    volume_act = np.maximum(scale(volume_z, 1.0, 4.0), scale(volume_ratio, 1.15, 4.2))
    price_led = (price_act >= 0.72) & (volume_act <= 0.35)
    effort_led = ~price_led & (volume_act >= 0.72) & (price_act <= 0.35)

    activation = np.maximum(price_act, volume_act)
    divergence = (
        np.abs(price_act - volume_act) * 0.55 + (1.0 - np.minimum(price_act, volume_act)) * 0.20 + activation * 0.25
    )
    abs_return = np.abs(current_return)
    return DetectorBatch(
        anomaly_type=PRICE_VOLUME_DIVERGENCE,
        ends=ends,
        fired=(n >= MIN_VALUES) & (counts >= MIN_VALUES) & (price_led | effort_led) & (divergence >= 0.48),
        # The leading side takes the full divergence; the other a fixed share (.78 price-led, .60 effort-led).
        components={
            "price": clamp01(np.where(price_led, divergence, divergence * 0.60)),
            "volume": clamp01(np.where(price_led, divergence * 0.78, divergence)),
        },
        metrics={
            "price_return_zscore": price_z,
            "volume_zscore": volume_z,
            "volume_ratio": volume_ratio,
            "effort_result_ratio": volume_ratio / np.maximum(abs_return * 100.0, 0.10),
            "price_impact_per_volume": abs_return / np.maximum(volume_ratio, 0.10),
        },
        confidence=clamp01(divergence * 0.74 + activation * 0.26),
        render=_render_divergence,
        labels={"mode": np.where(price_led, PRICE_LED, EFFORT_LED)},
        extras={"return": current_return},
    )


def _render_divergence(batch: DetectorBatch, row: int, subject: Subject) -> tuple[str, Explainability]:
    volume_ratio = float(batch.metrics["volume_ratio"][row])
    price_z = float(batch.metrics["price_return_zscore"][row])
    if batch.label("mode", row) == PRICE_LED:
        return (
            f"{subject.symbol} moved {sigmas(price_z)} on only {volume_ratio:.1f}x its median "
            "volume: price led without participation.",
            Explainability(
                what_happened=f"{subject.symbol} displaced on price while volume stayed ordinary.",
                unusualness="Strong price activation paired with weak volume activation.",
                relative_to="its own rolling price and volume relationship",
            ),
        )
    move = float(batch.extras["return"][row])
    return (
        f"{subject.symbol} traded {volume_ratio:.1f}x its median volume for a move of only {signed_pct(move)}: "
        "high effort, low result.",
        Explainability(
            what_happened=f"{subject.symbol} absorbed abnormal volume without a proportional price response.",
            unusualness="Strong volume activation paired with muted price activation.",
            relative_to="its own rolling price and volume relationship",
        ),
    )
