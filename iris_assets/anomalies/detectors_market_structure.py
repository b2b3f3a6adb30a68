"""Market-structure detectors (reference §4.4.10–12): funding/open-interest, cross-exchange dislocation
and liquidation cascade. They read the venue snapshots of the context (each venue's last rows at or
before the evaluated timestamp) and the coin's candles; each evaluates one context at a time.
"""

from __future__ import annotations

import numpy as np

from iris_assets.anomalies.constants import (
    CROSS_EXCHANGE_DISLOCATION,
    FUNDING_OPEN_INTEREST_ANOMALY,
    LIQUIDATION_CASCADE,
)
from iris_assets.anomalies.findings import DetectionContext, Explainability, Finding
from iris_assets.anomalies.series import FloatArray
from iris_assets.anomalies.stats import row_mean, row_std, scale, simple_returns
from iris_assets.anomalies.texts import sigmas
from iris_assets.anomalies.venues import derivatives_rows, liquidation_rows, spread_rows, venue_grid

LOOKBACK = 24


def _f(value: float, low: float, high: float) -> float:
    return float(scale(np.array([value]), low, high)[0])


def _clamp(value: float) -> float:
    return min(max(value, 0.0), 1.0)


def _mean_std(values: FloatArray) -> tuple[float, float]:
    matrix = values[None, :]
    return float(row_mean(matrix)[0]), float(row_std(matrix)[0])


def _z(current: float, baseline: FloatArray, fallback: float) -> float:
    mean, std = _mean_std(baseline)
    return abs(current - mean) / std if std > 0 else fallback


def _current_return(context: DetectionContext) -> float:
    returns = simple_returns(context.candles.close[-2:])
    return float(returns[-1])


def detect_funding_open_interest(context: DetectionContext) -> Finding | None:
    """Funding, open interest and basis jumping together against their own rolling baseline."""
    context = context.bounded()
    if not context.venues:
        return None
    rows = derivatives_rows(venue_grid(context.venues))
    if rows.funding.shape[0] < 12 or len(context.candles) < 2:
        return None
    funding = rows.funding[-LOOKBACK:]
    funding = funding[funding != 0.0]
    open_interest = rows.open_interest[-LOOKBACK:]
    open_interest = open_interest[open_interest > 0.0]
    basis = rows.basis[-LOOKBACK:]
    if funding.shape[0] < 8 or open_interest.shape[0] < 8:
        return None
    # A flat baseline has no std: the reference then scales the raw level instead (bps, percent).
    funding_z = _z(float(funding[-1]), funding[:-1], abs(float(funding[-1])) * 10000.0)
    oi_mean = _mean_std(open_interest[:-1][-12:])[0]
    oi_ratio = float(open_interest[-1]) / oi_mean if oi_mean > 0 else 0.0
    basis_z = _z(float(basis[-1]), basis[:-1], abs(float(basis[-1])) * 100.0)
    move = abs(_current_return(context)) * max(oi_ratio, 1.0)

    funding_c, oi_c, basis_c, move_c = (
        _f(funding_z, 1.5, 5.5),
        _f(oi_ratio, 1.15, 2.8),
        _f(basis_z, 1.0, 4.0),
        _f(move, 0.01, 0.08),
    )
    derivatives = funding_c * 0.38 + oi_c * 0.30 + basis_c * 0.12 + move_c * 0.20
    if max(funding_c, oi_c, basis_c) < 0.35 or derivatives < 0.45:
        return None
    return Finding(
        anomaly_type=FUNDING_OPEN_INTEREST_ANOMALY,
        summary=(
            f"{context.symbol} shows an abnormal shift in leveraged positioning: funding {sigmas(funding_z)} "
            f"off its baseline with open interest at {oi_ratio:.2f}x its recent average."
        ),
        component_scores={
            "derivatives": _clamp(derivatives),
            "price": _clamp(move_c * 0.55),
            "relative": _clamp(basis_c * 0.65),
        },
        metrics={
            "funding_zscore": funding_z,
            "open_interest_ratio": oi_ratio,
            "basis_zscore": basis_z,
            "oi_adjusted_move": move,
        },
        confidence=_clamp(derivatives * 0.74 + max(funding_c, oi_c) * 0.26),
        explainability=Explainability(
            what_happened=f"Derivatives positioning in {context.symbol} changed abruptly across venues.",
            unusualness="Funding spike, open-interest expansion and basis divergence against their rolling baseline.",
            relative_to="its own rolling derivatives baseline",
        ),
    )


