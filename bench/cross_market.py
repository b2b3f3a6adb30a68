"""Cross-market benchmark: relations for 100 coins on 1h candles (200-bar window, lags 0–8) for 30
daily snapshots, computed and stored the way the ``coin_relations`` asset does.

Usage: .venv/bin/python bench/cross_market.py [--coins 100] [--days 30]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import peak_rss_mb, print_result, scratch_database

from iris_assets.cross_market import RelationConfig, compute_relations, max_lag_bars
from iris_assets.market_data.resample import resample
from iris_assets.predictions import apply_feedback
from iris_resources.db.engine import create_db_engine
from iris_resources.db.uow import UnitOfWork
from iris_resources.market_data.queries import MarketDataQueries
from iris_resources.market_data.validation import validate_candles
from iris_resources.sources.synthetic import SyntheticMarket


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--coins", type=int, default=100)
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args()
    config = RelationConfig()
    start = datetime(2024, 1, 1, tzinfo=UTC)
    end = start + timedelta(days=args.days + 10)
    market = SyntheticMarket(seed=5, n_coins=args.coins)
    with scratch_database("iris_bench_cm") as url:
        engine = create_db_engine(url, pool_size=2)
        with UnitOfWork(engine) as uow:
            sector_ids = uow.coins.upsert_sectors(market.sectors())
            uow.coins.upsert_coins(market.universe(), sector_ids, source="synthetic")
            coins = MarketDataQueries(uow.connection).coin_frame()
            uow.commit()
        raw = market.fetch([c.symbol for c in market.universe()], start, end).candles
        base = validate_candles(raw, coins).accepted
        hourly = resample(base, targets=[60]).filter(~pl.col("is_partial")).select("coin_id", "timestamp", "close")
        pairs = args.coins * (args.coins - 1)
        lags = max_lag_bars(60, config) + 1
        ledger = pl.DataFrame(schema={"prediction_id": pl.Int64, "leader_coin_id": pl.Int32,
                                      "follower_coin_id": pl.Int32, "timeframe": pl.Int16, "status": pl.String,
                                      "adjustment": pl.Float64, "created_at": pl.Datetime("us", "UTC")})
        started = time.perf_counter()
        compute_s = 0.0
        for day in range(10, 10 + args.days):
            day_end = start + timedelta(days=day + 1)
            window = hourly.filter((pl.col("timestamp") >= day_end - timedelta(hours=220))
                                   & (pl.col("timestamp") < day_end))
            t0 = time.perf_counter()
            relations = apply_feedback(compute_relations(window, 60, as_of=day_end - timedelta(hours=1),
                                                         config=config), ledger)
            compute_s += time.perf_counter() - t0
            with UnitOfWork(engine) as uow:
                uow.cross_market.replace_relations(60, day_end, relations)
                uow.commit()
        seconds = time.perf_counter() - started
        active = int(relations.get_column("active").sum())
        engine.dispose()
    print_result({
        "coins": args.coins, "days": args.days, "pairs": pairs, "lags": lags,
        "seconds": round(seconds, 3), "compute_s": round(compute_s, 3),
        "pair_lags_per_s": round(pairs * lags * args.days / seconds),
        "active_pairs_last_day": active, "peak_rss_mb": round(peak_rss_mb(), 1),
    })


if __name__ == "__main__":
    main()
