"""Cross-market predictions and their quality (reference 5.1, DECISIONS.md 21–23)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from iris_api.schemas.common import PagePublic, PublicModel, SnapshotPublic
from iris_api.schemas.market import ProjectionItem


class PredictionPublic(PublicModel):
    """A falsifiable claim that the target (the relation's follower) moves ``expected_move`` by at least
    ``success_threshold`` within its window, because its leader just moved; with its outcome once decided."""

    id: int
    prediction_type: str
    leader_coin_id: int
    leader_symbol: str
    target_coin_id: int = Field(description="The follower coin the prediction is about.")
    target_symbol: str
    timeframe: int = Field(description="The relation's timeframe (minutes); outcomes use its candles.")
    prediction_event: str = Field(description="`leader_breakout` or `leader_breakdown`.")
    expected_move: str = Field(description="`up` or `down`.")
    expected_magnitude: float = Field(description="Expected absolute move, a fraction.")
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
    evaluation_time: datetime = Field(description="The deadline, under the reference's name.")
    status: str = Field(description="`pending`, `confirmed`, `failed` or `expired`.")
    reason: str | None = Field(description="Why it was decided, e.g. `no_data` for an expiry without candles.")
    success: bool | None
    actual_move: float | None
    realized_return: float | None
    profit: float | None
    candles_used: int | None
    decided_candle: datetime | None = Field(description="Open time of the candle that decided it.")
    evaluated_at: datetime | None


class PredictionsPublic(PagePublic):
    """Predictions, newest first."""

    data: list[PredictionPublic]


class PredictionItemPublic(SnapshotPublic):
    """One prediction."""

    data: PredictionPublic


class _QualityBase(ProjectionItem):
    predictions: int = Field(description="Decided predictions (confirmed, failed, expired).")
    confirmed: int
    failed: int
    expired: int
    hit_rate: float | None = Field(default=None, description="confirmed / (confirmed + failed).")
    scored: int = Field(description="Confirmed and failed predictions with a realized return.")
    ic: float | None = Field(default=None, description="Pearson correlation of the predicted signed magnitude "
                                                       "with the realized return (null under 3 scored).")
    rank_ic: float | None = Field(default=None, description="Spearman correlation of the same pair.")


class QualityPublic(_QualityBase):
    """Prediction quality over every decided prediction."""


class TimeframeQualityPublic(_QualityBase):
    """Prediction quality of one timeframe."""

    timeframe: int


class RelationQualityPublic(_QualityBase):
    """Prediction quality of one relation (leader, follower, timeframe)."""

    leader_coin_id: int
    leader_symbol: str | None = None
    follower_coin_id: int
    follower_symbol: str | None = None
    timeframe: int


class PredictionQualityPublic(SnapshotPublic):
    """Hit rate, information coefficient and rank IC overall, per timeframe and per relation, from the
    latest ``prediction_quality`` materialization (all empty before any prediction is decided)."""

    overall: QualityPublic | None
    timeframes: list[TimeframeQualityPublic]
    relations: list[RelationQualityPublic]
