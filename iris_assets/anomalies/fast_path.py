"""The eight fast-path detectors as plain ``DetectionContext -> Finding | None`` functions.

Each wraps its vectorised kernel, evaluated at the context's last candle: the history scan runs the
very same kernels over every bar, so a live evaluation and a backfill agree formula for formula.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from iris_assets.anomalies.batch import DetectorBatch
from iris_assets.anomalies.constants import (
    COMPRESSION_EXPANSION,
    CORRELATION_BREAKDOWN,
    FAILED_BREAKOUT,
    PRICE_SPIKE,
    PRICE_VOLUME_DIVERGENCE,
    RELATIVE_DIVERGENCE,
    VOLATILITY_REGIME_BREAK,
    VOLUME_SPIKE,
)
from iris_assets.anomalies.detectors_price import failed_breakout_batch, price_spike_batch
from iris_assets.anomalies.detectors_relative import correlation_breakdown_batch, relative_divergence_batch
from iris_assets.anomalies.detectors_volatility import compression_expansion_batch, volatility_regime_break_batch
from iris_assets.anomalies.detectors_volume import price_volume_divergence_batch, volume_spike_batch
from iris_assets.anomalies.findings import DetectionContext, Finding
from iris_assets.anomalies.prepared import PreparedSeries, prepare
from iris_assets.anomalies.series import IntArray

Kernel = Callable[[PreparedSeries, IntArray], DetectorBatch]

# In the reference's fast-path order (§4.1).
FAST_PATH_KERNELS: dict[str, Kernel] = {
    PRICE_SPIKE: price_spike_batch,
    VOLUME_SPIKE: volume_spike_batch,
    VOLATILITY_REGIME_BREAK: volatility_regime_break_batch,
    FAILED_BREAKOUT: failed_breakout_batch,
    COMPRESSION_EXPANSION: compression_expansion_batch,
    PRICE_VOLUME_DIVERGENCE: price_volume_divergence_batch,
    RELATIVE_DIVERGENCE: relative_divergence_batch,
    CORRELATION_BREAKDOWN: correlation_breakdown_batch,
}


def prepare_context(context: DetectionContext) -> PreparedSeries:
    """The context's candles (cut at its timestamp) with benchmark and peers joined on open time."""
    bounded = context.bounded()
    peers = [*bounded.sector_peers.values(), *bounded.related_peers.values()]
    return prepare(bounded.candles, bounded.timeframe, benchmark=bounded.benchmark, peers=peers)


def _detect(anomaly_type: str, context: DetectionContext, prepared: PreparedSeries | None = None) -> Finding | None:
    prepared = prepared or prepare_context(context)
    if prepared.size == 0:
        return None
    batch = FAST_PATH_KERNELS[anomaly_type](prepared, np.array([prepared.size - 1], dtype=np.intp))
    return batch.finding(0, context.subject)


def detect_fast_path(context: DetectionContext) -> list[Finding]:
    """Every fast-path detector that fires on the context's last candle, in the reference's order."""
    prepared = prepare_context(context)
    findings = (_detect(anomaly_type, context, prepared) for anomaly_type in FAST_PATH_KERNELS)
    return [finding for finding in findings if finding is not None]


def detect_price_spike(context: DetectionContext) -> Finding | None:
    """Reference §4.4.1: an abnormal one-candle return, range and true range."""
    return _detect(PRICE_SPIKE, context)


def detect_volume_spike(context: DetectionContext) -> Finding | None:
    """Reference §4.4.2: abnormal volume on the latest candle."""
    return _detect(VOLUME_SPIKE, context)


def detect_volatility_regime_break(context: DetectionContext) -> Finding | None:
    """Reference §4.4.3: short-window volatility breaking away from the long window."""
    return _detect(VOLATILITY_REGIME_BREAK, context)


def detect_failed_breakout(context: DetectionContext) -> Finding | None:
    """Reference §4.4.4: a rejected break of the 12-candle high or low."""
    return _detect(FAILED_BREAKOUT, context)


def detect_compression_expansion(context: DetectionContext) -> Finding | None:
    """Reference §4.4.5: an expansion out of a volatility squeeze."""
    return _detect(COMPRESSION_EXPANSION, context)


def detect_price_volume_divergence(context: DetectionContext) -> Finding | None:
    """Reference §4.4.6: price and volume activation disagreeing."""
    return _detect(PRICE_VOLUME_DIVERGENCE, context)


def detect_relative_divergence(context: DetectionContext) -> Finding | None:
    """Reference §4.4.7: a beta-adjusted residual move against the benchmark."""
    return _detect(RELATIVE_DIVERGENCE, context)


def detect_correlation_breakdown(context: DetectionContext) -> Finding | None:
    """Reference §4.4.8: the coin's correlation with the benchmark breaking down."""
    return _detect(CORRELATION_BREAKDOWN, context)
