"""The fast-path history scan: every bar of a window, eight detectors, scored, through the lifecycle.

``scan_history`` replays what the reference did on each ``candle_closed`` event, for a whole window
at once. Each bar is evaluated on the ``lookback`` candles ending at it and never on a later one:
the history is cut after the window's last bar, and every detector kernel reads only trailing
windows. The heavy statistics are vectorised over all bars (see ``stats``); Python only walks the
lifecycle, and only on bars where an anomaly is open or could be created. The same call with a
one-bar window is the live fast path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

import numpy as np

from iris_assets.anomalies.batch import DetectorBatch, concat_batches
from iris_assets.anomalies.constants import FAST_PATH_LOOKBACK, SOURCE_FAST_PATH
from iris_assets.anomalies.fast_path import FAST_PATH_KERNELS
from iris_assets.anomalies.findings import CoinHistory, ScoredFinding, Subject
from iris_assets.anomalies.ledger import AnomalyLedger, Key
from iris_assets.anomalies.lifecycle import DEFAULT_POLICY, LifecyclePolicy, OpenAnomaly, regime_factor
from iris_assets.anomalies.prepared import PreparedSeries, prepare
from iris_assets.anomalies.rows import Detection, ScanResult
from iris_assets.anomalies.scoring import component_score, final_confidence, severity_for
from iris_assets.anomalies.series import IntArray, PriceSeries, as_time

# The widest detector window (50 candles); a shorter lookback would change the detectors' inputs.
MIN_LOOKBACK = 50


@dataclass(frozen=True, slots=True)
class _BarScore:
    score: float
    confirmation_hits: int
    confirmation_target: int


# Kernels run over slices of this many bars: their (bars × window) temporaries then stay in the CPU
# cache and in memory the allocator reuses, which is about twice as fast as one pass over a month.
KERNEL_CHUNK = 384


def evaluate_fast_path(prepared: PreparedSeries, ends: IntArray) -> dict[str, DetectorBatch]:
    """All eight fast-path kernels at candle positions ``ends``, keyed by anomaly type.

    Each row of a kernel depends on its own bar only, so evaluating slices of ``ends`` and joining
    them gives exactly the arrays of one evaluation over all of ``ends``.
    """
    slices = [ends[i : i + KERNEL_CHUNK] for i in range(0, ends.shape[0], KERNEL_CHUNK)] or [ends]
    return {
        anomaly_type: concat_batches([kernel(prepared, part) for part in slices])
        for anomaly_type, kernel in FAST_PATH_KERNELS.items()
    }


def scan_history(
    coin: CoinHistory,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    benchmark: PriceSeries | None = None,
    benchmark_symbol: str = "BTCUSD",
    sector_peers: Mapping[str, PriceSeries] | None = None,
    related_peers: Mapping[str, PriceSeries] | None = None,
    open_anomalies: Sequence[OpenAnomaly] = (),
    policy: LifecyclePolicy = DEFAULT_POLICY,
    lookback: int = FAST_PATH_LOOKBACK,
    source: str | None = None,
) -> ScanResult:
    """Run the fast path at every candle opened in ``[start, end]`` (inclusive; None = unbounded).

    ``open_anomalies`` are the coin's anomalies still open before ``start`` (the scan continues their
    lifecycle); the result holds the rows this scan created and every lifecycle event in time order.
    """
    if lookback < MIN_LOOKBACK:
        raise ValueError(f"lookback must be at least {MIN_LOOKBACK} candles")
    times = coin.candles.timestamps
    first = 0 if start is None else int(np.searchsorted(times, as_time(start), side="left"))
    stop = len(coin.candles) if end is None else int(np.searchsorted(times, as_time(end), side="right"))
    ledger = AnomalyLedger(policy, open_anomalies)
    if stop <= first:
        return ledger.result()
    # Nothing after the window's last bar, and nothing older than the first bar's lookback.
    offset = max(0, first - lookback + 1)
    candles = coin.candles.take(offset, stop)
    peers = [*(sector_peers or {}).values(), *(related_peers or {}).values()]
    prepared = prepare(candles, coin.timeframe, benchmark=benchmark, peers=peers)
    ends = np.arange(first - offset, stop - offset, dtype=np.intp)
    subject = Subject(coin.symbol, coin.timeframe, coin.sector, benchmark_symbol, bool(sector_peers))
    walker = _Walker(coin, candles.timestamps, offset, ends, lookback, subject, source or SOURCE_FAST_PATH)
    for anomaly_type, batch in evaluate_fast_path(prepared, ends).items():
        walker.walk(ledger, policy, (coin.symbol, coin.timeframe, anomaly_type), batch)
    return ledger.result(evaluations=int(ends.shape[0]))


class _Walker:
    """Walks one detector's batch through time for one coin, feeding the ledger."""

    def __init__(
        self,
        coin: CoinHistory,
        times: np.ndarray,
        offset: int,
        ends: IntArray,
        lookback: int,
        subject: Subject,
        source: str,
    ) -> None:
        self._coin = coin
        self._times = times
        self._offset = offset
        self._ends = ends
        self._lookback = lookback
        self._subject = subject
        self._source = source
        # Per evaluated bar, once per coin: its regime label and that regime's threshold factor.
        first = int(ends[0]) + offset if ends.shape[0] else 0
        self._regimes = list(coin.regimes[first : first + ends.shape[0]]) if coin.regimes else None
        labels = self._regimes if self._regimes is not None else [coin.market_regime]
        factor = {label: regime_factor(label) for label in set(labels)}
        self._factors = (
            np.full(ends.shape[0], factor[coin.market_regime])
            if self._regimes is None
            else np.array([factor[label] for label in self._regimes], dtype=np.float64)
        )
        # Every bar's open time as an aware datetime, converted in one pass (what ``to_datetime`` gives).
        naive = times.astype("datetime64[us]").tolist()
        self._stamps: list[datetime] = [moment.replace(tzinfo=UTC) for moment in naive]

    def _regime(self, row: int) -> str | None:
        return self._coin.market_regime if self._regimes is None else self._regimes[row]

    def _stamp(self, position: int) -> datetime:
        return self._stamps[position]

    def walk(self, ledger: AnomalyLedger, policy: LifecyclePolicy, key: Key, batch: DetectorBatch) -> None:
        """Feed the ledger every bar where the lifecycle can do something for ``key``."""
        score = component_score(batch.components) if batch.components else np.zeros(self._ends.shape[0])
        confidence = final_confidence(score, batch.confidence, batch.isolated_mask)
        hits = batch.hits
        fired = batch.fired
        entry = policy.entry[key[2]] * self._factors
        # Without an open anomaly only a create can happen, and only where all of these hold.
        candidates = np.flatnonzero(fired & (hits >= batch.confirmation_target) & (score >= entry))
        row, next_candidate, count = 0, 0, self._ends.shape[0]
        while row < count:
            if not ledger.is_open(key):
                while next_candidate < candidates.shape[0] and candidates[next_candidate] < row:
                    next_candidate += 1
                if next_candidate == candidates.shape[0]:
                    return
                row = int(candidates[next_candidate])
            scored = _BarScore(float(score[row]), int(hits[row]), batch.confirmation_target) if fired[row] else None
            ledger.observe(
                key,
                self._stamp(int(self._ends[row])),
                self._regime(row),
                scored,
                partial(self._detection, batch, row, scored.score, float(confidence[row])) if scored else None,
            )
            row += 1

    def _detection(self, batch: DetectorBatch, row: int, score: float, confidence: float) -> Detection:
        finding = batch.finding(row, self._subject)
        assert finding is not None, "only firing bars build detections"
        position = int(self._ends[row])
        return Detection(
            # The batch's own score arrays: bit-identical to ``score_finding`` on this finding.
            scored=ScoredFinding(finding, score, severity_for(score), confidence),
            symbol=self._coin.symbol,
            timeframe=self._coin.timeframe,
            timestamp=self._stamp(position),
            window_start=self._stamp(max(0, position - self._lookback + 1)),
            market_regime=self._regime(row),
            sector=self._coin.sector,
            portfolio_relevant=self._coin.portfolio_relevant,
            source_pipeline=SOURCE_FAST_PATH,
            extra_payload={"source": self._source},
        )