def detect_cross_exchange_dislocation(context: DetectionContext) -> Finding | None:
    """Venues stop agreeing on the price: a wide, unusual and persistent cross-venue spread."""
    context = context.bounded()
    if not context.venues:
        return None
    grid = venue_grid(context.venues)
    rows = spread_rows(grid)
    if rows.spread.shape[0] < 8:
        return None
    spreads = rows.spread[-LOOKBACK:]
    dispersion = rows.basis_dispersion[-LOOKBACK:]
    current, baseline = float(spreads[-1]), spreads[:-1]
    spread_mean = _mean_std(baseline)[0]
    spread_z = _z(current, baseline, current / max(spread_mean, 1e-6))
    basis_mean = _mean_std(dispersion[:-1])[0]
    basis_z = _z(float(dispersion[-1]), dispersion[:-1], float(dispersion[-1]) / max(basis_mean, 1e-6))
    # Persistence: this row plus the unbroken run of wide rows right before it.
    wide = baseline[::-1] >= max(spread_mean * 1.5, 0.004)
    duration = 1 + (int(np.argmin(wide)) if not bool(np.all(wide)) else int(wide.shape[0]))

    liquidity_c, spread_c = _f(spread_z, 1.2, 4.5), _f(current, 0.003, 0.03)
    basis_c, persistence_c = _f(basis_z, 1.0, 4.0), _f(float(duration), 1.0, 5.0)
    dislocation = liquidity_c * 0.42 + spread_c * 0.28 + basis_c * 0.15 + persistence_c * 0.15
    if current < 0.004 or dislocation < 0.45:
        return None
    venues = tuple(name for name, priced in zip(grid.venues, rows.priced[:, -1], strict=True) if priced)
    return Finding(
        anomaly_type=CROSS_EXCHANGE_DISLOCATION,
        summary=(
            f"{context.symbol} is priced {current * 100:.2f}% apart across {len(venues)} venues, a dislocation that "
            f"has lasted {duration} snapshot(s)."
        ),
        component_scores={"liquidity": _clamp(dislocation), "relative": _clamp(basis_c * 0.55 + spread_c * 0.45)},
        metrics={
            "venue_spread_zscore": spread_z,
            "venue_spread_pct": current,
            "basis_dispersion_zscore": basis_z,
            "dislocation_duration": float(duration),
        },
        confidence=_clamp(dislocation * 0.72 + persistence_c * 0.28),
        explainability=Explainability(
            what_happened=f"{context.symbol} stopped trading at one price across venues.",
            unusualness="Venue spread z-score, basis dispersion and how long the gap has persisted.",
            relative_to="cross-exchange venue pricing",
        ),
        isolated=len(venues) <= 3,
        affected_symbols=venues,
    )


def detect_liquidation_cascade(context: DetectionContext) -> Finding | None:
    """A burst of one-sided liquidations with falling open interest and an outsized price impulse."""
    context = context.bounded()
    if not context.venues:
        return None
    rows = liquidation_rows(venue_grid(context.venues))
    if rows.total.shape[0] < 8 or len(context.candles) < 3:
        return None
    totals = rows.total[-LOOKBACK:]
    current_total, baseline = float(totals[-1]), totals[:-1]
    if current_total <= 0.0 or baseline.shape[0] < 4:
        return None
    liq_mean = _mean_std(baseline)[0]
    liq_z = _z(current_total, baseline, current_total / max(liq_mean, 1.0))
    oi = rows.open_interest[-LOOKBACK:]
    previous_oi, current_oi = float(oi[-2]), float(oi[-1])
    oi_drop = max(previous_oi - current_oi, 0.0) / previous_oi if previous_oi > 0 else 0.0

    move = _current_return(context)
    earlier = simple_returns(context.candles.close[:-1])[1:]
    earlier_std = _mean_std(earlier)[1]
    impulse = abs(move) / earlier_std if earlier_std > 0 else abs(move) * 100.0
    # A falling candle flushes longs; a rising one squeezes shorts.
    side_total = float(rows.longs[-LOOKBACK:][-1] if move < 0 else rows.shorts[-LOOKBACK:][-1])
    imbalance = side_total / current_total

    liquidity_c, oi_c = _f(liq_z, 1.5, 6.0), _f(oi_drop, 0.01, 0.12)
    impulse_c, imbalance_c = _f(impulse, 1.4, 5.5), _f(imbalance, 0.55, 1.0)
    cascade = liquidity_c * 0.35 + oi_c * 0.20 + impulse_c * 0.25 + imbalance_c * 0.20
    if liq_z < 1.6 or impulse < 1.5 or cascade < 0.48:
        return None
    side = "long_flush" if move < 0 else "short_squeeze"
    side_words = side.replace("_", " ")
    return Finding(
        anomaly_type=LIQUIDATION_CASCADE,
        summary=(
            f"{context.symbol} is in a liquidation-driven {side_words}: liquidations "
            f"{sigmas(liq_z)} above normal with open interest down {oi_drop * 100:.1f}%."
        ),
        component_scores={
            "liquidity": _clamp(cascade),
            "derivatives": _clamp(oi_c * 0.60 + imbalance_c * 0.40),
            "volatility": _clamp(impulse_c),
        },
        metrics={
            "liquidation_zscore": liq_z,
            "liquidation_total": current_total,
            "open_interest_drop_ratio": oi_drop,
            "price_impulse_ratio": impulse,
            "cascade_alignment": imbalance,
        },
        confidence=_clamp(cascade * 0.76 + imbalance_c * 0.24),
        explainability=Explainability(
            what_happened=f"{context.symbol} printed a forced-unwind move consistent with a {side_words}.",
            unusualness="Liquidation spike, open-interest drop and a price impulse on the liquidated side.",
            relative_to="its own rolling liquidation and derivatives baseline",
        ),
        confirmation_hits=2 if liq_z >= 2.0 else 1,
        confirmation_target=2,
    )
