"""Prediction quality the way quant research scores signals (DECISIONS.md 23).

* hit rate = confirmed / (confirmed + failed) — expired-for-no-data predictions are not a verdict
  on the model and are only counted;
* information coefficient (IC) = Pearson correlation of the predicted signed magnitude (+m for
  up, −m for down) with the realised return, over confirmed and failed predictions;
* rank IC = Spearman correlation of the same pair (Pearson of average ranks, so ties share ranks).

IC and rank IC are null with fewer than 3 scored predictions or when either side is constant.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from iris_assets.predictions.config import STATUS_CONFIRMED, STATUS_EXPIRED, STATUS_FAILED

QUALITY_INPUT_COLUMNS = ("status", "expected_move", "expected_magnitude", "realized_return")
RELATION_LEVEL = ("leader_coin_id", "follower_coin_id", "timeframe")
MIN_IC_POINTS = 3


def _metrics() -> list[pl.Expr]:
    status = pl.col("status")
    scored = status.is_in([STATUS_CONFIRMED, STATUS_FAILED]) & pl.col("realized_return").is_not_null()
    predicted = (pl.when(pl.col("expected_move") == "up").then(1.0).otherwise(-1.0)
                 * pl.col("expected_magnitude")).filter(scored)
    realised = pl.col("realized_return").filter(scored)
    confirmed = (status == STATUS_CONFIRMED).sum()
    failed = (status == STATUS_FAILED).sum()
    n_scored = scored.sum()
    enough = n_scored >= MIN_IC_POINTS
    # pl.corr gives NaN for a constant side: report that as "no IC" (null), not as a number.
    ic = pl.corr(predicted, realised).fill_nan(None)
    rank_ic = pl.corr(predicted.rank("average"), realised.rank("average")).fill_nan(None)
    return [
        pl.len().cast(pl.Int32).alias("predictions"),
        confirmed.cast(pl.Int32).alias("confirmed"),
        failed.cast(pl.Int32).alias("failed"),
        (status == STATUS_EXPIRED).sum().cast(pl.Int32).alias("expired"),
        pl.when(confirmed + failed > 0).then(confirmed / (confirmed + failed)).alias("hit_rate"),
        n_scored.cast(pl.Int32).alias("scored"),
        pl.when(enough).then(ic).alias("ic"),
        pl.when(enough).then(rank_ic).alias("rank_ic"),
    ]


def prediction_quality(outcomes: pl.DataFrame, by: Sequence[str] = ()) -> pl.DataFrame:
    """Hit rate, IC and rank IC per ``by`` group (overall when empty).

    ``outcomes``: one row per decided prediction with :data:`QUALITY_INPUT_COLUMNS` and the ``by``
    columns (predictions joined with their outcomes). Pending rows are ignored.
    """
    decided = outcomes.filter(pl.col("status").is_in([STATUS_CONFIRMED, STATUS_FAILED, STATUS_EXPIRED]))
    if not by:
        return decided.select(_metrics())
    return decided.group_by(*by).agg(_metrics()).sort(list(by))


def quality_report(outcomes: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """:func:`prediction_quality` per relation, per timeframe and overall."""
    return {
        "relation": prediction_quality(outcomes, RELATION_LEVEL),
        "timeframe": prediction_quality(outcomes, ("timeframe",)),
        "overall": prediction_quality(outcomes),
    }
