"""Write side of the predictions domain."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import polars as pl
from sqlalchemy import Connection, bindparam, delete, insert, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from iris_resources.db.persistence_log import log_repo
from iris_resources.predictions.tables import market_predictions, relation_feedback

_OUTCOME = ("status", "reason", "success", "actual_move", "realized_return", "profit", "candles_used",
            "decided_candle", "evaluated_at")


class PredictionRepository:
    """Predictions, their outcomes, and the feedback ledger."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def replace_created(self, leader_ids: Sequence[int], start: datetime, end: datetime,
                        frame: pl.DataFrame) -> list[int]:
        """Replace predictions of ``leader_ids`` created in ``[start, end)`` (and their feedback)."""
        stale = market_predictions.c.leader_coin_id.in_(list(leader_ids)) & (
            market_predictions.c.created_at >= start) & (market_predictions.c.created_at < end)
        self._connection.execute(delete(relation_feedback).where(relation_feedback.c.prediction_id.in_(
            market_predictions.select().with_only_columns(market_predictions.c.id).where(stale))))
        self._connection.execute(delete(market_predictions).where(stale))
        if frame.is_empty():
            return []
        ids = [int(i) for i in self._connection.execute(
            insert(market_predictions).returning(market_predictions.c.id, sort_by_parameter_order=True),
            frame.to_dicts()).scalars()]
        log_repo("predictions", "replace_created", mode="write", count=len(ids))
        return ids

    def record_outcomes(self, outcomes: pl.DataFrame) -> int:
        """Write decided outcomes onto their predictions (only rows still pending change)."""
        if outcomes.is_empty():
            return 0
        statement = (
            update(market_predictions)
            .where(market_predictions.c.id == bindparam("prediction_id"), market_predictions.c.status == "pending")
            .values({c: bindparam(f"v_{c}") for c in _OUTCOME})
        )
        rows = [{"prediction_id": r["prediction_id"], **{f"v_{c}": r[c] for c in _OUTCOME}}
                for r in outcomes.to_dicts()]
        self._connection.execute(statement, rows)
        log_repo("predictions", "record_outcomes", mode="write", count=len(rows))
        return len(rows)

    def append_feedback(self, rows: pl.DataFrame) -> int:
        """Append ledger rows; a prediction contributes once (keyed on prediction_id)."""
        if rows.is_empty():
            return 0
        self._connection.execute(pg_insert(relation_feedback).on_conflict_do_nothing(
            index_elements=["prediction_id"]), rows.to_dicts())
        log_repo("predictions", "append_feedback", mode="write", count=rows.height)
        return rows.height
