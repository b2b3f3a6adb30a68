"""Immutable read models the read API serves for the anomalies domain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class AnomalyRow:
    """One ``market_anomalies`` row (reference 4.9 ``AnomalyReadModel``); ``payload_json`` is JSON text."""

    id: int
    coin_id: int
    symbol: str
    timeframe: int
    anomaly_type: str
    severity: str
    confidence: float
    score: float
    status: str
    detected_at: datetime
    window_start: datetime | None
    window_end: datetime
    market_regime: str | None
    sector: str | None
    summary: str
    payload_json: str
    cooldown_until: datetime | None
    last_confirmed_at: datetime | None
    resolved_at: datetime | None
    source_pipeline: str
    created_at: datetime
    updated_at: datetime
