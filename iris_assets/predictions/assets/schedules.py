"""Prediction evaluation runs on a schedule as well as after new candles (automation condition)."""

import dagster as dg

from iris_assets.run_tags import group_tag

prediction_evaluation_job = dg.define_asset_job(
    "prediction_evaluation_job",
    selection=dg.AssetSelection.assets("prediction_outcomes", "prediction_quality"),
    description="Score pending predictions whose windows closed, then refresh prediction quality.",
    tags=group_tag("predictions"),
)

prediction_evaluation_schedule = dg.ScheduleDefinition(
    name="prediction_evaluation_schedule",
    job=prediction_evaluation_job,
    cron_schedule="*/15 * * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every 15 minutes: nothing stays pending past its deadline plus grace.",
)
