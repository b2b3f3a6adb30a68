"""Read-API benchmark: uvicorn (uvloop + httptools) over a demo database, a mix of the main routes.

1. A demo database: the whole asset graph materialized in-process into a scratch database on
   ``IRIS_DATABASE_URL``'s server (or a throwaway embedded PostgreSQL); ``--existing`` serves the
   database ``IRIS_DATABASE_URL`` names as it is.
2. Redis: ``IRIS_REDIS_URL``, or a throwaway embedded Redis.
3. The API in its own process, started the way ``iris serve`` starts it, behind its read-only role.
4. A fixed-time load at N keep-alive connections: ``wrk`` when installed (``--tool wrk``), otherwise
   a small asyncio HTTP/1.1 client in this process (``--tool asyncio``, the default without wrk).

Usage: .venv/bin/python bench/api.py [--seconds 20] [--connections 32] [--workers 2] [--mix dashboard|hot]
                                    [--coins 20] [--days 5] [--tool auto|wrk|asyncio] [--existing]
The last line printed is ``RESULT {json}`` with requests_per_s, p50_ms, p99_ms and errors.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import print_result, scratch_database

# (weight, path) — a dashboard's mix: hot projections first, then lists and series.
DASHBOARD = [
    (20, "/api/v1/market/radar"), (8, "/api/v1/market/flow"), (16, "/api/v1/coins/metrics"),
    (8, "/api/v1/coins"), (12, "/api/v1/coins/{symbol}/history?interval=1h&limit=100"),
    (8, "/api/v1/coins/{symbol}/metrics"), (10, "/api/v1/signals?limit=50"),
    (8, "/api/v1/anomalies?limit=50"), (5, "/api/v1/coins/{symbol}/indicators?interval=4h&limit=20"),
    (5, "/api/v1/market/radar?limit=24"), (4, "/api/v1/final-signals?limit=50"),
    (3, "/api/v1/market-decisions?limit=50"), (2, "/api/v1/portfolio/state"),
    (2, "/api/v1/coins/{symbol}/patterns?limit=50"),
]
# Only the cached projections (radar, flow, metrics list).
HOT = [(20, "/api/v1/market/radar"), (8, "/api/v1/market/flow"), (16, "/api/v1/coins/metrics"),
       (5, "/api/v1/market/radar?limit=24")]
MIXES = {"dashboard": DASHBOARD, "hot": HOT}


def materialize(url: str, redis_url: str, coins: int, days: int) -> None:
    """Every asset of the code location, in-process, for ``coins`` synthetic coins over ``days`` days."""
    import dagster as dg

    from iris_assets.definitions import ALL_ASSETS
    from iris_resources.db.resources import DatabaseResource, TransactionResource
    from iris_resources.events.resources import EventsResource
    from iris_resources.sources.balances import ExchangeBalancesResource
    from iris_resources.sources.resource import CandleSourceResource

    database = DatabaseResource(url=url, pool_size=2)
    resources = {"database": database, "transaction": TransactionResource(database=database),
                 "events": EventsResource(redis_url=redis_url, stream=f"iris_bench_{uuid.uuid4().hex[:6]}"),
                 "candle_source": CandleSourceResource(spec="synthetic", seed=7, n_coins=coins),
                 "exchange_balances": ExchangeBalancesResource()}
    partitioned = [a for a in ALL_ASSETS if a.partitions_def is not None]
    roots = [a for a in ALL_ASSETS if a.partitions_def is None and not any(
        dep for deps in a.asset_deps.values() for dep in deps)]
    latest = [a for a in ALL_ASSETS if a not in partitioned and a not in roots]
    last = "2024-03-10"
    first = time.strftime("%Y-%m-%d", time.gmtime(time.mktime(time.strptime(last, "%Y-%m-%d")) - (days - 1) * 86400))
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    with dg.DagsterInstance.ephemeral() as instance:
        for assets, tags in ((roots, {}), (partitioned, {"dagster/asset_partition_range_start": first,
                                                         "dagster/asset_partition_range_end": last}), (latest, {})):
            assert dg.materialize(assets, resources=resources, instance=instance, run_config=quiet, tags=tags).success
    if database._engine is not None:
        database._engine.dispose()
    from iris_resources.db.engine import create_db_engine

    engine = create_db_engine(url, pool_size=1)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("ANALYZE")  # planner statistics, as autovacuum would gather soon
    engine.dispose()


@contextmanager
def redis_server() -> Iterator[str]:
    """``IRIS_REDIS_URL`` or a throwaway embedded Redis."""
    if os.environ.get("IRIS_REDIS_URL"):
        yield os.environ["IRIS_REDIS_URL"]
        return
    from iris_resources.services import embedded_redis

    directory = Path(tempfile.mkdtemp(prefix="iris-bench-redis-"))
    handle = embedded_redis.start(directory, preferred_port=0)
    try:
        yield handle.url
    finally:
        embedded_redis.stop(directory)
        shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def api_server(database_url: str, redis_url: str, workers: int) -> Iterator[str]:
    """The API in a uvicorn process; yields its base URL once ``/health`` answers."""
    from iris_resources.services.ports import free_port

    port = free_port(0)
    env = {**os.environ, "IRIS_DATABASE_URL": database_url, "IRIS_REDIS_URL": redis_url,
           "IRIS_API_CACHE_PREFIX": f"iris:bench:{uuid.uuid4().hex[:6]}"}
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "iris_api.app:create_app", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--loop", "uvloop", "--http", "httptools", "--workers", str(workers),
         "--no-access-log", "--log-level", "warning"], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/api/v1/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the API did not start") from None
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


def request_paths(base: str, mix: str = "dashboard", seed: int = 1) -> list[str]:
    """A shuffled, weighted sequence of request paths over the real coins."""
    import json

    with urllib.request.urlopen(f"{base}/api/v1/coins?limit=500", timeout=5) as response:
        symbols = [c["symbol"] for c in json.loads(response.read())["data"]]
    rng = random.Random(seed)
    paths = [path.replace("{symbol}", rng.choice(symbols)) for weight, path in MIXES[mix] for _ in range(weight * 20)]
    rng.shuffle(paths)
    return paths


async def _connection(host: str, port: int, paths: list[str], offset: int, stop: float,
                      latencies: list[float], errors: list[int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    i = offset
    while time.perf_counter() < stop:
        path = paths[i % len(paths)]
        i += 1
        started = time.perf_counter()
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: application/json\r\n\r\n".encode())
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            await reader.readexactly(length)
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            errors.append(0)
            writer.close()
            reader, writer = await asyncio.open_connection(host, port)
            continue
        latencies.append(time.perf_counter() - started)
        if status >= 400:
            errors.append(status)
    writer.close()


def drive_asyncio(base: str, paths: list[str], seconds: float, connections: int) -> dict[str, float]:
    """Keep ``connections`` keep-alive connections busy for ``seconds``."""
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    host, port = base.removeprefix("http://").split(":")
    latencies: list[float] = []
    errors: list[int] = []

    async def run() -> float:
        stop = time.perf_counter() + seconds
        started = time.perf_counter()
        step = len(paths) // connections
        await asyncio.gather(*(_connection(host, int(port), paths, k * step, stop, latencies, errors)
                               for k in range(connections)))
        return time.perf_counter() - started

    elapsed = asyncio.run(run())
    latencies.sort()
    return {"requests": len(latencies), "requests_per_s": round(len(latencies) / elapsed, 1),
            "p50_ms": round(latencies[len(latencies) // 2] * 1000, 2),
            "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 2), "errors": len(errors)}


WRK_SCRIPT = """
local paths, i = {}, 0
for line in io.lines(os.getenv("IRIS_BENCH_PATHS")) do paths[#paths + 1] = line end
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1], {["Accept"] = "application/json"})
end
done = function(summary, latency, requests)
  io.write(string.format("WRK %d %f %f %d %d\\n", summary.requests, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout + summary.errors.status, summary.duration))
