"""Volatility detectors of the fast path: ``volatility_regime_break`` (reference §4.4.3) and
``compression_expansion`` (§4.4.5). Both read the last 50 candles (lookback 48 + 2).
"""

from __future__ import annotations

import numpy as np

from iris_assets.anomalies.batch import DetectorBatch
from iris_assets.anomalies.constants import COMPRESSION_EXPANSION, VOLATILITY_REGIME_BREAK
from iris_assets.anomalies.findings import Explainability, Subject
from iris_assets.anomalies.prepared import PreparedSeries
from iris_assets.anomalies.series import FloatArray, IntArray
from iris_assets.anomalies.stats import (
    clamp01,
    ratio,
    row_mean,
    row_percentile_rank,
    row_std,
    scale,
    windows,
)

WINDOW = 50
BREAK_MIN_CANDLES = 20
SHORT = 4
LONG = 24
ATR_LONG = 14
BREAK_CONFIRMATION_BARS = 3
COMPRESSION = 8
EARLIER = 24
COMPRESSION_MIN_CANDLES = COMPRESSION + 18


def volatility_regime_break_batch(prepared: PreparedSeries, ends: IntArray) -> DetectorBatch:
    """The last 4 returns' volatility against the 24 before them, confirmed by repeated large moves."""
    n = np.minimum(ends + 1, WINDOW)
    short_vol = row_std(windows(prepared.returns, ends, SHORT))
    # The long window is the (up to) 24 returns before the short one; the window holds n − 1 returns.
    long_vol = row_std(windows(prepared.returns, ends - SHORT, LONG, np.minimum(LONG, n - 1 - SHORT)))
    vol_ratio = ratio(short_vol, long_vol)
    atr_short = row_mean(windows(prepared.true_range, ends, SHORT))
    atr_long = row_mean(windows(prepared.true_range, ends - SHORT, ATR_LONG, np.minimum(ATR_LONG, n - SHORT)))
    atr_expansion = ratio(atr_short, atr_long)
    realized = ratio(np.abs(prepared.returns[ends]), long_vol)
    recent = np.abs(windows(prepared.returns, ends, BREAK_CONFIRMATION_BARS))
    hits = np.sum(recent >= np.maximum(long_vol * 1.1, 1e-9)[:, None], axis=1)

    vol_c = scale(vol_ratio, 1.15, 3.2)
    atr_c = scale(atr_expansion, 1.1, 2.6)
    realized_c = scale(realized, 1.2, 4.0)
    volatility = vol_c * 0.45 + atr_c * 0.30 + realized_c * 0.25
    return DetectorBatch(
        anomaly_type=VOLATILITY_REGIME_BREAK,
        ends=ends,
        fired=n >= BREAK_MIN_CANDLES,
        components={"volatility": clamp01(volatility), "price": clamp01(realized_c * 0.5)},
        metrics={
            "rolling_volatility_ratio": vol_ratio,
            "atr_expansion": atr_expansion,
            "realized_volatility_ratio": realized,
        },
        confidence=clamp01(volatility * 0.80 + hits / 3.0 * 0.20),
        render=_render_volatility_break,
        confirmation_hits=hits,
        confirmation_target=2,
    )


def _render_volatility_break(batch: DetectorBatch, row: int, subject: Subject) -> tuple[str, Explainability]:
    vol_ratio = float(batch.metrics["rolling_volatility_ratio"][row])
    return (
        f"{subject.symbol} switched into a higher-volatility regime: the last {SHORT} returns are "
        f"{vol_ratio:.1f}x as volatile as the {LONG} before them.",
        Explainability(
            what_happened=f"{subject.symbol} left a quieter baseline for a markedly more volatile state.",
            unusualness=(
                f"Short/long realized volatility {vol_ratio:.1f}x, ATR expansion "
                f"{float(batch.metrics['atr_expansion'][row]):.1f}x, latest move "
                f"{float(batch.metrics['realized_volatility_ratio'][row]):.1f} baseline deviations."
            ),
            relative_to="its own recent volatility baseline",
        ),
    )


