"""Writing a scan's rows and lifecycle steps through the anomaly repository."""

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from iris_assets.anomalies import EventKind, ScanResult, Trigger
from iris_assets.anomalies.lifecycle import OpenAnomaly
from iris_resources.db.uow import UnitOfWork


def open_anomalies(stored: list[dict[str, Any]]) -> dict[str, list[OpenAnomaly]]:
    """Stored open anomalies per symbol, in the engine's form."""
    by_symbol: dict[str, list[OpenAnomaly]] = {}
    for row in stored:
        by_symbol.setdefault(row["symbol"], []).append(OpenAnomaly(
            row["symbol"], row["timeframe"], row["anomaly_type"], row["status"], row["detected_at"],
            row["cooldown_until"], row["last_confirmed_at"], anomaly_id=row["id"]))
    return by_symbol


def persist_scan(uow: UnitOfWork, result: ScanResult, coin_ids: dict[str, int], source: str,
                 announce_since: datetime | None = None) -> list[dict[str, Any]]:
    """Insert the created rows, replay the lifecycle steps in time order, announce creations
    detected at or after ``announce_since`` (all when None).

    Returns the created rows with their ids (for escalation triggers and metadata).
    """
    now = datetime.now(UTC)
    records = [{**row.record(), "coin_id": coin_ids[row.symbol]} for row in result.rows]
    ids = uow.anomalies.insert_rows(records, source, now)
    created = [{**record, "id": anomaly_id} for record, anomaly_id in zip(records, ids, strict=True)]
    new_steps = []
    for event in result.events:
        step = {"at": event.at, "action": event.kind.value, "status": event.status, "score": event.score,
                "reason": event.reason, "changes": dict(event.changes)}
        if event.row_index is not None:
            new_steps.append({**step, "anomaly_id": ids[event.row_index]})
        elif event.anomaly_id is not None:  # a stored anomaly: write the change, keep its prior state
            uow.anomalies.apply_step(event.anomaly_id, event.at, event.kind.value, event.status, event.score,
                                     event.reason, dict(event.changes), stored=True)
    uow.anomalies.record_steps(new_steps)
    uow.events.extend("anomaly_detected", [
        {"coin_id": row["coin_id"], "timeframe": row["timeframe"], "timestamp": row["detected_at"], "payload": {
            **row["payload_json"], "anomaly_id": row["id"], "symbol": row["symbol"], "type": row["anomaly_type"],
            "severity": row["severity"], "confidence": row["confidence"], "score": row["score"],
            "status": row["status"], "summary": row["summary"]}}
        for row in created if announce_since is None or row["detected_at"] >= announce_since
    ])
    return created


def escalations(result: ScanResult, created: list[dict[str, Any]], triggers: list[Trigger]) -> list[Trigger]:
    """The engine's escalation triggers with the stored ids of the anomalies that caused them."""
    by_key = {(row["symbol"], row["detected_at"]): row["id"] for row in created}
    return [replace(t, trigger_anomaly_id=by_key.get((t.symbol, t.timestamp))) for t in triggers]


__all__ = ["EventKind", "escalations", "open_anomalies", "persist_scan"]
