"""Market anomalies (reference 4.9 ``AnomalyReadModel``; the reference had no route for them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from iris_api.schemas.common import PagePublic, PublicModel, SnapshotPublic


class AnomalyPublic(PublicModel):
    """An anomaly detected on a coin's candle (``detected_at`` = its open time)."""

    id: int
    coin_id: int
    symbol: str
    timeframe: int
    anomaly_type: str
    severity: str = Field(description="`low`, `medium`, `high` or `critical`.")
    confidence: float
    score: float
    status: str = Field(description="`new`, `active`, `cooling` or `resolved`.")
    detected_at: datetime
    window_start: datetime | None
    window_end: datetime
    market_regime: str | None
    sector: str | None
    summary: str
    payload_json: dict[str, Any]
    cooldown_until: datetime | None
    last_confirmed_at: datetime | None
    resolved_at: datetime | None
    source_pipeline: str
    created_at: datetime
    updated_at: datetime


class AnomaliesPublic(PagePublic):
    """Anomalies, newest detection first."""

    data: list[AnomalyPublic]


class AnomalyItemPublic(SnapshotPublic):
    """One anomaly."""

    data: AnomalyPublic
