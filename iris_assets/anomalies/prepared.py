"""Per-coin arrays the fast-path detectors share, computed once per history (or once per context).

**Alignment by timestamp (an improvement over the reference).** The reference paired a coin's
returns with its benchmark's and peers' by truncating both return lists to the same length *from
the tail*, so one missing candle on either side silently compared different hours. Here the
benchmark and every peer are joined to the coin on candle open time (an inner join): returns are
taken between consecutive *joined* candles, a benchmark without the coin's current candle makes the
relative detectors stay silent on that bar, and a peer without it contributes no latest return.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from iris_assets.anomalies.series import CandleSeries, FloatArray, IntArray, PriceSeries, TimeArray
from iris_assets.anomalies.stats import divide_nonzero, simple_returns, true_range, windows


def align_closes(base: TimeArray, other_times: TimeArray, other_close: FloatArray) -> FloatArray:
    """``other``'s close at each ``base`` open time, NaN where ``other`` has no candle then."""
    if other_times.shape[0] == 0:
        return np.full(base.shape[0], np.nan)
    position = np.clip(np.searchsorted(other_times, base), 0, other_times.shape[0] - 1)
    return np.where(other_times[position] == base, other_close[position], np.nan)


@dataclass(frozen=True, slots=True)
class JoinedBenchmark:
    """Coin and benchmark on the open times both have: ``index`` are the coin positions of those rows."""

    index: IntArray
    coin_returns: FloatArray
    benchmark_returns: FloatArray
    position: IntArray  # per coin bar: its row in ``index``, or -1 when the benchmark lacks that bar


@dataclass(frozen=True, slots=True)
class PeerReturns:
    """Each peer's return *ending at* each coin bar (NaN if the peer has no candle there).

    ``start[p, j]`` is the coin position of the joined candle that return starts from, so a detector
    can insist that both ends lie inside its window.
    """

    latest: FloatArray
    start: IntArray


@dataclass(frozen=True, slots=True)
class PreparedSeries:
    """Derived per-bar arrays of one coin (returns, true range, volume compression, joins)."""

    timeframe: int
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray
    returns: FloatArray
    true_range: FloatArray
    range_ratio: FloatArray
    volume_index: IntArray
    benchmark: JoinedBenchmark | None
    peers: PeerReturns
    # Results two detectors share (the volume statistics), keyed by name and evaluated bars.
    shared: dict[tuple[str, bytes], Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def size(self) -> int:
        """Number of candles."""
        return int(self.close.shape[0])

    def volume_windows(self, ends: IntArray, width: int) -> tuple[FloatArray, IntArray]:
        """Per bar: the reported volumes among its last ``width`` candles (NaN-padded) and their count.

        Candles without volume are skipped, as the reference's ``if candle.volume is not None``.
        """
        starts = np.maximum(ends - width + 1, 0)
        low = np.searchsorted(self.volume_index, starts, side="left")
        high = np.searchsorted(self.volume_index, ends, side="right")
        counts = high - low
        compressed = self.volume[self.volume_index]
        return windows(compressed, high - 1, width, counts), counts


def _join_benchmark(candles: CandleSeries, benchmark: PriceSeries) -> JoinedBenchmark:
    aligned = align_closes(candles.timestamps, benchmark.timestamps, benchmark.close)
    index = np.flatnonzero(~np.isnan(aligned))
    position = np.full(len(candles), -1, dtype=np.intp)
    position[index] = np.arange(index.shape[0])
    return JoinedBenchmark(
        index=index,
        coin_returns=simple_returns(candles.close[index]),
        benchmark_returns=simple_returns(aligned[index]),
        position=position,
    )


def _peer_returns(candles: CandleSeries, peers: Sequence[PriceSeries]) -> PeerReturns:
    n = len(candles)
    latest = np.full((len(peers), n), np.nan)
    start = np.full((len(peers), n), -1, dtype=np.intp)
    for row, peer in enumerate(peers):
        aligned = align_closes(candles.timestamps, peer.timestamps, peer.close)
        index = np.flatnonzero(~np.isnan(aligned))
        latest[row, index] = simple_returns(aligned[index])
        start[row, index[1:]] = index[:-1]
    return PeerReturns(latest=latest, start=start)


def prepare(
    candles: CandleSeries,
    timeframe: int,
    *,
    benchmark: PriceSeries | None = None,
    peers: Sequence[PriceSeries] = (),
) -> PreparedSeries:
    """Derive the shared arrays for ``candles`` (benchmark and peers joined on open time)."""
    return PreparedSeries(
        timeframe=timeframe,
        open=candles.open,
        high=candles.high,
        low=candles.low,
        close=candles.close,
        volume=candles.volume,
        returns=simple_returns(candles.close),
        true_range=true_range(candles.high, candles.low, candles.close),
        range_ratio=divide_nonzero(candles.high - candles.low, candles.close),
        volume_index=np.flatnonzero(~np.isnan(candles.volume)),
        benchmark=None if benchmark is None else _join_benchmark(candles, benchmark),
        peers=_peer_returns(candles, peers),
    )


def peer_latest(prepared: PreparedSeries, ends: IntArray, window: int) -> tuple[FloatArray, IntArray]:
    """Mean latest peer return at each bar and how many peers had one inside the ``window`` candles."""
    if prepared.peers.latest.shape[0] == 0:
        return np.zeros(ends.shape[0]), np.zeros(ends.shape[0], dtype=np.intp)
    latest = prepared.peers.latest[:, ends]
    inside = ~np.isnan(latest) & (prepared.peers.start[:, ends] >= np.maximum(ends - window + 1, 0)[None, :])
    counts = inside.sum(axis=0)
    total = np.where(inside, latest, 0.0).sum(axis=0)
    return np.where(counts > 0, total / np.maximum(counts, 1), 0.0), counts
