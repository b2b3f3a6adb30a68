"""Live latency: with ``iris up`` running (daemon + API), feed closed candles for 20 coins every few
seconds and measure, per candle, the delay until its indicators are visible through the API.

Indicators, classic signals and regime changes of a candle are written in one transaction, so the
indicator row's visibility is the signals' too. ``--kill-redis`` stops Redis for 30 s mid-run and
then checks that every committed event still reached the stream.

Usage: .venv/bin/python bench/live_latency.py [--bars 12] [--interval 5] [--kill-redis]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import print_result

from iris_resources.db.engine import create_db_engine
from iris_resources.db.uow import UnitOfWork
from iris_resources.events.relay import pending_count
from iris_resources.market_data.queries import MarketDataQueries
from iris_resources.market_data.validation import validate_candles
from iris_resources.services import embedded_redis
from iris_resources.services.ports import free_port
from iris_resources.services.runtime import APP_DATABASE, with_database
from iris_resources.sources.synthetic import SyntheticMarket

BIN = Path(sys.executable).parent
START_SENSOR = """mutation($s: SensorSelector!) { startSensor(sensorSelector: $s) { __typename } }"""
REPOSITORIES = """{ repositoriesOrError { ... on RepositoryConnection { nodes { name location { name } } } } }"""


def _wait(url: str, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise TimeoutError(f"{url} did not answer")


def _start_sensors(dagster: str, names: list[str]) -> None:
    nodes = httpx.post(f"{dagster}/graphql", json={"query": REPOSITORIES}, timeout=30).json()
    repo = nodes["data"]["repositoriesOrError"]["nodes"][0]
    for name in names:
        selector = {"repositoryLocationName": repo["location"]["name"], "repositoryName": repo["name"],
                    "sensorName": name}
        httpx.post(f"{dagster}/graphql", json={"query": START_SENSOR, "variables": {"s": selector}}, timeout=30)


def _feed(engine, market: SyntheticMarket, coins: pl.DataFrame, bar: datetime) -> float:
    """Store one closed bar for every coin and announce it, as the candles asset does; returns the commit time."""
    raw = market.fetch(coins.get_column("symbol").to_list(), bar, bar + timedelta(minutes=15)).candles
    accepted = validate_candles(raw, coins).accepted
    with UnitOfWork(engine) as uow:
        uow.candles.upsert_candles(accepted)
        uow.events.extend("candle_closed", [
            {"coin_id": int(c), "timeframe": 15, "timestamp": bar,
             "payload": {"created_count": 1, "source": "live_bench", "first_timestamp": bar.isoformat()}}
            for c in accepted.get_column("coin_id").to_list()])
        uow.commit()
    return time.monotonic()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bars", type=int, default=12)
    parser.add_argument("--interval", type=float, default=5.0)
    parser.add_argument("--grace", type=float, default=240.0)
    parser.add_argument("--kill-redis", action="store_true")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="iris-live-"))
    env = {k: v for k, v in os.environ.items() if k not in ("IRIS_DATABASE_URL", "IRIS_REDIS_URL")}
    env.update(IRIS_DATA_DIR=str(data_dir), IRIS_EMBEDDED_PG_PORT=str(free_port(0)),
               IRIS_EMBEDDED_REDIS_PORT=str(free_port(0)), IRIS_API_PORT=str(free_port(0)),
               IRIS_DAGSTER_PORT=str(free_port(0)), IRIS_SYNTHETIC_COINS="20")
    api = f"http://127.0.0.1:{env['IRIS_API_PORT']}"
    dagster = f"http://127.0.0.1:{env['IRIS_DAGSTER_PORT']}"
    server = None
    try:
        print("warming up: 2 days of history through the whole graph", flush=True)
        subprocess.run([str(BIN / "iris"), "demo", "--no-serve", "--days", "2"], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        runtime = json.loads((data_dir / "runtime.json").read_text())
        engine = create_db_engine(with_database(runtime["postgres_url"], APP_DATABASE), pool_size=2)
        server = subprocess.Popen([str(BIN / "iris"), "up"], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, start_new_session=True)
        _wait(f"{api}/api/v1/health")
        _wait(f"{dagster}/server_info")
        _start_sensors(dagster, ["new_candles_sensor", "outbox_relay_sensor"])
        with UnitOfWork(engine) as uow:
            coins = MarketDataQueries(uow.connection).coin_frame()
        market = SyntheticMarket(seed=7, n_coins=20)
        today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        pending: dict[tuple[str, datetime], float] = {}
        latencies: list[float] = []
        outage = 0.0
        client = httpx.Client(timeout=5)
        next_feed, fed = time.monotonic(), 0
        redis_dir = data_dir / "redis"
        redis_port = int(runtime["redis_url"].rsplit(":", 1)[1].split("/")[0])
        redis_down_at: float | None = None
        deadline = None
        while True:
            now = time.monotonic()
            if fed < args.bars and now >= next_feed:
                bar = today + timedelta(minutes=15 * fed)
                committed = _feed(engine, market, coins, bar)
                pending.update({(s, bar): committed for s in coins.get_column("symbol").to_list()})
                fed += 1
                next_feed = now + args.interval
                if args.kill_redis and fed == max(1, args.bars // 3):
                    embedded_redis.stop(redis_dir)
                    redis_down_at = time.monotonic()
                if fed == args.bars:
                    deadline = time.monotonic() + args.grace
            if redis_down_at is not None and time.monotonic() - redis_down_at >= 30:
                embedded_redis.start(redis_dir, redis_port)
                outage = time.monotonic() - redis_down_at
                redis_down_at = None
            for symbol in sorted({s for s, _ in pending}):
                try:
                    rows = client.get(f"{api}/api/v1/coins/{symbol}/indicators", params={"interval": "15m",
                                                                                          "limit": 1}).json()
                except httpx.HTTPError:
                    continue
                newest = datetime.fromisoformat(rows["data"][-1]["timestamp"]) if rows.get("data") else None
                visible = [k for k in pending if k[0] == symbol and newest is not None and k[1] <= newest]
                latencies.extend(time.monotonic() - pending.pop(key) for key in visible)
            if fed == args.bars and (not pending or (deadline is not None and time.monotonic() > deadline)):
                break
            time.sleep(0.5)
        undelivered = -1
        for _ in range(60):  # the sweep sensor publishes whatever Redis missed
            undelivered = pending_count(engine)
            if undelivered == 0:
                break
            time.sleep(1)
        latencies.sort()
        print_result({
            "candles": len(latencies) + len(pending), "bars": args.bars, "coins": coins.height,
            "interval_s": args.interval, "p50_s": round(statistics.median(latencies), 2) if latencies else None,
            "p95_s": round(latencies[int(0.95 * (len(latencies) - 1))], 2) if latencies else None,
            "max_s": round(latencies[-1], 2) if latencies else None, "lost": len(pending),
            "redis_outage_s": round(outage, 1), "undelivered_events": undelivered,
        })
        engine.dispose()
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        subprocess.run([str(BIN / "iris"), "services", "stop"], env=env, check=False, stdout=subprocess.DEVNULL)
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
