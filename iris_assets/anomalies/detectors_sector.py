"""The sector-scan detector ``cross_asset_synchronous_move`` (reference §4.4.9).

Peers are joined to the trigger coin's last 50 candles on open time (improving on the reference's
tail alignment): a peer's returns run between its consecutive joined candles, and a peer without a
candle at the trigger bar has no latest return, so it is not counted as a peer on that bar.
"""

from __future__ import annotations

import numpy as np

from iris_assets.anomalies.constants import CROSS_ASSET_SYNCHRONOUS_MOVE, SCOPE_SECTOR
from iris_assets.anomalies.findings import DetectionContext, Explainability, Finding
from iris_assets.anomalies.prepared import align_closes
from iris_assets.anomalies.stats import row_zscore, scale, simple_returns

WINDOW = 50  # candles: lookback 48 + 2
MIN_RETURNS = 12
MOVER_Z = 1.5


def _scale(value: float, low: float, high: float) -> float:
    return float(scale(np.array([value]), low, high)[0])


def detect_synchronous_move(context: DetectionContext) -> Finding | None:
    """Many sector peers printing abnormal returns on the same bar, in the same direction."""
    context = context.bounded()
    if not context.sector_peers or len(context.candles) == 0:
        return None
    window = context.candles.take(max(0, len(context.candles) - WINDOW), len(context.candles))
    current = window.timestamps.shape[0] - 1
    movers: list[tuple[str, float, float]] = []
    peer_count = 0
    for symbol, peer in context.sector_peers.items():
        aligned = align_closes(window.timestamps, peer.timestamps, peer.close)
        joined = np.flatnonzero(~np.isnan(aligned))
        if joined.shape[0] == 0 or joined[-1] != current:
            continue  # no candle at the trigger bar: its latest return would describe another time
        returns = simple_returns(aligned[joined])[1:]
        if returns.shape[0] < MIN_RETURNS:
            continue
        peer_count += 1
        latest = float(returns[-1])
        z = float(row_zscore(np.array([latest]), returns[None, :-1])[0])
        if z >= MOVER_Z:
            movers.append((symbol, latest, z))
    if peer_count < 2:
        return None

    trigger_returns = simple_returns(window.close)[1:]
    trigger_return = float(trigger_returns[-1]) if trigger_returns.shape[0] else 0.0
    signs = [1 if value >= 0 else -1 for _, value, _ in movers]
    if trigger_returns.shape[0]:
        signs.append(1 if trigger_return >= 0 else -1)
    dominant = 1 if sum(signs) >= 0 else -1
    alignment = sum(1 for sign in signs if sign == dominant) / len(signs) if signs else 0.0
    breadth = len(movers) / peer_count
    intensity = sum(z for _, _, z in movers) / len(movers) if movers else 0.0

    synchronicity = (
        _scale(breadth, 0.35, 0.85) * 0.45 + _scale(intensity, 1.6, 4.0) * 0.35 + _scale(alignment, 0.6, 1.0) * 0.20
    )
    sector = context.sector or "sector"
    direction = "up" if dominant > 0 else "down"
    return Finding(
        anomaly_type=CROSS_ASSET_SYNCHRONOUS_MOVE,
        summary=(
            f"The {sector} sector is moving {direction} as a cluster: {len(movers)} of {peer_count} peers printed "
            f"abnormal returns on the same {context.symbol} candle."
        ),
        component_scores={
            "synchronicity": min(max(synchronicity, 0.0), 1.0),
            "price": min(max(_scale(abs(trigger_return), 0.01, 0.05) * 0.4, 0.0), 1.0),
        },
        metrics={
            "simultaneous_zscore_count": float(len(movers)),
            "sector_breadth_spike": breadth,
            "cluster_movement_intensity": intensity,
            "alignment_ratio": alignment,
        },
        confidence=min(max(synchronicity * 0.80 + alignment * 0.20, 0.0), 1.0),
        explainability=Explainability(
            what_happened=f"The {sector} sector started moving together instead of as isolated names.",
            unusualness="Share of peers with abnormal returns, their average z-score and directional alignment.",
            relative_to=sector,
            market_wide=True,
        ),
        scope=SCOPE_SECTOR,
        isolated=False,
        affected_symbols=tuple(symbol for symbol, _, _ in sorted(movers, key=lambda item: item[2], reverse=True)),
    )
