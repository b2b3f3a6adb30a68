"""What a scan hands to persistence: ``market_anomalies`` rows, lifecycle events and the payload (§1.9, §4.7).

Rows use the table's column names (``payload_json`` in ``AnomalyRow.record``); ``coin_id`` and the
database ``id`` are the persistence layer's to fill in from the symbol.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from iris_assets.anomalies.findings import ScoredFinding
from iris_assets.anomalies.lifecycle import OpenAnomaly


@dataclass(frozen=True, slots=True)
class Detection:
    """A scored finding at one bar, with the facts its row and payload need."""

    scored: ScoredFinding
    symbol: str
    timeframe: int
    timestamp: datetime
    window_start: datetime | None
    market_regime: str | None
    sector: str | None
    portfolio_relevant: bool
    source_pipeline: str
    extra_payload: Mapping[str, Any] = field(default_factory=dict)


def build_payload(detection: Detection) -> dict[str, Any]:
    """``payload_json`` of the reference (§4.7): metrics, components, context, explainability, source."""
    finding = detection.scored.finding
    explain = finding.explainability
    affected = list(finding.affected_symbols)
    payload: dict[str, Any] = {
        "metrics": dict(finding.metrics),
        "components": {name: float(value) for name, value in finding.component_scores.items()},
        "context": {
            "sector": detection.sector,
            "market_regime": detection.market_regime,
            "relative_to_btc": explain.relative_to_btc,
            "scope": finding.scope,
            "isolated_move": finding.isolated,
            "portfolio_relevant": detection.portfolio_relevant,
        },
        "explainability": {
            "what_happened": explain.what_happened,
            "unusualness": explain.unusualness,
            "relative_to": explain.relative_to,
            "market_wide": explain.market_wide,
            "affected_symbols": affected,
        },
        "source_pipeline": detection.source_pipeline,
        "affected_symbols": list(affected),
    }
    payload.update(detection.extra_payload)
    return payload


@dataclass(frozen=True, slots=True)
class AnomalyRow:
    """One ``market_anomalies`` row in its state at the end of the scan."""

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
    payload: dict[str, Any]
    cooldown_until: datetime | None
    last_confirmed_at: datetime | None
    resolved_at: datetime | None
    updated_at: datetime

    def record(self) -> dict[str, Any]:
        """Column → value for ``market_anomalies`` (no ``id``/``coin_id``/``created_at``)."""
        return {
            "symbol": self.symbol,
            "timeframe": self.timeframe,
            "anomaly_type": self.anomaly_type,
            "severity": self.severity,
            "confidence": self.confidence,
            "score": self.score,
            "status": self.status,
            "detected_at": self.detected_at,
            "window_start": self.window_start,
            "window_end": self.window_end,
            "market_regime": self.market_regime,
            "sector": self.sector,
            "summary": self.summary,
            "payload_json": self.payload,
            "cooldown_until": self.cooldown_until,
            "last_confirmed_at": self.last_confirmed_at,
            "resolved_at": self.resolved_at,
            "updated_at": self.updated_at,
        }

    def as_open(self) -> OpenAnomaly:
        """The row's lifecycle state (to carry into the next scan while it is open)."""
        return OpenAnomaly(
            self.symbol,
            self.timeframe,
            self.anomaly_type,
            self.status,
            self.detected_at,
            self.cooldown_until,
            self.last_confirmed_at,
        )


def create_row(detection: Detection, cooldown_until: datetime | None, status: str) -> AnomalyRow:
    """A freshly created anomaly: ``detected_at = window_end = last_confirmed_at`` = the bar's open time."""
    scored = detection.scored
    return AnomalyRow(
        symbol=detection.symbol,
        timeframe=detection.timeframe,
        anomaly_type=scored.anomaly_type,
        severity=scored.severity,
        confidence=scored.confidence,
        score=scored.score,
        status=status,
        detected_at=detection.timestamp,
        window_start=detection.window_start,
        window_end=detection.timestamp,
        market_regime=detection.market_regime,
        sector=detection.sector,
        summary=scored.finding.summary,
        payload=build_payload(detection),
        cooldown_until=cooldown_until,
        last_confirmed_at=detection.timestamp,
        resolved_at=None,
        updated_at=detection.timestamp,
    )


class EventKind(StrEnum):
    """Lifecycle events a scan reports (skips and keeps write nothing and are not reported)."""

    CREATED = "created"
    REFRESHED = "refreshed"
    TRANSITIONED = "transitioned"


@dataclass(frozen=True, slots=True)
class LifecycleEvent:
    """One write the scan implies, in time order.

    It targets either ``rows[row_index]`` of the same result (an anomaly this scan created) or the
    stored anomaly ``anomaly_id`` that was passed in as open; ``changes`` are the columns to write.
    Only ``created`` events correspond to the reference's published ``anomaly_detected`` events.
    """

    kind: EventKind
    at: datetime
    symbol: str
    timeframe: int
    anomaly_type: str
    status: str
    previous_status: str | None
    reason: str | None
    row_index: int | None
    anomaly_id: int | None
    severity: str | None  # None for a stored anomaly whose row the scan never saw
    score: float | None
    changes: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ScanResult:
    """Rows created by a scan (final state), the lifecycle events in time order, and skipped triggers."""

    rows: tuple[AnomalyRow, ...]
    events: tuple[LifecycleEvent, ...]
    open_after: tuple[OpenAnomaly, ...]
    skipped: tuple[tuple[datetime, str], ...] = ()
    evaluations: int = 0
