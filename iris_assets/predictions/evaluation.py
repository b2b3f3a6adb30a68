"""Prediction evaluation on the relation timeframe's candles (spec §3.4, DECISIONS.md 21).

Only candles lying wholly after creation and opening before the deadline count, and only once
closed (close time ≤ now), so a backtest cannot peek. Rules, in order:

* **confirmed** (``target_reached``) as soon as a candle's high (up) or low (down) reaches the target
  price — early confirmation allowed, as in the reference;
* once the window is complete (its last candle has closed) or ``deadline + grace`` has passed:
  **failed** with ``opposite_move`` when the last close is beyond the threshold the wrong way (the
  reference's failure rule), or ``target_not_reached`` otherwise (the reference called this
  "expired"); **expired** with ``no_data`` when not a single candle arrived;
* otherwise the prediction stays pending (it is not in the output).

``actual_move``: the extreme that confirmed (max high or min low vs entry) or the last close's move;
``realized_return``: last close of the candles used vs entry (for confirmed ones, the confirming
candle's close), the quantity the information coefficient is scored against; ``profit``: the
move in the predicted direction.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl

from iris_assets.predictions.config import (
    REASON_NO_DATA,
    REASON_OPPOSITE_MOVE,
    REASON_TARGET_NOT_REACHED,
    REASON_TARGET_REACHED,
    STATUS_CONFIRMED,
    STATUS_EXPIRED,
    STATUS_FAILED,
    STATUS_PENDING,
    PredictionConfig,
)
from iris_assets.predictions.windows import bar_us, utc, window_start_us

OUTCOME_COLUMNS = ("prediction_id", "status", "reason", "success", "actual_move", "realized_return", "profit",
                   "candles_used", "decided_candle", "evaluated_at")
_EPSILON = 1e-12  # a move of exactly the threshold counts despite binary rounding of the target


def _window_candles(predictions: pl.DataFrame, candles: pl.DataFrame, now_us: int) -> pl.DataFrame:
    """Each pending prediction's closed window candles up to and including the first that hit."""
    keyed = candles.select(
        pl.col("coin_id").cast(pl.Int32).alias("follower_coin_id"), pl.col("timeframe").cast(pl.Int16),
        pl.col("timestamp").dt.epoch("us").alias("_ts"), "high", "low", "close",
    )
    joined = predictions.select("prediction_id", "follower_coin_id", "timeframe", "expected_move", "target_price",
                                "_start", "_end", "_step").join(keyed, on=["follower_coin_id", "timeframe"])
    inside = joined.filter(
        (pl.col("_ts") >= pl.col("_start")) & (pl.col("_ts") < pl.col("_end"))
        & (pl.col("_ts") + pl.col("_step") <= now_us)
    ).with_columns(
        pl.when(pl.col("expected_move") == "up")
        .then(pl.col("high") >= pl.col("target_price") * (1 - _EPSILON))
        .otherwise(pl.col("low") <= pl.col("target_price") * (1 + _EPSILON)).alias("_hit")
    )
    first_hit = inside.filter(pl.col("_hit")).group_by("prediction_id").agg(pl.col("_ts").min().alias("_hit_ts"))
    return inside.join(first_hit, on="prediction_id", how="left").filter(
        pl.col("_hit_ts").is_null() | (pl.col("_ts") <= pl.col("_hit_ts")))


def evaluate_predictions(predictions: pl.DataFrame, candles: pl.DataFrame, now: datetime,
                         config: PredictionConfig | None = None) -> pl.DataFrame:
    """Outcomes (:data:`OUTCOME_COLUMNS`) of the pending ``predictions`` that can be decided at ``now``.

    ``predictions``: prediction_id plus the creation columns (follower_coin_id, timeframe,
    expected_move, entry_price, target_price, success_threshold, created_at, deadline, status).
    ``candles``: coin_id, timeframe, timestamp (bar open), high, low, close — the followers'
    candles on the relation timeframes; others are ignored.
    """
    config = config or PredictionConfig()
    now_us = (now.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    pending = predictions.filter(pl.col("status") == STATUS_PENDING).with_columns(
        window_start_us(pl.col("created_at"), pl.col("timeframe")).alias("_start"),
        pl.col("deadline").dt.epoch("us").alias("_end"),
        bar_us(pl.col("timeframe")).alias("_step"),
    )
    used = _window_candles(pending, candles, now_us).sort("prediction_id", "_ts").group_by("prediction_id").agg(
        pl.len().cast(pl.Int32).alias("candles_used"), pl.col("_ts").last().alias("_last_ts"),
        pl.col("close").last().alias("_last_close"), pl.col("high").max().alias("_max_high"),
        pl.col("low").min().alias("_min_low"), pl.col("_hit_ts").first(),
    )
    rows = pending.join(used, on="prediction_id", how="left").with_columns(pl.col("candles_used").fill_null(0))
    up = pl.col("expected_move") == "up"
    sign = pl.when(up).then(1.0).otherwise(-1.0)
    entry = pl.col("entry_price")
    last_move = pl.col("_last_close") / entry - 1.0
    confirmed = pl.col("_hit_ts").is_not_null()
    no_data = pl.col("candles_used") == 0
    complete = (pl.col("_last_ts") == pl.col("_end") - pl.col("_step")).fill_null(False) | (
        pl.lit(now_us) >= pl.col("_end") + config.grace_bars * pl.col("_step"))
    extreme_move = pl.when(up).then(pl.col("_max_high")).otherwise(pl.col("_min_low")) / entry - 1.0
    actual = pl.when(confirmed).then(extreme_move).when(no_data).then(None).otherwise(last_move)
    return rows.filter(confirmed | complete).select(
        "prediction_id",
        pl.when(confirmed).then(pl.lit(STATUS_CONFIRMED)).when(no_data).then(pl.lit(STATUS_EXPIRED))
        .otherwise(pl.lit(STATUS_FAILED)).alias("status"),
        pl.when(confirmed).then(pl.lit(REASON_TARGET_REACHED)).when(no_data).then(pl.lit(REASON_NO_DATA))
        .when(sign * last_move <= -pl.col("success_threshold") + _EPSILON).then(pl.lit(REASON_OPPOSITE_MOVE))
        .otherwise(pl.lit(REASON_TARGET_NOT_REACHED)).alias("reason"),
        confirmed.alias("success"),
        actual.alias("actual_move"),
        pl.when(no_data).then(None).otherwise(last_move).alias("realized_return"),
        (sign * actual).alias("profit"),
        "candles_used",
        utc(pl.when(confirmed).then(pl.col("_hit_ts")).otherwise(pl.col("_last_ts"))).alias("decided_candle"),
        pl.lit(now.astimezone(UTC)).dt.cast_time_unit("us").alias("evaluated_at"),
    )
