"""Point-in-time joins that turn stored frames into decision-engine inputs (pure Polars).

Every join is "as of" the bar: a bar at time t sees the newest sector snapshot, relation snapshot
and strategy snapshot whose ``as_of`` is at or before t, and the regime/cycle of t itself.
"""

from __future__ import annotations

import polars as pl

from iris_assets.signals.strategies import strategy_alignment

_KEYS = ["coin_id", "timeframe", "timestamp"]
BASE_PREFIX = "pattern_"
META = r"^pattern_(cluster|hierarchy)_"


def _asof(left: pl.DataFrame, right: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    """Backward as-of join of ``right`` (keyed on ``as_of``) onto ``left`` (keyed on ``timestamp``)."""
    if right.is_empty():
        extra = [c for c in right.columns if c not in (*by, "as_of")]
        return left.with_columns(pl.lit(None, dtype=right.schema[c]).alias(c) for c in extra)
    return left.sort("timestamp").join_asof(
        right.sort("as_of"), left_on="timestamp", right_on="as_of", by=by, strategy="backward",
        check_sortedness=False).drop(
        "as_of", strict=False)


def stack_keys(stacks: pl.DataFrame) -> pl.DataFrame:
    """Distinct (coin, timeframe, timestamp) of the stacks."""
    return stacks.select(_KEYS).unique()


def with_bar_regime(frame: pl.DataFrame, bars: pl.DataFrame) -> pl.DataFrame:
    """Attach the bar's regime (falling back to the signal's own) and cycle phase."""
    joined = frame.join(bars.select(*_KEYS, pl.col("regime").alias("_bar_regime"), "cycle_phase"),
                        on=_KEYS, how="left")
    fallback = pl.col("market_regime") if "market_regime" in frame.columns else pl.lit(None, pl.String)
    return joined.with_columns(pl.coalesce("_bar_regime", fallback).alias("regime")).drop("_bar_regime")


def success_queries(signals: pl.DataFrame) -> pl.DataFrame:
    """The success-rate lookups of base pattern signals: slug without prefix, timeframe, regime, timestamp."""
    return signals.with_columns(
        pl.when(pl.col("signal_type").str.starts_with(BASE_PREFIX) & ~pl.col("signal_type").str.contains(META))
        .then(pl.col("signal_type").str.strip_prefix(BASE_PREFIX)).alias("slug"))


def sector_context(keys: pl.DataFrame, coin_sectors: pl.DataFrame, snapshots: pl.DataFrame) -> pl.DataFrame:
    """Per stack key: symbol, sector name, sector strength, relative strength, top-sector flag, trend."""
    frame = keys.join(coin_sectors, on="coin_id", how="left")
    picked = snapshots.select("sector_id", "timeframe", "as_of", "sector_strength", "relative_strength",
                              "is_top_sector", "trend")
    return _asof(frame, picked, ["sector_id", "timeframe"])


def coin_sector_trends(coin_sectors: pl.DataFrame, snapshots: pl.DataFrame) -> pl.DataFrame:
    """coin_id, timeframe, as_of, trend: each coin's sector trend snapshots (fusion input)."""
    if snapshots.is_empty():
        return pl.DataFrame(schema={"coin_id": pl.Int32, "timeframe": pl.Int16, "as_of": pl.Datetime("us", "UTC"),
                                    "trend": pl.String})
    return coin_sectors.select("coin_id", "sector_id").join(
        snapshots.select("sector_id", "timeframe", "as_of", "trend"), on="sector_id").drop("sector_id")


def strategy_context(stacks: pl.DataFrame, context: pl.DataFrame, performance: pl.DataFrame,
                     rules: pl.DataFrame) -> pl.DataFrame:
    """strategy_alignment and strategy_names per stack key, each bar using the newest discovery
    snapshot at or before it (bars older than every snapshot get no strategies: alignment 1.0)."""
    keys = context.select(*_KEYS, "regime", "cycle_phase", "sector")
    empty = keys.select(*_KEYS).with_columns(pl.lit(1.0).alias("strategy_alignment"),
                                             pl.lit(None, pl.String).alias("strategy_names"))
    if performance.is_empty():
        return empty
    snapshots = performance.select("as_of").unique().sort("as_of")
    keyed = keys.sort("timestamp").join_asof(snapshots.with_columns(pl.col("as_of").alias("snapshot")),
                                             left_on="timestamp", right_on="as_of", strategy="backward")
    base = stacks.filter(~pl.col("signal_type").str.contains(META)).with_columns(
        pl.col("signal_type").str.strip_prefix(BASE_PREFIX).alias("token"))
    tokens = base.group_by(_KEYS).agg(pl.col("token"), pl.col("confidence").alias("token_confidence"))
    results = [empty.join(keyed.filter(pl.col("snapshot").is_null()).select(_KEYS), on=_KEYS)]
    for (snapshot,), group in keyed.filter(pl.col("snapshot").is_not_null()).group_by("snapshot"):
        inputs = group.join(tokens, on=_KEYS, how="left").select(
            *_KEYS, pl.col("token").fill_null([]).alias("tokens"),
            pl.col("token_confidence").fill_null([]), pl.col("regime").fill_null("*"),
            pl.col("sector").fill_null("*"), pl.col("cycle_phase").fill_null("*").alias("cycle"))
        snap = performance.filter(pl.col("as_of") == snapshot)
        results.append(strategy_alignment(inputs, snap, rules.filter(pl.col("name").is_in(snap.get_column("name")))))
    return pl.concat([r.select(*_KEYS, "strategy_alignment", "strategy_names") for r in results],
                     how="vertical_relaxed")
