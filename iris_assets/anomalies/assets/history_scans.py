"""The fast-path scan of a whole universe, spread over the step's worker processes.

``scan_history`` is pure and per coin, so coins are scanned in batches on a
:class:`~iris_assets.parallel.ComputePool` while the step's own process writes the previous batch's
rows. Results come back in coin order, so what is stored (and the ids it gets) does not depend on
the number of workers.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from iris_assets.anomalies.findings import CoinHistory
from iris_assets.anomalies.lifecycle import OpenAnomaly
from iris_assets.anomalies.rows import ScanResult
from iris_assets.anomalies.runner import scan_history
from iris_assets.anomalies.series import PriceSeries
from iris_assets.parallel import ComputePool

# Coins per worker task: enough bars to amortise pickling, few enough that both workers stay busy.
COINS_PER_TASK = 8


@dataclass(frozen=True)
class HistoryScanTask:
    """A batch of coins to scan over ``[start, end]`` (inclusive), with their open anomalies."""

    histories: tuple[CoinHistory, ...]
    open_anomalies: tuple[tuple[OpenAnomaly, ...], ...]
    start: datetime
    end: datetime
    benchmark: PriceSeries | None
    benchmark_symbol: str


def scan_task(task: HistoryScanTask) -> list[ScanResult]:
    """Scan every coin of ``task`` (runs in a worker); the benchmark is not compared with itself."""
    return [
        scan_history(history, start=task.start, end=task.end, open_anomalies=opened,
                     benchmark=None if history.symbol == task.benchmark_symbol else task.benchmark)
        for history, opened in zip(task.histories, task.open_anomalies, strict=True)
    ]


def scan_universe(pool: ComputePool, histories: Sequence[CoinHistory], *, start: datetime, end: datetime,
                  benchmark_symbol: str, open_by_symbol: Mapping[str, Sequence[OpenAnomaly]],
                  coins_per_task: int = COINS_PER_TASK) -> Iterator[ScanResult]:
    """The scan result of each history, in the order of ``histories``."""
    benchmark = next((h.candles for h in histories if h.symbol == benchmark_symbol), None)
    batches = [tuple(histories[i : i + coins_per_task]) for i in range(0, len(histories), coins_per_task)]
    tasks = (HistoryScanTask(batch, tuple(tuple(open_by_symbol.get(h.symbol, ())) for h in batch), start, end,
                             benchmark, benchmark_symbol) for batch in batches)
    for results in pool.map_ordered(scan_task, tasks):
        yield from results
