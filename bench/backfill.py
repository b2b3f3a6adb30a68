"""Large-backfill benchmark: the whole asset graph for N synthetic coins × D days through Dagster.

Runs are launched the way an operator's backfill of every asset launches them: the universe
first, then the daily-partitioned assets in runs of at most ``IRIS_BACKFILL_DAYS_PER_RUN``
partitions (the backfill policy: one run per range, each with the partition-range tags a backfill
run carries), then the latest-state products. Every run goes through ``dg.execute_job`` on a
persistent Dagster instance with PostgreSQL storage, with the production code location's jobs,
executor (a range run's independent steps in parallel processes), resources, checks and
transactions; the bench only chooses settings (database, coins) through the environment.

Usage: .venv/bin/python bench/backfill.py [--coins 100] [--days 365] [--chunk N]
Prints a per-asset profile (seconds summed over runs, slowest first) and, last,
``RESULT {json}`` with seconds, runs_launched, peak_rss_mb (the largest single process: bench,
step or worker), peak_tree_mb (all of them at one instant, shared pages counted once: PSS),
peak_total_rss_mb (the plain RSS sum, which counts shared pages once per process), candles_per_s and
host_slowdown: a fixed workload timed every 20 s against the same at the start (on a shared host the
same code ran up to ~1.5× slower an hour later; each run's line shows its own ratio as ``host ×1.00``).
Targets for 100 coins × 365 days on a 2-core machine: ≤ 15 min, ≤ 50 runs, peak RSS ≤ 2,000 MB.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import (
    HostSpeedProbe,
    TreeMemorySampler,
    admin_connection,
    database_name,
    machine_cpu_seconds,
    peak_rss_mb,
    print_result,
    process_peak_mb,
    reset_process_peak,
    scratch_database,
)

LAST_DAY = date(2024, 12, 31)


def _step_spans(instance: object, run_id: str) -> dict[str, tuple[float, float]]:
    """(start, end) of each step of one run in seconds after the run's first step started, from its
    STEP_START / STEP_SUCCESS event log entries."""
    started: dict[str, float] = {}
    ended: dict[str, float] = {}
    for record in instance.all_logs(run_id):  # type: ignore[attr-defined]
        event = record.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type_value == "STEP_START":
            started.setdefault(event.step_key, record.timestamp)
        elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE") and event.step_key in started:
            ended[event.step_key] = record.timestamp
    origin = min(started.values(), default=0.0)
    return {step: (started[step] - origin, end - origin) for step, end in ended.items()}


def _timeline(spans: dict[str, tuple[float, float]]) -> str:
    """Steps in start order as ``name start–end``: which step finished last and what ran beside it."""
    return ", ".join(f"{step} {start:.0f}–{end:.0f}" for step, (start, end) in sorted(spans.items(),
                                                                                      key=lambda kv: kv[1]))


def _per_asset(assets: list[Any]) -> list[list[Any]]:
    """The assets one by one, in dependency order (multi-assets stay whole)."""
    owner = {key: i for i, a in enumerate(assets) for key in a.keys}
    needs = {i: {owner[d] for deps in a.asset_deps.values() for d in deps if d in owner and owner[d] != i}
             for i, a in enumerate(assets)}
    ordered: list[list[Any]] = []
    done: set[int] = set()
    while len(done) < len(assets):
        ready = sorted(i for i in needs if i not in done and needs[i] <= done)
        if not ready:
            raise SystemExit("dependency cycle among the assets")
        ordered += [[assets[i]] for i in ready]
        done |= set(ready)
    return ordered


def _bench_environment(coins: int, database_url: str, redis_url: str | None) -> None:
    """Configure the production code location through its settings: step processes rebuild the
    jobs from the environment (``reconstructable``), so that is where the bench's choices go."""
    import os

    from iris_resources.settings import get_settings

    os.environ.update({"IRIS_DATABASE_URL": database_url, "IRIS_SOURCE": "synthetic", "IRIS_SYNTHETIC_SEED": "7",
                       "IRIS_SYNTHETIC_COINS": str(coins), "IRIS_DB_POOL_SIZE": "2",
                       "IRIS_EVENT_STREAM": f"iris_bench_{uuid.uuid4().hex[:6]}"})
    if redis_url:
        os.environ["IRIS_REDIS_URL"] = redis_url
    get_settings.cache_clear()


