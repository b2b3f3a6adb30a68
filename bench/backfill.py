"""Large-backfill benchmark: the whole asset graph for N synthetic coins × D days through Dagster.

Runs are launched the way an operator's backfill of every asset launches them: the universe
first, then the daily-partitioned assets in runs of at most 31 partitions
(``BackfillPolicy.multi_run(31)``: one run per 31-day range, each with the partition-range tags a
backfill run carries), then the latest-state products. Every run goes through ``dg.materialize``
on one Dagster instance, so the asset code, resources, checks and transactions are the
production ones.

Usage: .venv/bin/python bench/backfill.py [--coins 100] [--days 365] [--chunk 31]
Prints a per-asset profile (seconds summed over runs, slowest first) and, last,
``RESULT {json}`` with seconds, runs_launched, peak_rss_mb (the largest process, worker processes
included), peak_total_rss_mb (the step process plus its workers at one instant), candles_per_s.
Targets for 100 coins × 365 days on a 2-core machine: ≤ 15 min, ≤ 50 runs, peak RSS ≤ 2,000 MB.
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import (
    TreeMemorySampler,
    peak_rss_mb,
    print_result,
    process_peak_mb,
    reset_process_peak,
    scratch_database,
)

LAST_DAY = date(2024, 12, 31)


def _step_seconds(instance: object, run_id: str) -> dict[str, float]:
    """Seconds per step of one run, from its STEP_START / STEP_SUCCESS event log entries."""
    started: dict[str, float] = {}
    spent: dict[str, float] = defaultdict(float)
    for record in instance.all_logs(run_id):  # type: ignore[attr-defined]
        event = record.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type_value == "STEP_START":
            started[event.step_key] = record.timestamp
        elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE") and event.step_key in started:
            spent[event.step_key] += record.timestamp - started.pop(event.step_key)
    return spent


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


def run(coins: int, days: int, chunk: int, database_url: str, redis_url: str | None,
        per_asset: bool = False) -> dict[str, object]:
    """Materialize everything; return the measurements."""
    import dagster as dg

    from iris_assets.definitions import ALL_ASSETS
    from iris_resources.db.resources import DatabaseResource, TransactionResource
    from iris_resources.events.resources import EventsResource
    from iris_resources.sources.balances import ExchangeBalancesResource
    from iris_resources.sources.resource import CandleSourceResource

    database = DatabaseResource(url=database_url, pool_size=2)
    events = EventsResource(redis_url=redis_url, stream=f"iris_bench_{uuid.uuid4().hex[:6]}")
    resources = {"database": database, "transaction": TransactionResource(database=database, events=events),
                 "events": events, "candle_source": CandleSourceResource(spec="synthetic", seed=7, n_coins=coins),
                 "exchange_balances": ExchangeBalancesResource()}
    partitioned = [a for a in ALL_ASSETS if a.partitions_def is not None]
    roots = [a for a in ALL_ASSETS if a.partitions_def is None and not any(
        dep for deps in a.asset_deps.values() for dep in deps)]
    latest = [a for a in ALL_ASSETS if a not in partitioned and a not in roots]
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    first_day = LAST_DAY - timedelta(days=days - 1)
    plan: list[tuple[list[dg.AssetsDefinition], dict[str, str]]] = [(roots, {})]
    day = first_day
    while day <= LAST_DAY:
        last = min(day + timedelta(days=chunk - 1), LAST_DAY)
        tags = {"dagster/asset_partition_range_start": day.isoformat(),
                "dagster/asset_partition_range_end": last.isoformat(), "dagster/backfill": "bench"}
        groups = _per_asset(partitioned) if per_asset else [partitioned]
        plan += [(group, tags) for group in groups]  # type: ignore[misc]
        day = last + timedelta(days=1)
    plan += [(group, {}) for group in (_per_asset(latest) if per_asset else [latest])]  # type: ignore[misc]
    peaks: dict[str, float] = {}
    profile: dict[str, float] = defaultdict(float)
    started = time.perf_counter()
    with dg.DagsterInstance.ephemeral() as instance, TreeMemorySampler() as memory:
        for number, (assets, tags) in enumerate(plan, start=1):
            t0 = time.perf_counter()
            reset_process_peak()
            result = dg.materialize(assets, resources=resources, instance=instance, run_config=quiet, tags=tags)
            if per_asset:
                name = assets[0].op.name
                peaks[name] = max(peaks.get(name, 0.0), process_peak_mb())
            if not result.success:
                raise SystemExit(f"run {number} failed ({tags or 'unpartitioned'})")
            steps = _step_seconds(instance, result.run_id)
            for step, seconds in steps.items():
                profile[step] += seconds
            span = f"{tags.get('dagster/asset_partition_range_start', '-')}…" \
                   f"{tags.get('dagster/asset_partition_range_end', '-')}"
            # The run's slowest steps: shows which asset grows as the history does.
            ranked = sorted(steps.items(), key=lambda kv: -kv[1])[:4]
            slowest = ", ".join(f"{step} {spent:.0f}" for step, spent in ranked)
            print(f"run {number:>2}/{len(plan)} {span:<24} {time.perf_counter() - t0:7.1f} s  "
                  f"rss {peak_rss_mb():7.0f} MB  [{slowest}]", flush=True)
    seconds = time.perf_counter() - started
    candles = coins * days * 96
    print("\nslowest assets (seconds summed over runs)")
    for step, spent in sorted(profile.items(), key=lambda kv: -kv[1]):
        print(f"  {step:<28} {spent:8.1f}")
    if peaks:
        print("\npeak RSS per asset (MB)")
        for step, peak in sorted(peaks.items(), key=lambda kv: -kv[1]):
            print(f"  {step:<28} {peak:8.0f}")
    # Per-asset mode resets the peak before every run: the process peak is then the largest asset peak.
    peak = max(peaks.values()) if peaks else peak_rss_mb()
    # Worker processes count too: the largest single process and the largest sum over the tree.
    peak = max(peak, memory.peak_process_mb)
    return {"seconds": round(seconds, 1), "runs_launched": len(plan), "peak_rss_mb": round(peak, 1),
            "peak_total_rss_mb": round(max(memory.peak_total_mb, peak), 1),
            "candles_per_s": round(candles / seconds, 1), "coins": coins, "days": days, "base_candles": candles,
            "slowest_asset": max(profile, key=profile.__getitem__) if profile else None,
            "profile_s": {k: round(v, 1) for k, v in sorted(profile.items(), key=lambda kv: -kv[1])},
            **({"peak_rss_mb_by_asset": {k: round(v) for k, v in peaks.items()}} if peaks else {})}


def _disconnect_all(url: str) -> None:
    """End every session on ``url``'s database (a template must have none)."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     "WHERE datname = current_database() AND pid <> pg_backend_pid()")


def make_url_database(url: str) -> str:
    """The database name in ``url``."""
    from sqlalchemy.engine import make_url

    return str(make_url(url).database)


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
            ensure_database(kept, template=make_url_database(url))
            print(f"kept the finished database as {args.keep}", flush=True)
    print_result(result)


if __name__ == "__main__":
    main()
