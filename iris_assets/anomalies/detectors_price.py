"""Price detectors of the fast path: ``price_spike`` (reference §4.4.1) and ``failed_breakout`` (§4.4.4).

Each kernel evaluates every bar in ``ends`` at once; comments give the reference's window in
candles. ``n`` is the number of candles a bar actually sees (shorter at the start of a history).
"""

from __future__ import annotations

import numpy as np

from iris_assets.anomalies.batch import DetectorBatch
from iris_assets.anomalies.constants import FAILED_BREAKOUT, PRICE_SPIKE
from iris_assets.anomalies.findings import Explainability, Subject
from iris_assets.anomalies.prepared import PreparedSeries
from iris_assets.anomalies.series import IntArray
from iris_assets.anomalies.stats import (
    clamp01,
    ratio,
    row_mean,
    row_percentile_rank,
    row_zscore,
    scale,
    windows,
)
from iris_assets.anomalies.texts import pct, sigmas, signed_pct, timeframe_label

PRICE_SPIKE_WINDOW = 50  # lookback 48 + 2 candles
PRICE_SPIKE_MIN_CANDLES = 12
ATR_BASELINE = 14
BREAKOUT_WINDOW_CANDLES = 33  # lookback 32 + 1
BREAKOUT_WINDOW = 12
BREAKOUT_GATE = 0.42


def price_spike_batch(prepared: PreparedSeries, ends: IntArray) -> DetectorBatch:
    """Current return against the window's return, range and true-range history."""
    n = np.minimum(ends + 1, PRICE_SPIKE_WINDOW)
    current_return = prepared.returns[ends]
    # Baseline returns are the window's returns without the current one: n − 2 values ending at t − 1.
    baseline_returns = windows(prepared.returns, ends - 1, PRICE_SPIKE_WINDOW - 2, n - 2)
    return_z = row_zscore(current_return, baseline_returns)
    move_percentile = row_percentile_rank(np.abs(baseline_returns), np.abs(current_return))
    # Ranges are per candle, so their baseline is every window candle but the current one.
    baseline_ranges = windows(prepared.range_ratio, ends - 1, PRICE_SPIKE_WINDOW - 1, n - 1)
    range_z = row_zscore(prepared.range_ratio[ends], baseline_ranges)
    baseline_atr = row_mean(windows(prepared.true_range, ends - 1, ATR_BASELINE, np.minimum(n - 1, ATR_BASELINE)))
    atr_ratio = ratio(prepared.true_range[ends], baseline_atr)

    z_c = scale(return_z, 1.2, 4.4)
    percentile_c = scale(move_percentile, 0.84, 1.0)
    range_c = scale(range_z, 1.0, 4.0)
    atr_c = scale(atr_ratio, 1.2, 3.6)
    price = z_c * 0.40 + percentile_c * 0.25 + range_c * 0.15 + atr_c * 0.20
    return DetectorBatch(
        anomaly_type=PRICE_SPIKE,
        ends=ends,
        fired=n >= PRICE_SPIKE_MIN_CANDLES,
        components={"price": clamp01(price), "volatility": clamp01((range_c + atr_c) / 2.0)},
        metrics={
            f"return_{prepared.timeframe}m": current_return,
            "return_zscore": return_z,
            "move_percentile": move_percentile,
            "atr_ratio": atr_ratio,
            "range_zscore": range_z,
        },
        confidence=clamp01(price * 0.70 + percentile_c * 0.30),
        render=_render_price_spike,
        labels={"direction": np.where(current_return >= 0, "upside", "downside")},
    )


def _render_price_spike(batch: DetectorBatch, row: int, subject: Subject) -> tuple[str, Explainability]:
    direction = batch.label("direction", row)
    move = float(batch.metrics[f"return_{subject.timeframe}m"][row])
    z = float(batch.metrics["return_zscore"][row])
    tf = timeframe_label(subject.timeframe)
    return (
        f"{subject.symbol} made an abnormal {direction} move of {signed_pct(move)} on one {tf} candle "
        f"({sigmas(z)} from its recent returns).",
        Explainability(
            what_happened=f"{subject.symbol} moved {signed_pct(move)} in a single {tf} candle.",
            unusualness=(
                f"The return sits {sigmas(z)} from the rolling mean, above "
                f"{pct(float(batch.metrics['move_percentile'][row]))} of recent moves, with a true range "
                f"{float(batch.metrics['atr_ratio'][row]):.1f}x the recent ATR."
            ),
            relative_to="its own rolling returns, candle ranges and ATR",
        ),
    )


