"""Immutable read models the read API serves for the predictions domain. Rows are built positionally
(select order = field order)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class PredictionRow:
    """A cross-market prediction with its coins and, once decided, its outcome.

    The reference calls the follower the *target* and the deadline the *evaluation time*; both names
    are carried. ``lag_hours`` is ``lag_bars`` in hours of the prediction's timeframe.
    """

    id: int
    prediction_type: str
    leader_coin_id: int
    leader_symbol: str
    target_coin_id: int
    target_symbol: str
    timeframe: int
    prediction_event: str
    expected_move: str
    expected_magnitude: float
    entry_price: float
    target_price: float
    success_threshold: float
    lag_bars: int
    lag_hours: float
    window_bars: int
    confidence: float
    relation_confidence: float
    relation_correlation: float
    created_at: datetime
    deadline: datetime
    evaluation_time: datetime
    status: str
    reason: str | None
    success: bool | None
    actual_move: float | None
    realized_return: float | None
    profit: float | None
    candles_used: int | None
    decided_candle: datetime | None
    evaluated_at: datetime | None


@dataclass(frozen=True, slots=True)
class QualityRead:
    """The materialized ``prediction_quality`` projection (its JSON payload as text) and the symbol of
    every coin id, as a JSON object text, to name the relations it scores."""

    generated_at: datetime
    source_timestamp: datetime | None
    run_id: str | None
    payload_json: str
    symbols_json: str
