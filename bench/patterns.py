"""Pattern benchmark: every detector over 1 year of 15m candles for 20 coins, plus the 1h/4h/1d
candles derived from them (700,800 base candles), the same engines the ``pattern_signals`` asset runs.

Usage: .venv/bin/python bench/patterns.py [--coins 20] [--days 365]
Times resampling, indicators + features and detection separately; the total is the target (< 120 s).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import peak_rss_mb, print_result

from iris_assets.indicators.engine import compute_indicators
from iris_assets.indicators.features import add_bar_features
from iris_assets.market_data.resample import resample
from iris_assets.patterns.engine import detect_all
from iris_resources.sources.synthetic import SyntheticMarket


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--coins", type=int, default=20)
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    market = SyntheticMarket(seed=7, n_coins=args.coins)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    raw = market.fetch([c.symbol for c in market.universe()], start, start + timedelta(days=args.days)).candles
    base = raw.with_columns(pl.col("symbol").rank("dense").cast(pl.Int32).alias("coin_id"),
                            pl.lit(15, dtype=pl.Int16).alias("timeframe")).drop("symbol").sort("coin_id", "timestamp")
    started = time.perf_counter()
    derived = resample(base).filter(~pl.col("is_partial"))
    resample_s = time.perf_counter() - started
    series = {15: base.drop("timeframe")} | {
        tf: derived.filter(pl.col("timeframe") == tf).drop("timeframe", "base_count", "is_partial")
        for tf in (60, 240, 1440)}
    indicators_s = detect_s = 0.0
    detections = candles = 0
    for timeframe, frame in series.items():
        t0 = time.perf_counter()
        enriched = add_bar_features(compute_indicators(frame, by="coin_id"), timeframe)
        indicators_s += time.perf_counter() - t0
        t0 = time.perf_counter()
        for (_,), bars in enriched.group_by("coin_id"):
            detections += detect_all(bars.drop("coin_id").sort("timestamp"), timeframe).height
        detect_s += time.perf_counter() - t0
        candles += frame.height
    seconds = resample_s + indicators_s + detect_s
    print_result({
        "candles": candles, "base_candles": base.height, "seconds": round(seconds, 2),
        "candles_per_s": round(candles / seconds), "detections": detections, "resample_s": round(resample_s, 2),
        "indicators_s": round(indicators_s, 2), "detect_s": round(detect_s, 2), "peak_rss_mb": round(peak_rss_mb(), 1),
    })


if __name__ == "__main__":
    main()
