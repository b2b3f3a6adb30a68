"""Per-coin CPU work spread over worker processes inside one step.

The detectors and other per-coin engines are NumPy/Polars code that holds the GIL between small
array operations, so threads do not scale; separate processes do. Workers are started with
``spawn`` (Polars' thread pool is not fork-safe) once per step and fed whole coin batches, so the
start-up cost (~1 s) is paid once and each task carries enough work to amortise its pickling.
Database reads and writes stay in the step's own process, inside its unit of work: workers only
compute, so a killed worker can never leave partial rows behind.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

from iris_resources.settings import get_settings

Task = TypeVar("Task")
Result = TypeVar("Result")


def available_cpus() -> int:
    """CPUs this process may run on (its affinity, not the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def worker_count() -> int:
    """Processes to use: ``IRIS_COMPUTE_WORKERS``, or one per CPU available to this process."""
    return get_settings().compute_workers or available_cpus()


class ComputePool:
    """Ordered map of a picklable function over tasks, in worker processes or (1 worker) inline."""

    def __init__(self, executor: ProcessPoolExecutor | None, workers: int = 1) -> None:
        self._executor = executor
        self.workers = workers

    def map_ordered(self, function: Callable[[Task], Result], tasks: Iterable[Task],
                    ahead: int = 2) -> Iterator[Result]:
        """Results in task order; at most ``ahead`` tasks per worker are in flight, so memory holds a
        bounded number of inputs and results however many tasks there are."""
        if self._executor is None:
            yield from (function(task) for task in tasks)
            return
        limit = max(1, ahead * self.workers)
        pending: list[Future[Result]] = []
        for task in tasks:
            pending.append(self._executor.submit(function, task))
            if len(pending) >= limit:
                yield pending.pop(0).result()
        for future in pending:
            yield future.result()


# Below this many coin-days a step computes inline: starting workers (~1 s) would cost more than it
# saves, and live runs (one day) keep their latency.
MIN_PARALLEL_COIN_DAYS = 200


@contextmanager
def compute_pool(workers: int | None = None, coin_days: int | None = None) -> Iterator[ComputePool]:
    """A :class:`ComputePool` for one step; worker processes end with the block.

    ``coin_days`` (coins × days of the run) sizes the work: small runs stay in this process.
    """
    count = worker_count() if workers is None else workers
    if count <= 1 or (coin_days is not None and coin_days < MIN_PARALLEL_COIN_DAYS):
        yield ComputePool(None)
        return
    with ProcessPoolExecutor(max_workers=count, mp_context=multiprocessing.get_context("spawn")) as executor:
        yield ComputePool(executor, count)
