"""Pure prediction engine: creation from leader moves, window evaluation, feedback ledger, quality.

No I/O: Polars frames in, Polars frames out; the store assigns prediction ids.
"""

from iris_assets.predictions.config import (
    EVENT_BREAKDOWN,
    EVENT_BREAKOUT,
    PREDICTION_TYPE,
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
from iris_assets.predictions.creation import PREDICTION_COLUMNS, PREDICTION_KEY, create_predictions
from iris_assets.predictions.evaluation import OUTCOME_COLUMNS, evaluate_predictions
from iris_assets.predictions.feedback import FEEDBACK_COLUMNS, apply_feedback, feedback_rows
from iris_assets.predictions.quality import prediction_quality, quality_report

__all__ = [
    "EVENT_BREAKDOWN",
    "EVENT_BREAKOUT",
    "FEEDBACK_COLUMNS",
    "OUTCOME_COLUMNS",
    "PREDICTION_COLUMNS",
    "PREDICTION_KEY",
    "PREDICTION_TYPE",
    "REASON_NO_DATA",
    "REASON_OPPOSITE_MOVE",
    "REASON_TARGET_NOT_REACHED",
    "REASON_TARGET_REACHED",
    "STATUS_CONFIRMED",
    "STATUS_EXPIRED",
    "STATUS_FAILED",
    "STATUS_PENDING",
    "PredictionConfig",
    "apply_feedback",
    "create_predictions",
    "evaluate_predictions",
    "feedback_rows",
    "prediction_quality",
    "quality_report",
]
