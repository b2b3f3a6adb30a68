"""Query service of the read API for predictions: one statement per call, never writes.

Lists go newest first on the ``created_at`` index (keyset ``(created_at, id)``); a prediction whose
leader or target coin is deleted is not served.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Float, Select, Text, bindparam, cast, func, or_, select, tuple_

from iris_resources.db.persistence_log import log_query
from iris_resources.indicators.tables import projections
from iris_resources.market_data.tables import coins
from iris_resources.predictions.api_read_models import PredictionRow, QualityRead
from iris_resources.predictions.tables import market_predictions

QUALITY = "prediction_quality"
STATUSES = ("pending", "confirmed", "failed", "expired")
_p = market_predictions
_leader, _target = coins.alias("leader"), coins.alias("target")
_LAG_HOURS = cast(_p.c.lag_bars, Float) * _p.c.timeframe / 60.0
_PREDICTION = (
    select(_p.c.id, _p.c.prediction_type, _p.c.leader_coin_id, _leader.c.symbol, _p.c.follower_coin_id,
           _target.c.symbol, _p.c.timeframe, _p.c.prediction_event, _p.c.expected_move, _p.c.expected_magnitude,
           _p.c.entry_price, _p.c.target_price, _p.c.success_threshold, _p.c.lag_bars, _LAG_HOURS, _p.c.window_bars,
           _p.c.confidence, _p.c.relation_confidence, _p.c.relation_correlation, _p.c.created_at, _p.c.deadline,
           _p.c.deadline, _p.c.status, _p.c.reason, _p.c.success, _p.c.actual_move, _p.c.realized_return,
           _p.c.profit, _p.c.candles_used, _p.c.decided_candle, _p.c.evaluated_at)
    .join(_leader, _leader.c.id == _p.c.leader_coin_id)
    .join(_target, _target.c.id == _p.c.follower_coin_id)
    .where(_leader.c.deleted_at.is_(None), _target.c.deleted_at.is_(None))
)
_GET_PREDICTION = _PREDICTION.where(_p.c.id == bindparam("prediction_id"))
_SYMBOLS = select(func.coalesce(func.jsonb_object_agg(coins.c.id, coins.c.symbol), func.jsonb_build_object()))
_QUALITY = select(projections.c.generated_at, projections.c.source_timestamp, projections.c.run_id,
                  cast(projections.c.payload, Text), cast(_SYMBOLS.scalar_subquery(), Text)).where(
    projections.c.name == QUALITY)


@lru_cache(maxsize=32)
def _predictions(after: bool, status: bool, symbol: bool, timeframe: bool) -> Select:
    statement = _PREDICTION.order_by(_p.c.created_at.desc(), _p.c.id.desc()).limit(bindparam("limit"))
    if after:
        statement = statement.where(_p.c.created_at <= bindparam("after_ts"), tuple_(_p.c.created_at, _p.c.id)
                                    < tuple_(bindparam("after_ts"), bindparam("after_id")))
    if status:
        statement = statement.where(_p.c.status == bindparam("status"))
    if symbol:
        statement = statement.where(or_(_leader.c.symbol == bindparam("symbol"),
                                        _target.c.symbol == bindparam("symbol")))
    if timeframe:
        statement = statement.where(_p.c.timeframe == bindparam("timeframe"))
    return statement


class PredictionReadQueries:
    """Predictions (newest first, or by id) and the materialized quality scores."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def predictions(self, *, limit: int, after: Sequence[Any] | None = None, status: str | None = None,
                    symbol: str | None = None, timeframe: int | None = None) -> tuple[PredictionRow, ...]:
        """Predictions by creation time then id (both descending), after the keyset ``after``; ``symbol``
        matches the leader or the target."""
        params: dict[str, Any] = {"limit": limit}
        if after is not None:
            params.update(after_ts=after[0], after_id=after[1])
        if status is not None:
            params["status"] = status
        if symbol is not None:
            params["symbol"] = symbol.strip().upper()
        if timeframe is not None:
            params["timeframe"] = timeframe
        statement = _predictions(after is not None, status is not None, symbol is not None, timeframe is not None)
        rows = self._connection.execute(statement, params).all()
        log_query("predictions", "api_predictions", count=len(rows))
        return tuple(PredictionRow(*row) for row in rows)

    def prediction(self, prediction_id: int) -> PredictionRow | None:
        """One prediction; ``None`` when unknown or one of its coins is deleted."""
        row = self._connection.execute(_GET_PREDICTION, {"prediction_id": prediction_id}).first()
        log_query("predictions", "api_prediction", count=int(row is not None))
        return PredictionRow(*tuple(row)) if row is not None else None

    def quality(self) -> QualityRead | None:
        """The quality projection with every coin's symbol; ``None`` before its first materialization."""
        row = self._connection.execute(_QUALITY).first()
        log_query("predictions", "api_prediction_quality", count=int(row is not None))
        return QualityRead(*row) if row is not None else None

