"""Backtest summaries accumulated over time slices of outcomes (pure; the definitions of ``backtests``).

A year of outcomes does not fit the memory budget, so the ``signal_backtests`` asset reads them one
candle-time slice at a time, oldest first, and folds each slice into a small per-group state:

* counts, sums, minima and maxima add up;
* mean and variance of the returns merge with Chan et al.'s pairwise update (stable);
* the equity curve continues from the carried end value and running peak: the first return of a
  slice is added to the carried equity, so the cumulative sum is the same sequence of additions as
  one sum over the whole history, and the drawdown (equity − max(peak, 0)) is exactly the one
  :func:`iris_assets.signals.backtests.backtest_summaries` computes.

A lookback's curve starts at its own ``since``, so the caller keeps one state per lookback and slice
boundaries fall on every lookback's ``since``.
"""

from __future__ import annotations

import polars as pl

from iris_assets.signals.backtests import ZERO_VARIANCE

POOLED_KEYS = ("signal_type", "timeframe")
COIN_KEYS = ("signal_type", "timeframe", "coin_id")
STATE_SCHEMA: dict[str, pl.DataType] = {
    "n": pl.Int64(),
    "wins": pl.Int64(),
    "total": pl.Float64(),
    "mean": pl.Float64(),
    "m2": pl.Float64(),
    "worst": pl.Float64(),
    "confidence": pl.Float64(),
    "first": pl.Datetime("us", "UTC"),
    "last": pl.Datetime("us", "UTC"),
    "equity": pl.Float64(),
    "peak": pl.Float64(),
    "underwater": pl.Float64(),
}


def order_rows(rows: pl.DataFrame, pooled: bool) -> pl.DataFrame:
    """``rows`` (coin_id, timeframe, signal_type, candle_timestamp, confidence, result_return,
    result_drawdown) in equity-curve order for the pooled or per-coin scope: candle time, ties by coin."""
    order = [*POOLED_KEYS, "candle_timestamp", "coin_id"] if pooled else [*COIN_KEYS, "candle_timestamp"]
    return rows.sort(order)


