"""Shared plumbing of the benchmarks: a throwaway migrated database on a real server."""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Self

import psycopg
from sqlalchemy.engine import make_url

from iris_resources.db.admin import drop_database, ensure_database
from iris_resources.db.migrate import upgrade
from iris_resources.services import embedded_postgres
from iris_resources.services.runtime import with_database


@contextmanager
def scratch_database(prefix: str = "iris_bench") -> Iterator[str]:
    """A migrated database on ``IRIS_DATABASE_URL``'s server, or on a throwaway embedded server."""
    external = os.environ.get("IRIS_DATABASE_URL")
    pgdata: Path | None = None
    if external:
        server = with_database(external, "postgres")
    else:
        pgdata = Path(tempfile.mkdtemp(prefix="iris-bench-pg-")) / "pgdata"
        server = embedded_postgres.start(pgdata, preferred_port=0).url
    url = with_database(server, f"{prefix}_{uuid.uuid4().hex[:8]}")
    ensure_database(url)
    try:
        upgrade(url)
        yield url
    finally:
        drop_database(url)
        if pgdata is not None:
            embedded_postgres.destroy(pgdata)
            shutil.rmtree(pgdata.parent, ignore_errors=True)


def admin_connection(url: str) -> psycopg.Connection:
    """An autocommit connection to ``url``'s database, for settings and session management."""
    return psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=True)


def database_name(url: str) -> str:
    """The database name in ``url``."""
    return str(make_url(url).database)


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def process_peak_mb() -> float:
    """This process's peak resident memory since the last :func:`reset_process_peak` (Linux VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return peak_rss_mb()


def reset_process_peak() -> None:
    """Reset this process's peak resident memory (Linux), so the next measurement stands alone."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def machine_cpu_seconds() -> float:
    """CPU seconds the whole machine has spent busy (user, nice, system, irq, softirq) since boot."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    return sum(int(fields[i]) for i in (1, 2, 3, 6, 7)) / os.sysconf("SC_CLK_TCK")


def print_result(payload: dict[str, object]) -> None:
    """The benchmark's last line: ``RESULT {json}``."""
    print("RESULT " + json.dumps(payload, sort_keys=True))


# A fixed pure-Python workload, ~0.3 CPU-s on this kind of machine.
_PROBE_WORKLOAD = "total = 0\nfor i in range(3_000_000):\n    total += i * i\n"


def _probe_cpu_seconds() -> float:
    """CPU seconds a child process spends on ``_PROBE_WORKLOAD`` (its own rusage, so our other processes
    competing for the CPUs do not count; a host that hands out fewer cycles does)."""
    pid = os.posix_spawn(sys.executable, [sys.executable, "-c", _PROBE_WORKLOAD], os.environ)
    _, _, usage = os.wait4(pid, 0)
    return usage.ru_utime + usage.ru_stime


class _PeriodicSampler:
    """Calls :meth:`sample` every ``interval`` seconds on a daemon thread while used as a context manager."""

    def __init__(self, interval: float) -> None:
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.sample()

    def sample(self) -> None:
        raise NotImplementedError


class HostSpeedProbe(_PeriodicSampler):
    """The machine's own speed through a long benchmark: a fixed workload timed in a child process every
    ``interval`` seconds, as a ratio to the same workload timed at the start (median of five).

    On shared virtual machines the same code runs at different speeds an hour apart (the workload took
    1.2–1.9 s within one hour on one machine, idle), so a run's seconds are read next to its ``window``
    ratio: 1.3 means the host gave 30 % fewer cycles than at the start. Single probes scatter by ±25 % on
    a busy host, so only medians over many are worth reading. About 1.5 % of one CPU.
    """

    def __init__(self, interval: float = 20.0) -> None:
        super().__init__(interval)
        self.baseline = statistics.median(_probe_cpu_seconds() for _ in range(5))
        self.samples: list[float] = []
        self._window_start = 0

    def sample(self) -> None:
        self.samples.append(_probe_cpu_seconds() / self.baseline)

    def window(self) -> float | None:
        """The median ratio since the last call (one run), None when no probe ran in it."""
        taken, self._window_start = self.samples[self._window_start:], len(self.samples)
        return statistics.median(taken) if taken else None

    def summary(self) -> dict[str, float]:
        """Median, lowest and highest ratio over the whole benchmark."""
        if not self.samples:
            return {}
        return {"median": round(statistics.median(self.samples), 2), "min": round(min(self.samples), 2),
                "max": round(max(self.samples), 2)}


class TreeMemorySampler(_PeriodicSampler):
    """Samples the resident memory of this process and its descendants (step and worker processes).

    ``peak_process_mb`` is the largest single process seen (RSS), ``window_peak_mb`` the largest since
    the last :meth:`new_window` (one run). ``peak_total_mb`` is the largest sum over the tree at one
    sampling instant, with pages shared between processes (forked from one server, or one file
    mapped by several) counted once: while the RSS sum stays under ``pss_above_mb`` it is that sum
    (an upper bound), above it the tree's proportional set size (PSS). PSS is read only then, at most
    every ``pss_interval`` seconds: reading ``smaps_rollup`` of a 1 GB process takes ~20 ms and holds
    its memory-map lock, which slowed every step of a backfill by a quarter when read every sample.
    Sampled every ``interval`` seconds, so short spikes may be missed.
    """

    def __init__(self, interval: float = 0.2, pss_above_mb: float = 1500.0, pss_interval: float = 2.0) -> None:
        super().__init__(interval)
        self.peak_process_mb = 0.0
        self.peak_total_mb = 0.0
        self.peak_rss_sum_mb = 0.0
        self.window_peak_mb = 0.0
        self._pss_above_mb = pss_above_mb
        self._pss_interval = pss_interval
        self._root = os.getpid()
        self._last_pss = 0.0

    def new_window(self) -> None:
        """Start a new ``window_peak_mb`` (call before each run)."""
        self.window_peak_mb = 0.0

    def sample(self) -> None:
        pids = _descendants(self._root) | {self._root}
        sizes = [_rss_mb(pid) for pid in pids]
        largest, total = max(sizes), sum(sizes)
        self.peak_process_mb = max(self.peak_process_mb, largest)
        self.window_peak_mb = max(self.window_peak_mb, largest)
        self.peak_rss_sum_mb = max(self.peak_rss_sum_mb, total)
        if total <= self._pss_above_mb:
            self.peak_total_mb = max(self.peak_total_mb, total)
        elif time.monotonic() - self._last_pss >= self._pss_interval:
            self._last_pss = time.monotonic()
            self.peak_total_mb = max(self.peak_total_mb, sum(_pss_mb(pid) for pid in pids))


def _pss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _descendants(root: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    found: set[int] = set()
    frontier = [root]
    while frontier:
        for child in children.get(frontier.pop(), []):
            if child not in found:
                found.add(child)
                frontier.append(child)
    return found
