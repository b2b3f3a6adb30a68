"""The sector scan's detector over all of one coin's trigger times at once, and what each bar records.

Each trigger is evaluated on exactly the contexts the one-trigger path would build: the coin's last
``lookback`` candles opened at or before the trigger and each sector peer's last ``lookback`` (a
peer with fewer than two is left out); nothing later is read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from iris_assets.anomalies.constants import MAX_SECTOR_PEERS
from iris_assets.anomalies.detectors_sector import WINDOW as SYNCHRONOUS_WINDOW
from iris_assets.anomalies.detectors_sector import PeerWindow, peer_moves, synchronous_move
from iris_assets.anomalies.findings import CoinHistory, DetectionContext, Finding
from iris_assets.anomalies.series import as_times, to_datetime
from iris_assets.anomalies.stats import divide_nonzero


@dataclass(frozen=True, slots=True)
class ScanBar:
    """Where a scan evaluates: the facts a detection row copies (a context without its series)."""

    symbol: str
    timeframe: int
    timestamp: datetime
    window_start: datetime | None
    market_regime: str | None
    sector: str | None
    portfolio_relevant: bool

    @classmethod
    def of(cls, context: DetectionContext) -> ScanBar:
        """The facts of a full detection context."""
        return cls(context.symbol, context.timeframe, context.timestamp, context.window_start,
                   context.market_regime, context.sector, context.portfolio_relevant)


def sector_peers(coins: Sequence[CoinHistory], coin: CoinHistory) -> list[CoinHistory]:
    """The coin's sector peers: same sector, not itself, by (sort_order, symbol), at most 8."""
    if coin.sector is None:
        return []
    same = [c for c in coins if c.sector == coin.sector and c.symbol != coin.symbol]
    return sorted(same, key=lambda c: (c.sort_order, c.symbol))[:MAX_SECTOR_PEERS]


def sector_evaluations(
    coins: Sequence[CoinHistory], coin: CoinHistory, at: Sequence[datetime], lookback: int
) -> list[tuple[ScanBar, Finding | None] | None]:
    """The synchronous-move detector at each of ``coin``'s trigger times, all at once.

    Trigger ``k`` sees exactly what its own context would hold: the coin's last ``lookback`` candles
    opened at or before ``at[k]`` and each peer's last ``lookback`` (peers with fewer than two are
    left out), never a later candle. None where the coin has no candle by then.
    """
    times = coin.candles.timestamps
    cuts = as_times(list(at))
    stops = np.searchsorted(times, cuts, side="right")
    firsts = np.maximum(stops - lookback, 0)  # the context window's first candle
    starts = np.maximum(stops - min(lookback, SYNCHRONOUS_WINDOW), 0)  # the detector's last 50 of them
    peers = sector_peers(coins, coin)
    windows = []
    for peer in peers:
        peer_stops = np.searchsorted(peer.candles.timestamps, cuts, side="right")
        lower = np.maximum(peer_stops - lookback, 0)
        windows.append(PeerWindow(peer.candles, lower, peer_stops - lower >= 2))
    moves = peer_moves(times, starts, stops, windows)
    close = coin.candles.close
    previous = np.maximum(stops - 2, 0)
    last = np.maximum(stops - 1, 0)
    trigger_returns = divide_nonzero(close[last] - close[previous], close[previous]) if close.shape[0] else stops * 0.0
    symbols = [peer.symbol for peer in peers]
    evaluations: list[tuple[ScanBar, Finding | None] | None] = []
    for row, moment in enumerate(at):
        stop = int(stops[row])
        if stop == 0:
            evaluations.append(None)
            continue
        present = bool(moves.counted.shape[1]) and any(window.present[row] for window in windows)
        bar = ScanBar(coin.symbol, coin.timeframe, moment, to_datetime(times[int(firsts[row])]),
                   coin.regime_at(stop - 1), coin.sector, coin.portfolio_relevant)
        trigger_return = float(trigger_returns[row]) if stop - int(starts[row]) >= 2 else None
        finding = (synchronous_move(coin.symbol, coin.sector, symbols, moves, row, trigger_return)
                   if present else None)
        evaluations.append((bar, finding))
    return evaluations


