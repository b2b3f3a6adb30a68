"""Profile one asset, or a chain of them, on a copy of a database that ``bench/backfill.py --keep NAME`` left behind.

The copy is made from the kept database as a template, the assets (by op name, comma-separated, in
the order given) run through ``dg.materialize`` one after the other for one partition range (or
unpartitioned), and the script prints each one's seconds and CPU seconds: the whole machine's, this
process tree's (the step and its workers) and the rest (the database server, on a quiet machine).
Then its peak RSS and, with ``--cprofile``, the functions that dominate. The copy is dropped afterwards.

A range after the kept history profiles a backfill faithfully (nothing to replace yet): after a
62-day database ending 2024-12-31, ``--start 2025-01-01 --end 2025-01-31`` with the chain
``candles,candle_aggregates,indicators,pattern_signals,signal_outcomes,investment_decisions,market_decisions``.
Re-running a stored range measures replacing it instead (deletes of the old rows included).

Usage:
  .venv/bin/python bench/backfill.py --coins 100 --days 62 --keep iris_base_100x62
  .venv/bin/python bench/profile_asset.py --template iris_base_100x62 --asset pattern_signals \\
      --start 2024-12-01 --end 2024-12-31 [--cprofile 30] [--explain-over 250]
Needs ``IRIS_DATABASE_URL`` (the server holding the template).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import resource
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import (
    admin_connection,
    database_name,
    machine_cpu_seconds,
    print_result,
    process_peak_mb,
    reset_process_peak,
)


def own_cpu_seconds() -> float:
    """CPU seconds of this process and its finished children (step workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--template", required=True, help="database kept by bench/backfill.py --keep")
    parser.add_argument("--asset", required=True,
                        help="op name of the asset (multi-assets: the op); several, comma-separated, run in order")
    parser.add_argument("--start", help="first partition day (partitioned assets)")
    parser.add_argument("--end", help="last partition day (partitioned assets)")
    parser.add_argument("--coins", type=int, default=100, help="universe size of the synthetic source")
    parser.add_argument("--cprofile", type=int, default=0, metavar="N", help="print the N costliest functions")
    parser.add_argument("--reuse", action="store_true", help="run on the template itself (no copy)")
    parser.add_argument("--explain-over", type=int, default=None, metavar="MS",
                        help="log the plan of every statement slower than MS milliseconds (auto_explain, in the "
                             "server's log; needs a superuser and the module on the server)")
    args = parser.parse_args()

    import dagster as dg

    from iris_assets.definitions import ALL_ASSETS
    from iris_resources.db.admin import drop_database, ensure_database
    from iris_resources.db.resources import DatabaseResource, TransactionResource
    from iris_resources.events.resources import EventsResource
    from iris_resources.services.runtime import with_database
    from iris_resources.sources.balances import ExchangeBalancesResource
    from iris_resources.sources.resource import CandleSourceResource

    server = os.environ.get("IRIS_DATABASE_URL")
    if not server:
        raise SystemExit("IRIS_DATABASE_URL must name the server that holds the template")
    url = with_database(server, args.template if args.reuse else f"iris_profile_{uuid.uuid4().hex[:8]}")
    if not args.reuse:
        ensure_database(url, template=args.template)
    if args.explain_over is not None:
        _log_slow_plans(url, args.explain_over)
    try:
        database = DatabaseResource(url=url, pool_size=2)
        events = EventsResource(redis_url=os.environ.get("IRIS_REDIS_URL"), stream=f"iris_prof_{uuid.uuid4().hex[:6]}")
        resources = {"database": database, "transaction": TransactionResource(database=database, events=events),
                     "events": events,
                     "candle_source": CandleSourceResource(spec="synthetic", seed=7, n_coins=args.coins),
                     "exchange_balances": ExchangeBalancesResource()}
        names = [name.strip() for name in args.asset.split(",") if name.strip()]
        unknown = [name for name in names if not any(a.op.name == name for a in ALL_ASSETS)]
        if unknown:
            raise SystemExit(f"no asset op named {', '.join(map(repr, unknown))}")
        range_tags = {}
        if args.start and args.end:
            range_tags = {"dagster/asset_partition_range_start": args.start,
                          "dagster/asset_partition_range_end": args.end, "dagster/backfill": "profile"}
        quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
        reset_process_peak()
        profiler = cProfile.Profile() if args.cprofile else None
        per_asset: dict[str, dict[str, float]] = {}
        t0 = time.perf_counter()
        with dg.DagsterInstance.ephemeral() as instance:
            for name in names:
                chosen = [a for a in ALL_ASSETS if a.op.name == name]
                tags = range_tags if any(a.partitions_def is not None for a in chosen) else {}
                start, machine, own = time.perf_counter(), machine_cpu_seconds(), own_cpu_seconds()
                if profiler:
                    profiler.enable()
                result = dg.materialize(chosen, resources=resources, instance=instance, run_config=quiet, tags=tags)
                if profiler:
                    profiler.disable()
                if not result.success:
                    raise SystemExit(f"the run of {name} failed")
                spent = {"seconds": time.perf_counter() - start, "cpu_s": machine_cpu_seconds() - machine,
                         "iris_cpu_s": own_cpu_seconds() - own}
                spent["other_cpu_s"] = spent["cpu_s"] - spent["iris_cpu_s"]
                per_asset[name] = {key: round(value, 2) for key, value in spent.items()}
                print(f"{name:<24} {spent['seconds']:7.1f} s   cpu {spent['cpu_s']:6.1f} s = iris "
                      f"{spent['iris_cpu_s']:6.1f} + database/other {spent['other_cpu_s']:6.1f}", flush=True)
        seconds = time.perf_counter() - t0
        if profiler:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.cprofile)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(args.cprofile)
        print_result({"asset": args.asset, "seconds": round(seconds, 2), "peak_rss_mb": round(process_peak_mb(), 1),
                      **({"per_asset": per_asset} if len(names) > 1 else per_asset[names[0]])})
    finally:
        if args.explain_over is not None:
            _log_slow_plans(url, None)
        if not args.reuse:
            drop_database(url)


def _log_slow_plans(url: str, over_ms: int | None) -> None:
    """Have every later session on ``url``'s database log the plan of statements slower than ``over_ms``
    (``auto_explain`` in the server's log: how the history-wide scans of range runs were found); ``None``
    removes the settings again (a template reused in place keeps no trace)."""
    from psycopg import sql

    name = sql.Identifier(database_name(url))
    with admin_connection(url) as conn:
        if over_ms is None:
            for setting in ("session_preload_libraries", "auto_explain.log_min_duration"):
                conn.execute(sql.SQL("ALTER DATABASE {} RESET {}").format(name, sql.Identifier(setting)))
            return
        conn.execute(sql.SQL("ALTER DATABASE {} SET session_preload_libraries = 'auto_explain'").format(name))
        conn.execute(sql.SQL("ALTER DATABASE {} SET auto_explain.log_min_duration = {}").format(
            name, sql.Literal(int(over_ms))))


if __name__ == "__main__":
    main()
