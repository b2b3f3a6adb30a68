"""Prediction creation from leader moves (spec §3.1–3.2, DECISIONS.md 21).

For each leader move, the leader's active relations with confidence ≥ 0.5 (best 8 per relation
timeframe by confidence, then |ρ|) each yield one claim about the follower:

* direction = leader direction × sign(ρ), so an inverse relation predicts the opposite move;
* expected magnitude = |ρ| × |leader move| (the standardised regression of follower on leader);
* target price = entry × (1 ± success threshold of the timeframe); reaching it confirms;
* window = max(lag_bars, 1) bars of the relation timeframe, starting at the first bar wholly after
  creation; ``deadline`` is the window's end (the close time of its last bar);
* confidence = clamp(leader confidence × max(relation confidence, 0.55), 0.35, 0.98).

No duplicates: a (leader, follower, timeframe) with a pending prediction gets no new one, and a
batch creates at most one per key (its earliest move).
"""

from __future__ import annotations

import polars as pl

from iris_assets.predictions.config import (
    EVENT_BREAKDOWN,
    EVENT_BREAKOUT,
    PREDICTION_TYPE,
    STATUS_PENDING,
    PredictionConfig,
)
from iris_assets.predictions.windows import bar_us, utc, window_start_us

PREDICTION_KEY = ("leader_coin_id", "follower_coin_id", "timeframe")
PREDICTION_COLUMNS = (
    "prediction_type", "leader_coin_id", "follower_coin_id", "timeframe", "prediction_event", "expected_move",
    "expected_magnitude", "entry_price", "target_price", "success_threshold", "lag_bars", "window_bars",
    "confidence", "relation_confidence", "relation_correlation", "created_at", "deadline", "status",
)


def _candidates(leader_moves: pl.DataFrame, relations: pl.DataFrame, prices: pl.DataFrame,
                config: PredictionConfig) -> pl.DataFrame:
    """Usable relations of each move's leader, priced followers only, best ``max_followers`` per timeframe."""
    if not set(leader_moves.get_column("direction").unique().to_list()) <= {"up", "down"}:
        raise ValueError("leader move direction must be 'up' or 'down'")
    usable = relations.filter(pl.col("active") & (pl.col("confidence") >= config.min_relation_confidence)).select(
        *PREDICTION_KEY, "lag_bars",
        pl.col("correlation").alias("relation_correlation"), pl.col("confidence").alias("relation_confidence"),
    )
    moves = leader_moves.with_row_index("_move").select(
        "_move", "leader_coin_id", "direction", "move_pct", "created_at", pl.col("confidence").alias("base_confidence"))
    entry = prices.select(pl.col("coin_id").cast(pl.Int32).alias("follower_coin_id"),
                          pl.col("price").alias("entry_price")).filter(pl.col("entry_price") > 0)
    return (
        moves.join(usable, on="leader_coin_id", how="inner")
        .join(entry, on="follower_coin_id", how="inner")  # unpriced followers do not take a slot
        .sort(["_move", "timeframe", "relation_confidence", pl.col("relation_correlation").abs(), "follower_coin_id"],
              descending=[False, False, True, True, False])
        .group_by("_move", "timeframe", maintain_order=True).head(config.max_followers)
    )


def create_predictions(leader_moves: pl.DataFrame, relations: pl.DataFrame, prices: pl.DataFrame,
                       pending: pl.DataFrame | None = None, config: PredictionConfig | None = None) -> pl.DataFrame:
    """New pending predictions (:data:`PREDICTION_COLUMNS`; the store assigns ids).

    ``leader_moves``: leader_coin_id, direction (up/down), confidence (the leader's), move_pct
    (its 24 h change in percent), created_at (UTC). ``relations``: relation rows with feedback
    already applied. ``prices``: coin_id, price — each follower's latest close at creation, the
    entry price; followers without one are skipped. ``pending``: leader_coin_id, follower_coin_id,
    timeframe (and optionally status) of stored predictions that block new ones while pending.
    """
    config = config or PredictionConfig()
    rows = _candidates(leader_moves, relations, prices, config)
    if pending is not None and not pending.is_empty():
        blocking = pending.filter(pl.col("status") == STATUS_PENDING) if "status" in pending.columns else pending
        rows = rows.join(blocking.select(*PREDICTION_KEY).cast(rows.select(PREDICTION_KEY).schema),
                         on=list(PREDICTION_KEY), how="anti")
    rows = rows.sort("created_at", "_move").unique(list(PREDICTION_KEY), keep="first", maintain_order=True)
    leader_up = pl.col("direction") == "up"
    follower_up = leader_up == (pl.col("relation_correlation") > 0)
    thresholds = {int(tf): float(value) for tf, value in config.success_thresholds.items()}
    threshold = pl.col("timeframe").cast(pl.Int64).replace_strict(
        thresholds, default=config.default_success_threshold, return_dtype=pl.Float64)
    window_bars = pl.max_horizontal(pl.col("lag_bars"), pl.lit(1)).cast(pl.Int16)
    sign = pl.when(follower_up).then(1.0).otherwise(-1.0)
    return rows.with_columns(threshold.alias("success_threshold"), window_bars.alias("window_bars")).select(
        pl.lit(PREDICTION_TYPE).alias("prediction_type"),
        *PREDICTION_KEY,
        pl.when(leader_up).then(pl.lit(EVENT_BREAKOUT)).otherwise(pl.lit(EVENT_BREAKDOWN)).alias("prediction_event"),
        pl.when(follower_up).then(pl.lit("up")).otherwise(pl.lit("down")).alias("expected_move"),
        (pl.col("relation_correlation").abs() * pl.col("move_pct").abs() / 100.0).alias("expected_magnitude"),
        "entry_price",
        (pl.col("entry_price") * (1.0 + sign * pl.col("success_threshold"))).alias("target_price"),
        "success_threshold",
        "lag_bars",
        "window_bars",
        (pl.col("base_confidence") * pl.max_horizontal(pl.col("relation_confidence"),
                                                       pl.lit(config.relation_confidence_floor)))
        .clip(config.confidence_floor, config.confidence_cap).alias("confidence"),
        "relation_confidence",
        "relation_correlation",
        "created_at",
        utc(window_start_us(pl.col("created_at"), pl.col("timeframe"))
            + pl.col("window_bars").cast(pl.Int64) * bar_us(pl.col("timeframe"))).alias("deadline"),
        pl.lit(STATUS_PENDING).alias("status"),
    )
