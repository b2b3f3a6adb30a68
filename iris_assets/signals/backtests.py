"""Backtest summaries of evaluated signal outcomes (pure; reference 5.6 with DECISIONS.md 17).

The reference aggregates ``signal_history`` on read, per (signal_type, timeframe) over all coins.
Here the same aggregate is produced at two scopes in one frame:

* all coins: ``coin_id`` is null, ``coin_count`` = distinct coins in the group;
* per coin: one row per (signal_type, timeframe, coin_id), ``coin_count`` = 1.

Only outcomes with both ``result_return`` and ``result_drawdown`` known, and a candle time at or
after ``now − lookback_days``, are counted. Metrics:

* ``win_rate`` = share of returns > 0, ``roi`` = Σ returns, ``avg_return`` = mean return;
* ``sharpe_ratio`` = mean / population standard deviation of the returns, per trade, no risk-free
  rate (0 when fewer than 2 trades or zero variance, as in the reference);
* ``sharpe_annualized`` = ``sharpe_ratio`` · √(trades per year), where one trade is held for the
  result horizon of 72 h (``result_return`` is the 72 h return, 24 h only as a fallback), so
  trades per year = 365.25 · 24 / 72 = 121.75. This assumes back-to-back, non-overlapping trades;
  it is a scale for comparing groups, not a portfolio Sharpe;
* ``max_drawdown`` = min ``result_drawdown``: the worst adverse excursion of any single trade
  (the reference's definition);
* ``equity_drawdown`` = the largest peak-to-trough decline of the equity curve built by summing
  returns in candle-time order, starting from 0 (additive, no compounding; ≤ 0);
* ``avg_confidence``, ``first_signal_at`` / ``last_signal_at`` (min / max candle time).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import polars as pl

RESULT_HORIZON_HOURS = 72
TRADES_PER_YEAR = 365.25 * 24 / RESULT_HORIZON_HOURS
ANNUALIZATION = math.sqrt(TRADES_PER_YEAR)
# A standard deviation this small is floating-point noise around identical returns.
ZERO_VARIANCE = 1e-12

GROUP_KEYS = ("signal_type", "timeframe", "coin_id")
BACKTEST_SORT = ("sample_size", "sharpe_ratio", "roi", "win_rate")
BACKTEST_TOP_SORT = ("sharpe_ratio", "roi", "win_rate", "sample_size")
TOP_MIN_POOL = 50

SUMMARY_COLUMNS = (
    "coin_id",
    "signal_type",
    "timeframe",
    "lookback_days",
    "sample_size",
    "coin_count",
    "win_rate",
    "roi",
    "avg_return",
    "sharpe_ratio",
    "sharpe_annualized",
    "max_drawdown",
    "equity_drawdown",
    "avg_confidence",
    "first_signal_at",
    "last_signal_at",
)


def sharpe_expression(returns: pl.Expr) -> pl.Expr:
    """Per-trade Sharpe of ``returns`` in an aggregation: mean / population std, else 0."""
    spread = returns.std(ddof=0)
    return (
        pl.when((returns.count() >= 2) & (spread > ZERO_VARIANCE))
        .then(returns.mean() / spread)
        .otherwise(0.0)
        .cast(pl.Float64)
    )


def backtest_summaries(outcomes: pl.DataFrame, now: datetime, lookback_days: int) -> pl.DataFrame:
    """Backtest rows for ``outcomes`` of the last ``lookback_days`` at the all-coin and coin scopes.

    ``outcomes``: coin_id, timeframe, signal_type, candle_timestamp (UTC), confidence,
    result_return, result_drawdown. Rows are ordered by (signal_type, timeframe, coin_id) with the
    all-coin row (null coin_id) first; use :func:`sort_summaries` / :func:`top_summaries` to list.
    """
    since = now - timedelta(days=lookback_days)
    rows = outcomes.filter(
        pl.col("result_return").is_not_null()
        & pl.col("result_drawdown").is_not_null()
        & (pl.col("candle_timestamp") >= since)
    ).with_columns(pl.col("coin_id").alias("source_coin"))
    scoped = pl.concat(
        [
            rows.with_columns(pl.lit(None, dtype=rows.schema["coin_id"]).alias("coin_id")),
            rows,
        ]
    )
    keys = list(GROUP_KEYS)
    # Equity curve per group in candle-time order (ties broken by coin for determinism).
    ordered = scoped.sort([*keys, "candle_timestamp", "source_coin"], nulls_last=False)
    equity = pl.col("result_return").cum_sum().over(keys)
    ordered = ordered.with_columns(equity.alias("equity")).with_columns(
        (pl.col("equity") - pl.col("equity").cum_max().over(keys).clip(lower_bound=0.0)).alias("underwater")
    )
    returns = pl.col("result_return")
    summaries = (
        ordered.group_by(keys)
        .agg(
            pl.len().cast(pl.Int64).alias("sample_size"),
            pl.col("source_coin").n_unique().cast(pl.Int64).alias("coin_count"),
            (returns > 0).mean().alias("win_rate"),
            returns.sum().alias("roi"),
            returns.mean().alias("avg_return"),
            sharpe_expression(returns).alias("sharpe_ratio"),
            pl.col("result_drawdown").min().alias("max_drawdown"),
            pl.col("underwater").min().clip(upper_bound=0.0).alias("equity_drawdown"),
            pl.col("confidence").mean().alias("avg_confidence"),
            pl.col("candle_timestamp").min().alias("first_signal_at"),
            pl.col("candle_timestamp").max().alias("last_signal_at"),
        )
    )
    return finish_summaries(summaries, lookback_days)


def finish_summaries(summaries: pl.DataFrame, lookback_days: int) -> pl.DataFrame:
    """Add ``lookback_days`` and ``sharpe_annualized`` to aggregated summaries (the columns of
    :func:`backtest_summaries` but those two), in its column and row order. Also used for the
    summaries PostgreSQL aggregates (``ResearchQueries.backtest_summaries``)."""
    return (
        summaries.with_columns(
            pl.lit(lookback_days, dtype=pl.Int32).alias("lookback_days"),
            (pl.col("sharpe_ratio") * ANNUALIZATION).alias("sharpe_annualized"),
        )
        .select(SUMMARY_COLUMNS)
        .sort("signal_type", "timeframe", "coin_id", nulls_last=False)
    )


def _sorted(frame: pl.DataFrame, order: tuple[str, ...]) -> pl.DataFrame:
    ties = [c for c in GROUP_KEYS if c in frame.columns]
    return frame.sort(
        [*order, *ties],
        descending=[True] * len(order) + [False] * len(ties),
        nulls_last=[True] * len(order) + [False] * len(ties),
    )


def sort_summaries(frame: pl.DataFrame) -> pl.DataFrame:
    """Reference list order: (sample_size, sharpe, roi, win_rate) descending."""
    return _sorted(frame, BACKTEST_SORT)


def top_summaries(frame: pl.DataFrame, limit: int) -> pl.DataFrame:
    """Reference "top": the first max(4·limit, 50) rows in list order, re-sorted by
    (sharpe, roi, win_rate, sample_size) descending, then the first ``limit``."""
    pool = sort_summaries(frame).head(max(4 * limit, TOP_MIN_POOL))
    return _sorted(pool, BACKTEST_TOP_SORT).head(limit)
