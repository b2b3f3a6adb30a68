"""Query service of the read API for market anomalies: one statement per call, never writes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime
from functools import lru_cache

from sqlalchemy import Select, Text, bindparam, cast, select, tuple_
from sqlalchemy.engine import Connection

from iris_resources.anomalies.api_read_models import AnomalyRow
from iris_resources.anomalies.tables import market_anomalies
from iris_resources.db.persistence_log import log_query
from iris_resources.market_data.tables import coins

ACTIVE_STATUSES = ("new", "active")
_COLUMNS = [cast(market_anomalies.c.payload_json, Text) if f.name == "payload_json" else market_anomalies.c[f.name]
            for f in fields(AnomalyRow)]  # the read model's field order: rows are built positionally
_ANOMALY = (select(*_COLUMNS).join(coins, coins.c.id == market_anomalies.c.coin_id)
            .where(coins.c.deleted_at.is_(None)))
_GET_ANOMALY = _ANOMALY.where(market_anomalies.c.id == bindparam("anomaly_id"))
_BETWEEN = (
    _ANOMALY.where(market_anomalies.c.coin_id == bindparam("coin_id"),
                   market_anomalies.c.timeframe == bindparam("timeframe"),
                   market_anomalies.c.detected_at >= bindparam("start"),
                   market_anomalies.c.detected_at <= bindparam("end"))
    .order_by(market_anomalies.c.detected_at, market_anomalies.c.id)
)


@lru_cache(maxsize=32)
def _list_anomalies(after: bool, symbol: bool, timeframe: bool, statuses: bool, severities: bool) -> Select:
    statement = (_ANOMALY.order_by(market_anomalies.c.detected_at.desc(), market_anomalies.c.id.desc())
                 .limit(bindparam("limit")))
    if after:
        statement = statement.where(tuple_(market_anomalies.c.detected_at, market_anomalies.c.id)
                                    < tuple_(bindparam("after_ts"), bindparam("after_id")))
    if symbol:
        statement = statement.where(market_anomalies.c.symbol == bindparam("symbol"))
    if timeframe:
        statement = statement.where(market_anomalies.c.timeframe == bindparam("timeframe"))
    if statuses:
        statement = statement.where(market_anomalies.c.status.in_(bindparam("statuses", expanding=True)))
    if severities:
        statement = statement.where(market_anomalies.c.severity.in_(bindparam("severities", expanding=True)))
    return statement


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
        params: dict[str, object] = {"limit": limit}
        if after is not None:
            params.update(after_ts=after[0], after_id=after[1])
        if symbol is not None:
            params["symbol"] = symbol.strip().upper()
        if timeframe is not None:
            params["timeframe"] = timeframe
        if statuses:
            params["statuses"] = list(statuses)
        if severities:
            params["severities"] = list(severities)
        statement = _list_anomalies(after is not None, symbol is not None, timeframe is not None, bool(statuses),
                                    bool(severities))
        rows = self._connection.execute(statement, params).all()
        log_query("anomalies", "api_list_anomalies", count=len(rows))
        return tuple(AnomalyRow(*row) for row in rows)

    def get_anomaly(self, anomaly_id: int) -> AnomalyRow | None:
        """One anomaly by id; ``None`` when unknown or its coin is deleted."""
        row = self._connection.execute(_GET_ANOMALY, {"anomaly_id": anomaly_id}).first()
        log_query("anomalies", "api_get_anomaly", count=int(row is not None))
        return AnomalyRow(*row) if row is not None else None

    def anomalies_between(self, coin_id: int, timeframe: int, start: datetime, end: datetime
                          ) -> tuple[AnomalyRow, ...]:
        """A coin's anomalies detected on candles in ``[start, end]``, any status, oldest first (charts)."""
        rows = self._connection.execute(_BETWEEN, {"coin_id": coin_id, "timeframe": timeframe, "start": start,
                                                   "end": end}).all()
        return tuple(AnomalyRow(*row) for row in rows)
