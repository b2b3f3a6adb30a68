"""Read side of the anomalies domain used by the pipeline's checks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Connection, func, select

from iris_resources.anomalies.tables import market_anomalies
from iris_resources.db.persistence_log import log_query


class AnomalyQueries:
    """Checks and counts over stored anomalies."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def orphaned_open(self, now: datetime, expiry: Callable[[str], timedelta]) -> list[dict[str, str]]:
        """Open anomalies last confirmed longer ago than their type's expiry horizon."""
        rows = self._connection.execute(
            select(market_anomalies.c.id, market_anomalies.c.symbol, market_anomalies.c.anomaly_type,
                   market_anomalies.c.status, market_anomalies.c.last_confirmed_at)
            .where(market_anomalies.c.status.in_(("new", "active", "cooling")))
        ).all()
        orphans = [
            {"id": str(r.id), "symbol": r.symbol, "type": r.anomaly_type, "status": r.status,
             "last_confirmed_at": str(r.last_confirmed_at)}
            for r in rows
            if r.last_confirmed_at is not None and now - r.last_confirmed_at > expiry(r.anomaly_type)
        ]
        log_query("anomalies", "orphaned_open", count=len(orphans))
        return orphans

    def severity_counts(self, start: datetime, end: datetime) -> dict[str, int]:
        """Anomalies detected in the window per severity."""
        statement = (
            select(market_anomalies.c.severity, func.count())
            .where(market_anomalies.c.detected_at >= start, market_anomalies.c.detected_at < end)
            .group_by(market_anomalies.c.severity)
        )
        return {severity: int(count) for severity, count in self._connection.execute(statement)}
