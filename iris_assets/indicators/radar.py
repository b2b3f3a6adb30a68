"""Market radar and market flow projections (pure Polars → JSON-ready dicts; reference 3.14).

Differences from the reference, on purpose: regime changes, leaders and rotations come from
tables (DECISIONS.md 20), price changes are percent, and volatility spikes rank by annualised
return volatility (comparable across assets) instead of alphabetically by regime label.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import polars as pl

EMERGING_REGIMES = ("bull_trend", "sideways_range", "high_volatility")


def _iso(frame: pl.DataFrame, *columns: str) -> pl.DataFrame:
    return frame.with_columns(
        *(pl.col(c).dt.strftime("%Y-%m-%dT%H:%M:%SZ") for c in columns if c in frame.columns)
    )


def _coin_items(frame: pl.DataFrame, limit: int) -> list[dict[str, Any]]:
    columns = ["coin_id", "symbol", "name", "activity_score", "activity_bucket", "analysis_priority",
               "price_change_24h_pct", "price_change_7d_pct", "volatility", "volatility_annualized",
               "market_regime", "updated_at"]
    return _iso(frame.select(columns).head(limit), "updated_at").to_dicts()


def radar_payload(primary: pl.DataFrame, changes: pl.DataFrame, coins: pl.DataFrame, limit: int) -> dict[str, Any]:
    """``hot_coins``, ``emerging_coins``, ``volatility_spikes`` and ``regime_changes``.

    ``primary``: each coin's primary coin_metrics row joined to symbol and name.
    """
    hot = primary.filter(pl.col("activity_bucket") == "HOT").sort(
        ["activity_score", "symbol"], descending=[True, False], nulls_last=True)
    emerging = primary.filter(
        pl.col("activity_bucket").is_in(["HOT", "WARM"]) & (pl.col("price_change_24h_pct") > 0)
        & (pl.col("price_change_7d_pct") >= 0) & pl.col("market_regime").is_in(EMERGING_REGIMES)
    ).sort(["activity_score", "price_change_24h_pct", "symbol"], descending=[True, True, False], nulls_last=True)
    spikes = primary.filter(
        pl.col("volatility").is_not_null() & pl.col("activity_bucket").is_in(["HOT", "WARM", "COLD"])
    ).sort(["volatility_annualized", "symbol"], descending=[True, False], nulls_last=True)
    regime_items = _iso(
        changes.join(coins.select("coin_id", "symbol", "name"), on="coin_id", how="left", maintain_order="left")
        .with_columns(pl.col("symbol").fill_null("UNKNOWN"), pl.col("name").fill_null("Unknown"))
        .sort("timestamp", descending=True).head(limit)
        .select("coin_id", "symbol", "name", "timeframe", "regime", "previous_regime", "confidence", "timestamp"),
        "timestamp",
    ).to_dicts()
    return {
        "hot_coins": _coin_items(hot, limit),
        "emerging_coins": _coin_items(emerging, limit),
        "regime_changes": regime_items,
        "volatility_spikes": _coin_items(spikes, limit),
    }


def flow_payload(leaders: pl.DataFrame, rotations: pl.DataFrame, coins: pl.DataFrame, limit: int
                 ) -> dict[str, Any]:
    """``leaders`` (newest per coin) and ``rotations`` (newest per sector pair); relations and sector
    metrics join in as their domains land."""
    leader_items = _iso(
        leaders.sort("timestamp", descending=True).unique("coin_id", keep="first", maintain_order=True)
        .join(coins.select("coin_id", "symbol", "name", "sector"), on="coin_id", how="inner", maintain_order="left")
        .head(limit)
        .select(pl.col("coin_id").alias("leader_coin_id"), "symbol", "name", "sector", "direction",
                pl.col("market_regime").alias("regime"), "confidence", "price_change_24h_pct",
                "volume_change_24h_pct", "timestamp"),
        "timestamp",
    ).to_dicts()
    rotation_items = _iso(
        rotations.sort("timestamp", descending=True)
        .unique(["source_sector", "target_sector", "timeframe"], keep="first", maintain_order=True)
        .head(limit),
        "timestamp",
    ).to_dicts()
    return {"leaders": leader_items, "relations": [], "sectors": [], "rotations": rotation_items}


def newest_timestamp(*frames_and_columns: tuple[pl.DataFrame, str]) -> datetime | None:
    """The newest source timestamp among the given columns (snapshot staleness)."""
    values = [f.get_column(c).max() for f, c in frames_and_columns if c in f.columns and not f.is_empty()]
    present = [v for v in values if isinstance(v, datetime)]
    return max(present) if present else None
