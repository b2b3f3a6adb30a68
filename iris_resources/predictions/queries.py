"""Read side of the predictions domain (frames for the engines and checks)."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
from sqlalchemy import Connection, func, select

from iris_resources.db.persistence_log import log_query
from iris_resources.indicators.queries import read_frame
from iris_resources.predictions.tables import market_predictions

_UTC = pl.Datetime("us", "UTC")
_OUTCOME_COLUMNS = ("reason", "success", "actual_move", "realized_return", "profit", "candles_used", "decided_candle",
                    "evaluated_at")
# The engines' dtypes (ids Int32, timeframe/bar counts Int16); the database hands back Int64.
_SCHEMA: dict[str, pl.DataType] = {
    "leader_coin_id": pl.Int32(), "follower_coin_id": pl.Int32(), "timeframe": pl.Int16(), "lag_bars": pl.Int16(),
    "window_bars": pl.Int16(), "created_at": _UTC, "deadline": _UTC, "reason": pl.String(),
    "realized_return": pl.Float64(), "actual_move": pl.Float64(), "profit": pl.Float64(),
}


class PredictionQueries:
    """Pending and decided predictions."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def pending(self) -> pl.DataFrame:
        """Every pending prediction with the columns the evaluation needs."""
        # Creation columns only: the outcome columns are what the evaluation computes.
        creation = [c for c in market_predictions.c if c.name != "id" and c.name not in _OUTCOME_COLUMNS]
        frame = read_frame(self._connection, select(market_predictions.c.id.label("prediction_id"), *creation)
                           .where(market_predictions.c.status == "pending"), _SCHEMA)
        log_query("predictions", "pending", count=frame.height)
        return frame

    def pending_keys(self, before: datetime) -> pl.DataFrame:
        """Keys of predictions created before ``before`` that are still pending (block duplicates)."""
        return read_frame(self._connection, select(
            market_predictions.c.leader_coin_id, market_predictions.c.follower_coin_id, market_predictions.c.timeframe,
            market_predictions.c.status).where(market_predictions.c.status == "pending",
                                               market_predictions.c.created_at < before))

    def decided(self) -> pl.DataFrame:
        """Every decided prediction (quality metrics)."""
        frame = read_frame(self._connection, select(market_predictions).where(
            market_predictions.c.status != "pending"), _SCHEMA)
        log_query("predictions", "decided", count=frame.height)
        return frame

    def overdue(self, now: datetime, grace: timedelta) -> int:
        """Predictions still pending after deadline + grace (should be 0)."""
        return int(self._connection.execute(select(func.count()).where(
            market_predictions.c.status == "pending", market_predictions.c.deadline + grace < now)).scalar_one())

    def status_counts(self) -> dict[str, int]:
        """Predictions per status."""
        rows = self._connection.execute(select(market_predictions.c.status, func.count())
                                        .group_by(market_predictions.c.status))
        return {status: int(count) for status, count in rows}