def failed_breakout_batch(prepared: PreparedSeries, ends: IntArray) -> DetectorBatch:
    """An intrabar break of the previous 12 candles' high or low that closes back inside the range."""
    n = np.minimum(ends + 1, BREAKOUT_WINDOW_CANDLES)
    highs = windows(prepared.high, ends - 1, BREAKOUT_WINDOW)
    lows = windows(prepared.low, ends - 1, BREAKOUT_WINDOW)
    with np.errstate(invalid="ignore"):  # NaN rows belong to bars that cannot fire (n < 13)
        reference_high = np.max(highs, axis=1)
        reference_low = np.min(lows, axis=1)
    high, low, close, open_ = (prepared.high[ends], prepared.low[ends], prepared.close[ends], prepared.open[ends])

    up_excursion = ratio(high - reference_high, reference_high)
    up_rejection = ratio(reference_high - close, reference_high)
    down_excursion = ratio(reference_low - low, reference_low)
    down_rejection = ratio(close - reference_low, reference_low)
    upside = (up_excursion >= 0.001) & (up_rejection >= 0.0005)
    # The downside wins only if its excursion + rejection beats the upside's (ties go up).
    downside = (
        (down_excursion >= 0.001)
        & (down_rejection >= 0.0005)
        & (down_excursion + down_rejection > np.where(upside, up_excursion + up_rejection, 0.0))
    )
    excursion = np.where(downside, down_excursion, up_excursion)
    rejection = np.where(downside, down_rejection, up_rejection)
    level = np.where(downside, reference_low, reference_high)

    previous_volume = row_mean(windows(prepared.volume, ends - 1, BREAKOUT_WINDOW))
    current_volume = np.nan_to_num(prepared.volume[ends], nan=0.0)
    volume_ratio = ratio(current_volume, previous_volume)
    body = np.abs(close - open_)
    body = np.where(body > 1e-9, body, np.maximum(close * 0.001, 1e-9))
    wick = np.where(downside, np.minimum(open_, close) - low, high - np.maximum(open_, close))
    wick_ratio = np.maximum(wick, 0.0) / body

    excursion_c = scale(excursion, 0.001, 0.025)
    rejection_c = scale(rejection, 0.0007, 0.015)
    wick_c = scale(wick_ratio, 0.9, 5.0)
    volume_c = scale(volume_ratio, 1.0, 3.5)
    price = rejection_c * 0.42 + excursion_c * 0.23 + wick_c * 0.25 + volume_c * 0.10
    return DetectorBatch(
        anomaly_type=FAILED_BREAKOUT,
        ends=ends,
        fired=(n >= BREAKOUT_WINDOW + 1) & (upside | downside) & (price >= BREAKOUT_GATE),
        components={"price": clamp01(price), "volatility": clamp01(excursion_c * 0.45 + wick_c * 0.55)},
        metrics={
            "breakout_excursion": excursion,
            "rejection_depth": rejection,
            "wick_body_ratio": wick_ratio,
            "volume_ratio": volume_ratio,
            "reference_level": level,
        },
        confidence=clamp01(price * 0.75 + wick_c * 0.25),
        render=_render_failed_breakout,
        labels={"direction": np.where(downside, "downside", "upside")},
    )


def _render_failed_breakout(batch: DetectorBatch, row: int, subject: Subject) -> tuple[str, Explainability]:
    def metric(name: str) -> float:
        """This row's value of metric ``name``."""
        return float(batch.metrics[name][row])

    direction = batch.label("direction", row)
    side = "high" if direction == "upside" else "low"
    level = float(batch.metrics["reference_level"][row])
    return (
        f"{subject.symbol} broke the {BREAKOUT_WINDOW}-candle {side} ({level:.6g}) intrabar but closed back "
        f"inside the range: a failed {direction} breakout.",
        Explainability(
            what_happened=f"{subject.symbol} pierced its recent {side} and was rejected by the close.",
            unusualness=(
                f"Excursion {pct(metric('breakout_excursion'))} beyond the level, rejection "
                f"{pct(metric('rejection_depth'))}, wick {metric('wick_body_ratio'):.1f}x the body, volume "
                f"{metric('volume_ratio'):.1f}x the recent average."
            ),
            relative_to=f"the rolling {BREAKOUT_WINDOW}-candle breakout level",
        ),
    )
