"""Ingest benchmark: 1,000,000 synthetic base candles (100 coins) through the project's repository,
against a plain binary COPY of the same rows into an empty table with the same primary key, on the
same server in the same run; then resampling to 1h/4h/1d.

Usage: .venv/bin/python bench/ingest.py [--rows 1000000] [--coins 100]
Runs against IRIS_DATABASE_URL's server if set, else a throwaway embedded PostgreSQL.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import peak_rss_mb, print_result, scratch_database

from iris_assets.market_data.resample import resample
from iris_resources.db.engine import create_db_engine
from iris_resources.db.uow import UnitOfWork
from iris_resources.market_data.queries import MarketDataQueries
from iris_resources.market_data.repository import CANDLE_COLUMNS, copy_frame
from iris_resources.market_data.validation import validate_candles
from iris_resources.sources.synthetic import SyntheticMarket

REFERENCE_DDL = (
    "CREATE TABLE bench_copy (coin_id int NOT NULL, timeframe smallint NOT NULL, "
    "timestamp timestamptz NOT NULL, open float8 NOT NULL, high float8 NOT NULL, low float8 NOT NULL, "
    "close float8 NOT NULL, volume float8, PRIMARY KEY (coin_id, timeframe, timestamp))"
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--coins", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()

    market = SyntheticMarket(seed=11, n_coins=args.coins)
    bars = -(-args.rows // args.coins)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    raw = market.fetch([c.symbol for c in market.universe()], start, start + timedelta(minutes=15 * bars))
    raw = raw.candles.head(args.rows)
    print(f"generated {raw.height:,} candles for {args.coins} coins", flush=True)

    with scratch_database() as url:
        engine = create_db_engine(url, pool_size=2)
        with UnitOfWork(engine) as uow:
            sector_ids = uow.coins.upsert_sectors(market.sectors())
            uow.coins.upsert_coins(market.universe(), sector_ids, source="synthetic")
            coins = MarketDataQueries(uow.connection).coin_frame()
            uow.commit()
        frame = validate_candles(raw, coins).accepted  # the reference COPYs exactly these rows

        ingest_s, copy_s = [], []
        for _ in range(args.repeats):
            with engine.begin() as connection:
                connection.execute(text("DROP TABLE IF EXISTS bench_copy"))
                connection.execute(text(REFERENCE_DDL))
            started = time.perf_counter()
            with engine.begin() as connection:
                copy_frame(connection, "bench_copy", frame, CANDLE_COLUMNS)
            copy_s.append(time.perf_counter() - started)

            with engine.begin() as connection:
                connection.execute(text("TRUNCATE candles"))
            started = time.perf_counter()
            with UnitOfWork(engine) as uow:  # the project's path: validate, lock, upsert, commit
                accepted = validate_candles(raw, coins).accepted
                uow.candles.upsert_candles(accepted)
                uow.commit()
            ingest_s.append(time.perf_counter() - started)
            print(f"copy {copy_s[-1]:.2f}s  ingest {ingest_s[-1]:.2f}s", flush=True)

        reingest_started = time.perf_counter()
        with UnitOfWork(engine) as uow:  # re-running the same batch: staged upsert, nothing changes
            written = uow.candles.upsert_candles(validate_candles(raw, coins).accepted)
            uow.commit()
        reingest_s = time.perf_counter() - reingest_started

        started = time.perf_counter()
        with UnitOfWork(engine) as uow:
            stored = MarketDataQueries(uow.connection).candles_frame(
                coins.get_column("coin_id").to_list(), None, start, start + timedelta(days=400)
            )
        read_s = time.perf_counter() - started
        started = time.perf_counter()
        aggregates = resample(stored.drop("is_partial"))
        resample_s = time.perf_counter() - started
        started = time.perf_counter()
        with UnitOfWork(engine) as uow:
            uow.candle_aggregates.replace_window(coins.get_column("coin_id").to_list(), start,
                                                 start + timedelta(days=400), aggregates)
            uow.commit()
        aggregate_store_s = time.perf_counter() - started
        engine.dispose()

    best_ingest, best_copy = min(ingest_s), min(copy_s)
    print_result({
        "rows": frame.height,
        "coins": args.coins,
        "ingest_s": round(best_ingest, 3),
        "copy_s": round(best_copy, 3),
        "ingest_rows_per_s": round(frame.height / best_ingest),
        "copy_rows_per_s": round(frame.height / best_copy),
        "ratio": round(best_copy / best_ingest, 3),
        "reingest_unchanged_s": round(reingest_s, 3),
        "reingest_rows_written": written,
        "read_back_s": round(read_s, 3),
        "resample_s": round(resample_s, 3),
        "aggregate_rows": aggregates.height,
        "aggregate_store_s": round(aggregate_store_s, 3),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    })


if __name__ == "__main__":
    main()