def empty_state(keys: tuple[str, ...], key_schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """A state without groups."""
    return pl.DataFrame(schema={**{k: key_schema[k] for k in keys}, **STATE_SCHEMA})


def fold_slice(state: pl.DataFrame, ordered: pl.DataFrame, keys: tuple[str, ...]) -> pl.DataFrame:
    """``state`` (see :data:`STATE_SCHEMA`, one row per group ``keys``) after the slice ``ordered``
    (from :func:`order_rows`, every row later than the state's rows of its group)."""
    group = list(keys)
    # Rows are sorted by group: number the groups once so the running sums partition by one integer.
    starts = pl.any_horizontal(pl.col(k) != pl.col(k).shift(1) for k in group).fill_null(True)
    numbered = ordered.with_columns(starts.alias("_first")).with_columns(
        pl.col("_first").cum_sum().alias("_group"))
    carried = numbered.filter(pl.col("_first")).select(*group, "_group").join(
        state.select(*group, pl.col("equity").alias("_equity0"), pl.col("peak").alias("_peak0")), on=group,
        how="left").select("_group", "_equity0", "_peak0")
    returns = pl.col("result_return")
    curve = (
        numbered.join(carried, on="_group", how="left", maintain_order="left")
        # The slice's first return is added to the carried equity: the same additions as one cumulative sum.
        .with_columns(pl.when(pl.col("_first")).then(pl.col("_equity0").fill_null(0.0) + returns).otherwise(returns)
                      .alias("_step"))
        .with_columns(pl.col("_step").cum_sum().over("_group").alias("_equity"))
        .with_columns(pl.max_horizontal(pl.col("_equity").cum_max().over("_group"), pl.col("_peak0"))
                      .alias("_peak"))
    )
    slice_state = curve.group_by("_group").agg(
        *(pl.col(k).first() for k in group),
        pl.len().cast(pl.Int64).alias("n"),
        (returns > 0).sum().cast(pl.Int64).alias("wins"),
        returns.sum().alias("total"),
        returns.mean().alias("mean"),
        (returns.var(ddof=0) * pl.len()).alias("m2"),
        pl.col("result_drawdown").min().alias("worst"),
        pl.col("confidence").sum().alias("confidence"),
        pl.col("candle_timestamp").min().alias("first"),
        pl.col("candle_timestamp").max().alias("last"),
        pl.col("_equity").last().alias("equity"),
        pl.col("_peak").last().alias("peak"),
        (pl.col("_equity") - pl.col("_peak").clip(lower_bound=0.0)).min().alias("underwater"),
    ).drop("_group")
    return merge_states(state, slice_state, keys)


def merge_states(older: pl.DataFrame, newer: pl.DataFrame, keys: tuple[str, ...]) -> pl.DataFrame:
    """Combine the states of an earlier and a later stretch of time, group by group."""
    group = list(keys)
    both = older.join(newer, on=group, how="full", coalesce=True, suffix="_b")
    a, b = pl.col, lambda c: pl.col(f"{c}_b")
    n_a, n_b = a("n").fill_null(0), b("n").fill_null(0)
    n = n_a + n_b
    delta = b("mean").fill_null(0.0) - a("mean").fill_null(0.0)
    mean = (pl.when(n_b == 0).then(a("mean")).when(n_a == 0).then(b("mean"))
            .otherwise(a("mean") + delta * n_b.cast(pl.Float64) / n.cast(pl.Float64)))
    m2 = (pl.when(n_b == 0).then(a("m2")).when(n_a == 0).then(b("m2"))
          .otherwise(a("m2") + b("m2") + delta * delta * (n_a * n_b).cast(pl.Float64) / n.cast(pl.Float64)))
    return both.select(
        *group,
        n.alias("n"),
        (a("wins").fill_null(0) + b("wins").fill_null(0)).alias("wins"),
        pl.when(n_b == 0).then(a("total")).when(n_a == 0).then(b("total"))
        .otherwise(a("total") + b("total")).alias("total"),
        mean.alias("mean"),
        m2.alias("m2"),
        pl.min_horizontal(a("worst"), b("worst")).alias("worst"),
        pl.when(n_b == 0).then(a("confidence")).when(n_a == 0).then(b("confidence"))
        .otherwise(a("confidence") + b("confidence")).alias("confidence"),
        pl.min_horizontal(a("first"), b("first")).alias("first"),
        pl.max_horizontal(a("last"), b("last")).alias("last"),
        # the later stretch's curve already continues the earlier one
        pl.when(n_b == 0).then(a("equity")).otherwise(b("equity")).alias("equity"),
        pl.when(n_b == 0).then(a("peak")).otherwise(b("peak")).alias("peak"),
        pl.min_horizontal(a("underwater"), b("underwater")).alias("underwater"),
    )


def summaries_from_states(pooled: pl.DataFrame, per_coin: pl.DataFrame) -> pl.DataFrame:
    """Backtest rows (the columns of ``backtest_summaries`` but lookback_days and sharpe_annualized)
    from the pooled and per-coin states of one lookback."""
    coins = per_coin.group_by(list(POOLED_KEYS)).agg(pl.len().cast(pl.Int64).alias("coin_count"))
    pooled_rows = pooled.join(coins, on=list(POOLED_KEYS), how="left").with_columns(
        pl.lit(None, dtype=per_coin.schema["coin_id"]).alias("coin_id"))
    frames = [pooled_rows, per_coin.with_columns(pl.lit(1, dtype=pl.Int64).alias("coin_count"))]
    n = pl.col("n").cast(pl.Float64)
    spread = (pl.col("m2") / n).sqrt()
    average = pl.col("total") / n
    return pl.concat([frame.select(
        "coin_id", *POOLED_KEYS,
        pl.col("n").alias("sample_size"),
        "coin_count",
        (pl.col("wins").cast(pl.Float64) / n).alias("win_rate"),
        pl.col("total").alias("roi"),
        average.alias("avg_return"),
        pl.when((pl.col("n") >= 2) & (spread > ZERO_VARIANCE)).then(average / spread).otherwise(0.0)
        .cast(pl.Float64).alias("sharpe_ratio"),
        pl.col("worst").alias("max_drawdown"),
        pl.col("underwater").clip(upper_bound=0.0).alias("equity_drawdown"),
        (pl.col("confidence") / n).alias("avg_confidence"),
        pl.col("first").alias("first_signal_at"),
        pl.col("last").alias("last_signal_at"),
    ) for frame in frames])