def _rolling_compression_std(prepared: PreparedSeries) -> FloatArray:
    """The 8-return std ending at every bar of the series: computed once, whatever bars are evaluated."""
    key = ("rolling_compression_std", b"")
    rolling = prepared.shared.get(key)
    if rolling is None:
        rolling = prepared.shared[key] = row_std(windows(prepared.returns, np.arange(prepared.size), COMPRESSION))
    values: FloatArray = rolling
    return values


def compression_expansion_batch(prepared: PreparedSeries, ends: IntArray) -> DetectorBatch:
    """A range explosion right after an unusually quiet 8-candle pocket."""
    n = np.minimum(ends + 1, WINDOW)
    # Rolling 8-return stds at every bar; the compressed volatility is the one ending at t − 1, so it
    # is bit-identical to the entry it is ranked against.
    rolling = _rolling_compression_std(prepared)
    compressed_vol = rolling[np.maximum(ends - 1, 0)]
    earlier = np.minimum(EARLIER, n - 2 - COMPRESSION)
    baseline_vol = row_std(windows(prepared.returns, ends - 1 - COMPRESSION, EARLIER, earlier))
    compression_ratio = ratio(compressed_vol, baseline_vol)
    # Rolling windows lying inside the baseline returns, excluding the latest one (it is the compressed window).
    squeeze_count = n - 2 - COMPRESSION
    squeeze_ranks = windows(rolling, ends - 2, WINDOW - 2 - COMPRESSION, squeeze_count)
    squeeze_percentile = np.where(squeeze_count > 0, row_percentile_rank(squeeze_ranks, compressed_vol), 0.0)

    current_tr = prepared.true_range[ends]
    compressed_atr = row_mean(windows(prepared.true_range, ends - 1, COMPRESSION))
    baseline_atr = row_mean(windows(prepared.true_range, ends - 1 - COMPRESSION, 14))
    range_expansion = ratio(current_tr, compressed_atr)
    atr_expansion = ratio(current_tr, baseline_atr)
    jump = ratio(np.abs(prepared.returns[ends]), compressed_vol)

    compression_c = scale(1.0 - compression_ratio, 0.10, 0.85)
    squeeze_c = scale(1.0 - squeeze_percentile, 0.45, 1.0)
    expansion_c = scale(range_expansion, 1.2, 4.0)
    jump_c = scale(jump, 1.0, 5.5)
    volatility = compression_c * 0.25 + squeeze_c * 0.15 + expansion_c * 0.35 + jump_c * 0.25
    return DetectorBatch(
        anomaly_type=COMPRESSION_EXPANSION,
        ends=ends,
        fired=(n >= COMPRESSION_MIN_CANDLES)
        & (compression_ratio <= 0.95)
        & (range_expansion >= 1.4)
        & (volatility >= 0.44),
        components={"volatility": clamp01(volatility), "price": clamp01(expansion_c * 0.55 + jump_c * 0.45)},
        metrics={
            "compression_ratio": compression_ratio,
            "squeeze_percentile": squeeze_percentile,
            "range_expansion_ratio": range_expansion,
            "atr_expansion": atr_expansion,
            "realized_jump_ratio": jump,
        },
        confidence=clamp01(volatility * 0.72 + compression_c * 0.28),
        render=_render_compression,
    )


def _render_compression(batch: DetectorBatch, row: int, subject: Subject) -> tuple[str, Explainability]:
    expansion = float(batch.metrics["range_expansion_ratio"][row])
    return (
        f"{subject.symbol} broke out of a volatility squeeze: the latest range is {expansion:.1f}x the "
        f"average of the {COMPRESSION} compressed candles before it.",
        Explainability(
            what_happened=f"{subject.symbol} went from an unusually tight range straight into an expansion.",
            unusualness=(
                f"Compression ratio {float(batch.metrics['compression_ratio'][row]):.2f}, squeeze percentile "
                f"{float(batch.metrics['squeeze_percentile'][row]):.2f}, range {expansion:.1f}x the squeeze, "
                f"jump {float(batch.metrics['realized_jump_ratio'][row]):.1f} squeeze deviations."
            ),
            relative_to="its own compressed volatility baseline",
        ),
    )
