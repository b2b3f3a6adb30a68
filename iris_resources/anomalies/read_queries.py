"""Query service of the read API for market anomalies: one statement per call, never writes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, Text, cast, select, tuple_
from sqlalchemy.engine import Connection

from iris_resources.anomalies.api_read_models import AnomalyRow
from iris_resources.anomalies.tables import market_anomalies
from iris_resources.db.persistence_log import log_query
from iris_resources.market_data.tables import coins

ACTIVE_STATUSES = ("new", "active")


def _anomaly_select() -> Select:
    columns = [c if c.name != "payload_json" else cast(c, Text).label("payload_json") for c in market_anomalies.c]
    return (
        select(*columns)
        .join(coins, coins.c.id == market_anomalies.c.coin_id)
        .where(coins.c.deleted_at.is_(None))
    )


class AnomalyReadQueries:
    """Anomalies of non-deleted coins, newest detection first."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def list_anomalies(
        self,
        *,
        limit: int,
        after: tuple[datetime, int] | None = None,
        symbol: str | None = None,
        timeframe: int | None = None,
        statuses: Sequence[str] = ACTIVE_STATUSES,
        severities: Sequence[str] = (),
    ) -> tuple[AnomalyRow, ...]:
        """Anomalies by ``detected_at`` then id, both descending, after the keyset ``after``."""
        statement = (_anomaly_select().order_by(market_anomalies.c.detected_at.desc(), market_anomalies.c.id.desc())
                     .limit(limit))
        if after is not None:
            statement = statement.where(tuple_(market_anomalies.c.detected_at, market_anomalies.c.id) < tuple_(*after))
        if symbol is not None:
            statement = statement.where(market_anomalies.c.symbol == symbol.strip().upper())
        if timeframe is not None:
            statement = statement.where(market_anomalies.c.timeframe == timeframe)
        if statuses:
            statement = statement.where(market_anomalies.c.status.in_(list(statuses)))
        if severities:
            statement = statement.where(market_anomalies.c.severity.in_(list(severities)))
        result = tuple(AnomalyRow(**row._mapping) for row in self._connection.execute(statement))
        log_query("anomalies", "api_list_anomalies", count=len(result))
        return result

    def get_anomaly(self, anomaly_id: int) -> AnomalyRow | None:
        """One anomaly by id; ``None`` when unknown or its coin is deleted."""
        row = self._connection.execute(_anomaly_select().where(market_anomalies.c.id == anomaly_id)).first()
        log_query("anomalies", "api_get_anomaly", count=int(row is not None))
        return AnomalyRow(**row._mapping) if row is not None else None

    def anomalies_between(self, coin_id: int, timeframe: int, start: datetime, end: datetime
                          ) -> tuple[AnomalyRow, ...]:
        """A coin's anomalies detected on candles in ``[start, end]``, any status, oldest first (charts)."""
        statement = (
            _anomaly_select()
            .where(market_anomalies.c.coin_id == coin_id, market_anomalies.c.timeframe == timeframe,
                   market_anomalies.c.detected_at >= start, market_anomalies.c.detected_at <= end)
            .order_by(market_anomalies.c.detected_at, market_anomalies.c.id)
        )
        return tuple(AnomalyRow(**row._mapping) for row in self._connection.execute(statement))
