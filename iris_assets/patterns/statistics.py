"""Pattern statistics and temperature from signal outcomes (pure; reference 2.10).

Per (slug, timeframe, regime) and (slug, timeframe, "all"): the last 200 outcomes **by candle
time** (the reference ordered by a re-stamped evaluation time; ties by coin id), success = terminal return > 0,
success rate, average return and drawdown, temperature = (rate − 0.5) · ln(max(n, 1)) · exp(−age/90),
enabled = not (n ≥ 20 and rate < 0.45).
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

ROLLING_WINDOW = 200


def pattern_statistics(outcomes: pl.DataFrame, now: datetime, window: int = ROLLING_WINDOW) -> pl.DataFrame:
    """``outcomes``: slug, timeframe, regime, coin_id, candle_timestamp, result_return, result_drawdown.

    Any superset of each scope's newest ``window`` outcomes gives the same result (see
    ``OutcomeQueries.recent_pattern_outcomes``, which selects just those in SQL).
    """
    usable = outcomes.filter(pl.col("result_return").is_not_null()).with_columns(
        pl.col("regime").fill_null("all"))
    scoped = pl.concat([usable, usable.with_columns(pl.lit("all").alias("regime"))]).unique(
        ["slug", "timeframe", "regime", "candle_timestamp", "coin_id"], maintain_order=True)
    # Ties in candle time (coins share bar times) go to the lower coin id, so which tied outcomes fall out
    # of the window never depends on the order rows came back from the database.
    recent = scoped.sort(["candle_timestamp", "coin_id"], descending=[True, False], maintain_order=True).group_by(
        "slug", "timeframe", "regime", maintain_order=True).head(window)
    age_days = (pl.lit(now) - pl.col("candle_timestamp").max()).dt.total_days()
    stats = recent.group_by("slug", "timeframe", "regime").agg(
        pl.len().alias("total_signals"),
        (pl.col("result_return") > 0).sum().alias("successful_signals"),
        pl.col("result_return").mean().alias("avg_return"),
        pl.col("result_drawdown").mean().alias("avg_drawdown"),
        age_days.alias("age_days"),
    ).with_columns((pl.col("successful_signals") / pl.col("total_signals")).alias("success_rate"))
    return stats.with_columns(
        ((pl.col("success_rate") - 0.5) * pl.col("total_signals").clip(lower_bound=1).cast(pl.Float64).log()
         * (-pl.col("age_days") / 90.0).exp()).alias("temperature"),
        ~((pl.col("total_signals") >= 20) & (pl.col("success_rate") < 0.45)).alias("enabled"),
    ).sort("slug", "timeframe", "regime")