end
"""


def drive_wrk(base: str, paths: list[str], seconds: float, connections: int) -> dict[str, float]:
    """The same mix through ``wrk`` (2 threads)."""
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "paths.txt").write_text("\n".join(paths))
        (Path(tmp) / "mix.lua").write_text(WRK_SCRIPT)
        out = subprocess.run(
            ["wrk", "-t2", f"-c{connections}", f"-d{int(seconds)}s", "-s", str(Path(tmp) / "mix.lua"), base],
            env={**os.environ, "IRIS_BENCH_PATHS": str(Path(tmp) / "paths.txt")},
            capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("WRK "))
    requests, p50, p99, errors, duration_us = line.split()[1:]
    return {"requests": int(requests), "requests_per_s": round(int(requests) / (int(duration_us) / 1e6), 1),
            "p50_ms": round(float(p50), 2), "p99_ms": round(float(p99), 2), "errors": int(errors)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers (one per core)")
    parser.add_argument("--coins", type=int, default=20)
    parser.add_argument("--days", type=int, default=5)
    parser.add_argument("--tool", choices=("auto", "wrk", "asyncio"), default="auto")
    parser.add_argument("--mix", choices=tuple(MIXES), default="dashboard")
    parser.add_argument("--existing", action="store_true", help="serve IRIS_DATABASE_URL's database as it is")
    args = parser.parse_args()
    tool = ("wrk" if shutil.which("wrk") else "asyncio") if args.tool == "auto" else args.tool

    with redis_server() as redis_url, _database(args.existing) as database_url:
        if not args.existing:
            started = time.perf_counter()
            materialize(database_url, redis_url, args.coins, args.days)
            print(f"materialized {args.coins} coins × {args.days} days in {time.perf_counter() - started:.1f} s",
                  flush=True)
        with api_server(database_url, redis_url, args.workers) as base:
            paths = request_paths(base, args.mix)
            drive = drive_wrk if tool == "wrk" else drive_asyncio
            drive(base, paths, min(3.0, args.seconds), args.connections)  # warm pools and caches
            result = drive(base, paths, args.seconds, args.connections)
    print(f"{tool}: {result['requests_per_s']:.0f} req/s, p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, "
          f"{result['errors']} errors", flush=True)
    print_result({**result, "tool": tool, "mix": args.mix, "connections": args.connections, "seconds": args.seconds,
                  "workers": args.workers, "coins": args.coins, "days": args.days,
                  "target_met": result["requests_per_s"] >= 1000 and result["p99_ms"] <= 50 and not result["errors"]})


@contextmanager
def _database(existing: bool) -> Iterator[str]:
    if existing:
        url = os.environ.get("IRIS_DATABASE_URL")
        if not url:
            raise SystemExit("--existing needs IRIS_DATABASE_URL")
        yield url
        return
    with scratch_database("iris_bench_api") as url:
        yield url


if __name__ == "__main__":
    main()
