"""``prediction_outcomes`` and ``prediction_quality``: scoring predictions as their windows close."""

from datetime import UTC, datetime, timedelta

import dagster as dg
import polars as pl

from iris_assets.cross_market.assets.relations import RELATION_TIMEFRAME
from iris_assets.predictions import evaluate_predictions, feedback_rows, quality_report
from iris_resources.db.resources import TransactionResource
from iris_resources.market_data.queries import MarketDataQueries
from iris_resources.predictions.queries import PredictionQueries

GRACE = timedelta(minutes=RELATION_TIMEFRAME)
OUTCOME_CHECKS = [dg.AssetCheckSpec(
    "none_pending_past_deadline", asset="prediction_outcomes", blocking=True,
    description="No prediction is still pending after its deadline plus grace (expired/no_data instead).")]


@dg.asset(group_name="predictions", kinds={"postgres", "polars"}, deps=["market_predictions", "candle_aggregates"],
          check_specs=OUTCOME_CHECKS,
          automation_condition=dg.AutomationCondition.eager())
def prediction_outcomes(context: dg.AssetExecutionContext, transaction: TransactionResource) -> dg.MaterializeResult:
    """Confirmed / failed / expired (``no_data``) outcomes of pending predictions, evaluated on the
    relation's timeframe candles strictly after creation, up to the newest closed candle; decided
    predictions add a row to the relation feedback ledger; each outcome is announced as its own event.
    """
    with transaction.begin() as uow:
        market = MarketDataQueries(uow.connection)
        newest = market.latest_candle_timestamp(15)
        now = newest + timedelta(minutes=15) if newest else datetime.now(UTC)
        pending = PredictionQueries(uow.connection).pending()
        outcomes = pl.DataFrame()
        if not pending.is_empty():
            followers = pending.get_column("follower_coin_id").unique().to_list()
            coins = market.coin_frame().filter(pl.col("coin_id").is_in(followers))
            first = pending.get_column("created_at").min()
            assert isinstance(first, datetime)
            candles = market.closed_candles(coins, RELATION_TIMEFRAME, first, now).select(
                "coin_id", pl.lit(RELATION_TIMEFRAME, dtype=pl.Int16).alias("timeframe"), "timestamp", "high", "low",
                "close")
            outcomes = evaluate_predictions(pending, candles, now)
            uow.predictions.record_outcomes(outcomes)
            uow.predictions.append_feedback(feedback_rows(outcomes, pending))
            decided = outcomes.join(pending.select("prediction_id", "follower_coin_id", "timeframe", "deadline"),
                                    on="prediction_id")
            for status in ("confirmed", "failed", "expired"):
                uow.events.extend(f"prediction_{status}", [
                    {"coin_id": r["follower_coin_id"], "timeframe": r["timeframe"], "timestamp": r["decided_candle"],
                     "payload": {"prediction_id": r["prediction_id"], "reason": r["reason"],
                                 "actual_move": r["actual_move"], "profit": r["profit"]}}
                    for r in decided.filter(pl.col("status") == status).to_dicts()])
        overdue = PredictionQueries(uow.connection).overdue(now, GRACE)
        counts = PredictionQueries(uow.connection).status_counts()
        uow.commit()
    return dg.MaterializeResult(
        metadata={"dagster/row_count": outcomes.height, "evaluated_at": str(now),
                  "by_status": dg.MetadataValue.json(counts)},
        check_results=[dg.AssetCheckResult(check_name="none_pending_past_deadline", asset_key="prediction_outcomes",
                                           passed=overdue == 0, metadata={"overdue": overdue})],
    )


@dg.asset(group_name="predictions", kinds={"postgres"}, deps=["prediction_outcomes"],
          automation_condition=dg.AutomationCondition.eager())
def prediction_quality(context: dg.AssetExecutionContext, transaction: TransactionResource) -> dg.MaterializeResult:
    """Hit rate, information coefficient and rank IC per relation, per timeframe and overall."""
    with transaction.begin() as uow:
        decided = PredictionQueries(uow.connection).decided()
        report = quality_report(decided) if not decided.is_empty() else {}
        payload = {name: frame.to_dicts() for name, frame in report.items()}
        uow.indicators.save_projection("prediction_quality", payload, datetime.now(UTC), None, context.run_id)
        uow.commit()
    overall = payload.get("overall", [{}])[0] if payload.get("overall") else {}
    return dg.MaterializeResult(metadata={
        "decided": decided.height, **{k: dg.MetadataValue.float(float(v)) for k, v in overall.items()
                                      if isinstance(v, int | float) and v is not None}})
