"""The sector-scan detector ``cross_asset_synchronous_move`` (reference §4.4.9).

Peers are joined to the trigger coin's last 50 candles on open time (improving on the reference's
tail alignment): a peer's returns run between its consecutive joined candles, and a peer without a
candle at the trigger bar has no latest return, so it is not counted as a peer on that bar.

``peer_moves`` evaluates many trigger bars of one coin at once (the sector scan); the one-context
``detect_synchronous_move`` runs the same kernel on a single bar, so both share every formula.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from iris_assets.anomalies.constants import CROSS_ASSET_SYNCHRONOUS_MOVE, SCOPE_SECTOR
from iris_assets.anomalies.findings import DetectionContext, Explainability, Finding
from iris_assets.anomalies.series import BoolArray, FloatArray, IntArray, PriceSeries, TimeArray
from iris_assets.anomalies.stats import divide_nonzero, row_zscore, simple_returns

WINDOW = 50  # candles: lookback 48 + 2
MIN_RETURNS = 12
MOVER_Z = 1.5


@dataclass(frozen=True, slots=True)
class PeerWindow:
    """One peer as the trigger bars see it: its candles ``[lower[k], …]`` at or before trigger ``k``.

    ``present[k]`` is False where the peer is not among the trigger's peers at all.
    """

    series: PriceSeries
    lower: IntArray
    present: BoolArray


@dataclass(frozen=True, slots=True)
class PeerMoves:
    """Per trigger bar (row) and peer (column): whether the peer counts, its latest return and z-score."""

    counted: BoolArray
    latest: FloatArray
    zscore: FloatArray


def _exact_matches(times: TimeArray, other: TimeArray) -> IntArray:
    """Position in ``other`` of each of ``times`` (−1 where ``other`` has no such open time)."""
    if other.shape[0] == 0:
        return np.full(times.shape[0], -1, dtype=np.intp)
    position = np.clip(np.searchsorted(other, times), 0, other.shape[0] - 1)
    return np.where(other[position] == times, position, -1)


def peer_moves(times: TimeArray, starts: IntArray, stops: IntArray, peers: Sequence[PeerWindow]) -> PeerMoves:
    """Each peer's latest joined return and its z-score against the earlier joined returns, per trigger.

    Trigger ``k`` looks at the coin's candles ``times[starts[k]:stops[k]]`` (at most ``WINDOW``, the
    last one being the trigger bar). A peer counts when it has a candle at the trigger bar and at
    least ``MIN_RETURNS`` returns between its joined candles inside the window.
    """
    triggers = starts.shape[0]
    counted = np.zeros((triggers, len(peers)), dtype=np.bool_)
    latest = np.full((triggers, len(peers)), np.nan)
    zscore = np.full((triggers, len(peers)), np.nan)
    if triggers == 0 or not peers or times.shape[0] == 0:
        return PeerMoves(counted, latest, zscore)
    lengths = stops - starts
    columns = np.arange(WINDOW)
    inside = columns[None, :] < lengths[:, None]
    positions = np.where(inside, starts[:, None] + columns[None, :], 0)
    rows = np.arange(triggers)
    for column, peer in enumerate(peers):
        if peer.series.timestamps.shape[0] == 0:
            continue  # no candle at all: never counted
        match = _exact_matches(times, peer.series.timestamps)[positions]
        joined_at = inside & (match >= 0) & (match >= peer.lower[:, None]) & peer.present[:, None]
        values = np.where(joined_at, peer.series.close[np.maximum(match, 0)], np.nan)
        joined = ~np.isnan(values)
        count = joined.sum(axis=1)
        at_trigger = joined[rows, np.maximum(lengths - 1, 0)] & (lengths > 0)
        # Joined closes moved to the front of each row, in time order: returns between consecutive ones.
        order = np.argsort(~joined, axis=1, kind="stable")
        closes = np.take_along_axis(values, order, axis=1)
        returns = divide_nonzero(closes[:, 1:] - closes[:, :-1], closes[:, :-1])
        usable = at_trigger & (count - 1 >= MIN_RETURNS)
        counted[:, column] = usable
        # Rows are grouped by their number of returns, so each z-score reduces a row of its own length.
        for size in np.unique(count[usable]):
            group = np.flatnonzero(usable & (count == size))
            current = returns[group, size - 2]
            baseline = np.ascontiguousarray(returns[group, : size - 2])
            latest[group, column] = current
            zscore[group, column] = row_zscore(current, baseline)
    return PeerMoves(counted, latest, zscore)


def _scale(value: float, low: float, high: float) -> float:
    # The scalar ``stats.scale``: the same IEEE operations, and min/max pass NaN through as np.clip does.
    return min(max((value - low) / (high - low), 0.0), 1.0)


def synchronous_move(
    symbol: str,
    sector: str | None,
    peer_symbols: Sequence[str],
    moves: PeerMoves,
    row: int,
    trigger_return: float | None,
) -> Finding | None:
    """The finding for trigger ``row`` of ``moves`` (``trigger_return`` None: the window holds one candle)."""
    movers: list[tuple[str, float, float]] = []
    peer_count = 0
    counted, latest, zscore = moves.counted[row], moves.latest[row], moves.zscore[row]
    for column, peer_symbol in enumerate(peer_symbols):
        if not counted[column]:
            continue
        peer_count += 1
        z = float(zscore[column])
        if z >= MOVER_Z:
            movers.append((peer_symbol, float(latest[column]), z))
    if peer_count < 2:
        return None

    signs = [1 if value >= 0 else -1 for _, value, _ in movers]
    if trigger_return is not None:
        signs.append(1 if trigger_return >= 0 else -1)
    else:
        trigger_return = 0.0
    dominant = 1 if sum(signs) >= 0 else -1
    alignment = sum(1 for sign in signs if sign == dominant) / len(signs) if signs else 0.0
    breadth = len(movers) / peer_count
    intensity = sum(z for _, _, z in movers) / len(movers) if movers else 0.0

    synchronicity = (
        _scale(breadth, 0.35, 0.85) * 0.45 + _scale(intensity, 1.6, 4.0) * 0.35 + _scale(alignment, 0.6, 1.0) * 0.20
    )
    sector_name = sector or "sector"
    direction = "up" if dominant > 0 else "down"
    return Finding(
        anomaly_type=CROSS_ASSET_SYNCHRONOUS_MOVE,
        summary=(
            f"The {sector_name} sector is moving {direction} as a cluster: {len(movers)} of {peer_count} peers "
            f"printed abnormal returns on the same {symbol} candle."
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
            what_happened=f"The {sector_name} sector started moving together instead of as isolated names.",
            unusualness="Share of peers with abnormal returns, their average z-score and directional alignment.",
            relative_to=sector_name,
            market_wide=True,
        ),
        scope=SCOPE_SECTOR,
        isolated=False,
        affected_symbols=tuple(name for name, _, _ in sorted(movers, key=lambda item: item[2], reverse=True)),
    )


def detect_synchronous_move(context: DetectionContext) -> Finding | None:
    """Many sector peers printing abnormal returns on the same bar, in the same direction."""
    context = context.bounded()
    size = len(context.candles)
    if not context.sector_peers or size == 0:
        return None
    start, stop = np.array([max(0, size - WINDOW)]), np.array([size])
    one = np.zeros(1, dtype=np.intp)
    peers = [PeerWindow(peer, one, np.ones(1, dtype=np.bool_)) for peer in context.sector_peers.values()]
    moves = peer_moves(context.candles.timestamps, start, stop, peers)
    trigger_return = float(simple_returns(context.candles.close[-2:])[1]) if size - int(start[0]) >= 2 else None
    return synchronous_move(context.symbol, context.sector, list(context.sector_peers), moves, 0, trigger_return)
