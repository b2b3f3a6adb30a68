"""Sector momentum and rotation (spec §2.3–2.4) on percent metrics (DECISIONS.md 7 and 14).

Per sector, over its coins' 24 h metrics: average price change %, average volume change %, average
volatility and capital flow = mean(volΔ % / 100 + Δ24h % / 10) (a coin missing either input is left
out of that mean, as SQL AVG did). ``sector_strength`` is the average price change,
``relative_strength`` that minus the unweighted mean over sectors. Trend: ``bullish`` when price ≥ 1 %
and volume ≥ 0 %, else ``bearish`` when price ≤ −1 %, else ``sideways``. The top sector has the
highest relative strength, ties to the smaller code; a rotation is a change of top sector.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

BULLISH_MIN_PRICE_PCT = 1.0
BEARISH_MAX_PRICE_PCT = -1.0
SECTOR_INPUT_COLUMNS = ("sector_id", "sector", "price_change_24h_pct", "volume_change_24h_pct", "volatility")


@dataclass(frozen=True, slots=True)
class SectorRotation:
    """The top sector changed; strengths are relative strengths (source: previous snapshot)."""

    source_sector_id: int
    target_sector_id: int
    source_sector: str
    target_sector: str
    source_strength: float
    target_strength: float
    timeframe: int


def sector_momentum(coins: pl.DataFrame, timeframe: int) -> pl.DataFrame:
    """One row per sector from ``coins`` (one row per active coin: :data:`SECTOR_INPUT_COLUMNS`).

    Returns sector_id, sector, timeframe, sector_strength, relative_strength, capital_flow,
    avg_price_change_24h_pct, avg_volume_change_24h_pct, volatility, trend, coin_count, ordered
    top sector first. The inputs are 24 h metrics, so ``timeframe`` only labels the rows.
    """
    change, volume = pl.col("price_change_24h_pct"), pl.col("volume_change_24h_pct")
    sectors = (
        coins.filter(pl.col("sector_id").is_not_null())
        .group_by("sector_id", "sector")
        .agg(
            change.mean().fill_null(0.0).alias("avg_price_change_24h_pct"),
            volume.mean().fill_null(0.0).alias("avg_volume_change_24h_pct"),
            pl.col("volatility").mean().fill_null(0.0).alias("volatility"),
            (volume / 100.0 + change / 10.0).mean().fill_null(0.0).alias("capital_flow"),
            pl.len().cast(pl.Int32).alias("coin_count"),
        )
    )
    price = pl.col("avg_price_change_24h_pct")
    trend = (
        pl.when((price >= BULLISH_MIN_PRICE_PCT) & (pl.col("avg_volume_change_24h_pct") >= 0))
        .then(pl.lit("bullish"))
        .when(price <= BEARISH_MAX_PRICE_PCT).then(pl.lit("bearish"))
        .otherwise(pl.lit("sideways"))
    )
    return sectors.select(
        pl.col("sector_id").cast(pl.Int32),
        "sector",
        pl.lit(timeframe, dtype=pl.Int16).alias("timeframe"),
        price.alias("sector_strength"),
        (price - price.mean()).alias("relative_strength"),
        "capital_flow",
        "avg_price_change_24h_pct",
        "avg_volume_change_24h_pct",
        "volatility",
        trend.alias("trend"),
        "coin_count",
    ).sort(["relative_strength", "sector"], descending=[True, False])


def top_sector(momentum: pl.DataFrame) -> dict[str, Any] | None:
    """The sector with the highest relative strength (ties: smaller code), or None when empty."""
    if momentum.is_empty():
        return None
    return momentum.sort(["relative_strength", "sector"], descending=[True, False]).row(0, named=True)


def detect_rotation(previous: pl.DataFrame | None, current: pl.DataFrame) -> SectorRotation | None:
    """A rotation when both snapshots have a top sector and they differ (no hysteresis, as in IRIS).

    ``previous`` is the stored snapshot for the same timeframe, read before ``current`` is written;
    the first snapshot of a timeframe never rotates.
    """
    before = top_sector(previous) if previous is not None else None
    after = top_sector(current)
    if before is None or after is None or before["sector_id"] == after["sector_id"]:
        return None
    return SectorRotation(
        source_sector_id=int(before["sector_id"]),
        target_sector_id=int(after["sector_id"]),
        source_sector=str(before["sector"]),
        target_sector=str(after["sector"]),
        source_strength=float(before["relative_strength"]),
        target_strength=float(after["relative_strength"]),
        timeframe=int(after["timeframe"]),
    )