@contextmanager
def _instance(database_url: str) -> Iterator[Any]:
    """A persistent Dagster instance with PostgreSQL storage (dagster-postgres), as in production;
    step processes need one to report their events."""
    import os
    import tempfile

    import dagster as dg

    from iris_resources.db.admin import drop_database, ensure_database
    from iris_resources.orchestration.instance import STORAGE_URL_ENV, storage_url, write_dagster_home
    from iris_resources.services.runtime import with_database

    storage = with_database(database_url, database_name(database_url) + "_dagster")
    ensure_database(storage)
    # A range run writes ~6,000 small event-log transactions (a planned and a done event per asset and
    # partition); with a WAL flush each they cost 20-30 s per run on this server's disk. The bench
    # measures IRIS, so the event log commits asynchronously (crash-safe, may lose the last events).
    _set_asynchronous_commit(storage)
    os.environ[STORAGE_URL_ENV] = storage_url(storage)
    home = Path(tempfile.mkdtemp(prefix="iris-bench-dagster-"))
    write_dagster_home(home)
    try:
        with dg.DagsterInstance.from_config(str(home)) as instance:
            yield instance
    finally:
        drop_database(storage)
        shutil.rmtree(home, ignore_errors=True)


def run(coins: int, days: int, chunk: int, database_url: str, redis_url: str | None,
        per_asset: bool = False) -> dict[str, object]:
    """Materialize everything; return the measurements."""
    import dagster as dg
    from _graph_jobs import FACTORIES, LATEST, PARTITIONED, ROOTS, asset_groups

    from iris_assets.parallel import available_cpus

    _bench_environment(coins, database_url, redis_url)
    groups = asset_groups()
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    first_day = LAST_DAY - timedelta(days=days - 1)

    def selections(job: str) -> list[list[Any] | None]:
        return [[a] for a in _per_asset(groups[job])] if per_asset else [None]  # type: ignore[misc]

    plan: list[tuple[str, list[Any] | None, dict[str, str]]] = [(ROOTS, None, {})]
    day = first_day
    while day <= LAST_DAY:
        last = min(day + timedelta(days=chunk - 1), LAST_DAY)
        tags = {"dagster/asset_partition_range_start": day.isoformat(),
                "dagster/asset_partition_range_end": last.isoformat(), "dagster/backfill": "bench"}
        plan += [(PARTITIONED, group, tags) for group in selections(PARTITIONED)]
        day = last + timedelta(days=1)
    plan += [(LATEST, group, {}) for group in selections(LATEST)]
    peaks: dict[str, float] = {}
    profile: dict[str, float] = defaultdict(float)
    cpus = available_cpus()
    started, busy_at_start = time.perf_counter(), machine_cpu_seconds()
    with _instance(database_url) as instance, TreeMemorySampler() as memory, HostSpeedProbe() as host:
        for number, (job, group, tags) in enumerate(plan, start=1):
            t0, busy = time.perf_counter(), machine_cpu_seconds()
            memory.new_window()
            reset_process_peak()
            keys = [key for a in group for key in a.keys] if group else None
            with dg.execute_job(dg.reconstructable(FACTORIES[job]), instance=instance, run_config=quiet,
                                tags=tags, asset_selection=keys) as result:
                success, run_id = result.success, result.run_id
            run_peak = max(memory.window_peak_mb, process_peak_mb())
            if group:
                name = group[0].op.name
                peaks[name] = max(peaks.get(name, 0.0), run_peak)
            if not success:
                raise SystemExit(f"run {number} failed ({tags or job})")
            spans = _step_spans(instance, run_id)
            steps = {step: end - start for step, (start, end) in spans.items()}
            for step, seconds in steps.items():
                profile[step] += seconds
            span = f"{tags.get('dagster/asset_partition_range_start', '-')}…" \
                   f"{tags.get('dagster/asset_partition_range_end', '-')}"
            # The run's slowest steps: shows which asset grows as the history does.
            ranked = sorted(steps.items(), key=lambda kv: -kv[1])[:4]
            slowest = ", ".join(f"{step} {spent:.0f}" for step, spent in ranked)
            # How much of the machine's CPU the run kept busy (the database server included): what is
            # left idle is what better overlap could still use.
            wall = time.perf_counter() - t0
            share = (machine_cpu_seconds() - busy) / max(wall * cpus, 1e-9)
            # The host's speed during the run (1.3: 30 % fewer cycles than when the bench started).
            slowdown = host.window()
            speed = f"host ×{slowdown:.2f}" if slowdown is not None else "host   -  "
            print(f"run {number:>2}/{len(plan)} {span:<24} {wall:7.1f} s  cpu {share:4.0%}  {speed}  "
                  f"rss {run_peak:7.0f} MB  [{slowest}]", flush=True)
            if len(spans) > 4:
                print(f"       steps: {_timeline(spans)}", flush=True)
    seconds = time.perf_counter() - started
    busy_share = (machine_cpu_seconds() - busy_at_start) / max(seconds * cpus, 1e-9)
    candles = coins * days * 96
    print("\nslowest assets (seconds summed over runs; steps of a range run may overlap)")
    for step, spent in sorted(profile.items(), key=lambda kv: -kv[1]):
        print(f"  {step:<28} {spent:8.1f}")
    if peaks:
        print("\npeak RSS per asset (MB)")
        for step, peak in sorted(peaks.items(), key=lambda kv: -kv[1]):
            print(f"  {step:<28} {peak:8.0f}")
    # The largest single process (bench, step or worker) and the largest sums over the tree.
    peak = max([memory.peak_process_mb, peak_rss_mb(), *peaks.values()])
    return {"seconds": round(seconds, 1), "runs_launched": len(plan), "peak_rss_mb": round(peak, 1),
            "peak_tree_mb": round(memory.peak_total_mb, 1), "peak_total_rss_mb": round(memory.peak_rss_sum_mb, 1),
            "candles_per_s": round(candles / seconds, 1), "cpu_busy_share": round(busy_share, 3),
            "host_slowdown": host.summary(),
            "coins": coins, "days": days, "base_candles": candles,
            "slowest_asset": max(profile, key=profile.__getitem__) if profile else None,
            "profile_s": {k: round(v, 1) for k, v in sorted(profile.items(), key=lambda kv: -kv[1])},
            **({"peak_rss_mb_by_asset": {k: round(v) for k, v in peaks.items()}} if peaks else {})}


