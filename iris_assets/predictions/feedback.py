"""The relation feedback ledger (DECISIONS.md 22; amounts from spec §3.6).

Every decided prediction appends one row: +0.04 when confirmed, −0.05 when failed. Predictions
that expired for lack of data say nothing about the relation and add no row (the reference
charged them as failures). The ledger is applied *on top of* freshly recomputed relations, so a
recompute no longer erases what predictions taught: effective confidence =
clamp(recomputed + Σ adjustments, 0.05, 0.99), on active relations only (inactive ones stay 0).
"""

from __future__ import annotations

import polars as pl

from iris_assets.predictions.config import STATUS_CONFIRMED, STATUS_FAILED, PredictionConfig

FEEDBACK_KEY = ("leader_coin_id", "follower_coin_id", "timeframe")
FEEDBACK_COLUMNS = ("prediction_id", *FEEDBACK_KEY, "status", "adjustment", "created_at")


def feedback_rows(outcomes: pl.DataFrame, predictions: pl.DataFrame,
                  config: PredictionConfig | None = None) -> pl.DataFrame:
    """Ledger rows (:data:`FEEDBACK_COLUMNS`) for ``outcomes`` of ``predictions`` (joined on prediction_id)."""
    config = config or PredictionConfig()
    decided = outcomes.filter(pl.col("status").is_in([STATUS_CONFIRMED, STATUS_FAILED]))
    return decided.join(predictions.select("prediction_id", *FEEDBACK_KEY), on="prediction_id", how="inner").select(
        "prediction_id", *FEEDBACK_KEY, "status",
        pl.when(pl.col("status") == STATUS_CONFIRMED).then(config.feedback_success)
        .otherwise(config.feedback_failure).alias("adjustment"),
        pl.col("evaluated_at").alias("created_at"),
    )


def apply_feedback(relations: pl.DataFrame, ledger: pl.DataFrame,
                   config: PredictionConfig | None = None) -> pl.DataFrame:
    """``relations`` with the ledger applied: ``confidence`` becomes the effective confidence, and
    ``base_confidence`` (as recomputed) and ``feedback_adjustment`` (the ledger sum) are added.

    A prediction counts once even if its row was appended twice (keyed on prediction_id).
    """
    config = config or PredictionConfig()
    totals = (
        ledger.unique("prediction_id", keep="first")
        .group_by(*FEEDBACK_KEY).agg(pl.col("adjustment").sum().alias("feedback_adjustment"))
        .cast({"leader_coin_id": pl.Int32, "follower_coin_id": pl.Int32, "timeframe": pl.Int16})
    )
    joined = relations.join(totals, on=list(FEEDBACK_KEY), how="left", maintain_order="left").with_columns(
        pl.col("feedback_adjustment").fill_null(0.0), pl.col("confidence").alias("base_confidence"))
    effective = (pl.col("base_confidence") + pl.col("feedback_adjustment")).clip(config.feedback_floor,
                                                                                  config.feedback_cap)
    return joined.with_columns(pl.when(pl.col("active")).then(effective).otherwise(pl.col("base_confidence"))
                               .alias("confidence"))
