"""Sector narratives (pure; reference 3.4): top sector, BTC dominance, rotation state, capital wave.

Market capitalisations come from no source IRIS has yet; with them absent the reference's own
rules apply (dominance unknown → rotation state ``none``; every coin without a cap buckets by
symbol and sector only), and the narrative fills in once caps are provided.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

BUCKETS = ("btc", "large_caps", "sector_leaders", "mid_caps", "micro_caps")


def sector_narrative(sectors: pl.DataFrame, coins: pl.DataFrame, market_caps: Mapping[str, float],
                     timeframe: int) -> dict[str, Any]:
    """``sectors``: sector, relative_strength; ``coins``: symbol, sector, last_return,
    volume_change_24h_pct, price_change_24h_pct (one row per enabled crypto coin)."""
    top = sectors.sort(["relative_strength", "sector"], descending=[True, False]).head(1)
    top_sector = top.get_column("sector")[0] if top.height else None
    caps = {s: c for s, c in market_caps.items() if c}
    total = sum(caps.values())
    dominance = caps.get("BTCUSD", 0.0) / total if total and "BTCUSD" in caps else None
    btc = coins.filter(pl.col("symbol") == "BTCUSD")
    btc_change = btc.get_column("price_change_24h_pct")[0] if btc.height else None
    if dominance is None:
        rotation = "none"
    elif dominance >= 0.45 and (btc_change or 0.0) >= 0:
        rotation = "btc_dominance_rising"
    elif dominance < 0.45 and (btc_change or 0.0) < 0:
        rotation = "btc_dominance_falling"
    else:
        rotation = "sector_leadership_change" if top_sector else "none"
    cap = pl.col("symbol").replace_strict(caps, default=0.0, return_dtype=pl.Float64)
    bucket = (
        pl.when(pl.col("symbol") == "BTCUSD").then(pl.lit("btc"))
        .when(cap >= 15e9).then(pl.lit("large_caps"))
        .when(pl.col("sector") == top_sector).then(pl.lit("sector_leaders"))
        .when(cap >= 1e9).then(pl.lit("mid_caps"))
        .otherwise(pl.lit("micro_caps"))
    )
    r = pl.col("last_return").fill_null(0.0)
    score = r + pl.col("volume_change_24h_pct").fill_null(0.0) / 100.0 + (cap / 25e9).clip(upper_bound=2.0) * r
    scores = dict(coins.with_columns(bucket.alias("bucket"), score.alias("score"))
                  .group_by("bucket").agg(pl.col("score").mean()).rows())
    wave = max(BUCKETS, key=lambda b: (scores.get(b, 0.0), -BUCKETS.index(b)))  # absent buckets score 0
    return {"timeframe": timeframe, "top_sector": top_sector, "btc_dominance": dominance,
            "rotation_state": rotation, "capital_wave": wave,
            "bucket_scores": {b: round(float(scores.get(b, 0.0)), 6) for b in BUCKETS}}