def _set_asynchronous_commit(url: str) -> None:
    """``synchronous_commit = off`` for every later session on ``url``'s database."""
    from psycopg import sql

    with admin_connection(url) as conn:
        conn.execute(sql.SQL("ALTER DATABASE {} SET synchronous_commit = off").format(
            sql.Identifier(database_name(url))))


def _disconnect_all(url: str) -> None:
    """End every session on ``url``'s database (a template must have none)."""
    with admin_connection(url) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     "WHERE datname = current_database() AND pid <> pg_backend_pid()")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--coins", type=int, default=100)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--chunk", type=int, default=None,
                        help="partitions per run (default: the backfill policy, IRIS_BACKFILL_DAYS_PER_RUN)")
    parser.add_argument("--per-asset", action="store_true",
                        help="one run per asset (profiling: peak RSS of each asset on its own)")
    parser.add_argument("--keep", metavar="DATABASE",
                        help="keep a copy of the finished database under this name (a template for "
                             "bench/profile_asset.py)")
    args = parser.parse_args()
    import os

    from api import redis_server

    if args.chunk is None:
        from iris_assets.partitions import market_backfill_policy

        args.chunk = market_backfill_policy.max_partitions_per_run or 31
    with scratch_database("iris_bench_backfill") as url, redis_server() as redis_url:
        result = run(args.coins, args.days, args.chunk, url, redis_url or os.environ.get("IRIS_REDIS_URL"),
                     per_asset=args.per_asset)
        if args.keep:
            from iris_resources.db.admin import drop_database, ensure_database
            from iris_resources.services.runtime import with_database

            kept = with_database(url, args.keep)
            drop_database(kept)
            _disconnect_all(url)
            ensure_database(kept, template=database_name(url))
            print(f"kept the finished database as {args.keep}", flush=True)
    print_result(result)


if __name__ == "__main__":
    main()
